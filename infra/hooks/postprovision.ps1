# azd postprovision hook (Windows): management-group roles and the audit policy assignment
# (infra/mg.bicep); see postprovision.sh for why this is a separate deployment.
$ErrorActionPreference = 'Stop'
Set-Location (Join-Path $PSScriptRoot '../..')

$assignment = az deployment mg create `
  --name "d4ai-$($env:AZURE_ENV_NAME)" `
  --management-group-id $env:AZURE_MANAGEMENT_GROUP_ID `
  --location $env:AZURE_LOCATION `
  --parameters infra/mg.bicepparam `
  --query 'properties.outputs.policyAssignmentId.value' `
  --output tsv
if ($LASTEXITCODE -ne 0) { Write-Error 'The management-group deployment (infra/mg.bicep) failed.' }

$expected = "$($env:D4AI_POLICY_ASSIGNMENT_ID)"
if ("$assignment".ToLowerInvariant() -ne $expected.ToLowerInvariant()) {
  Write-Warning "The audit assignment is '$assignment' but the app setting D4AI_POLICY_ASSIGNMENT_ID is '$expected'. Exemptions will not exempt subscriptions until they match (run azd provision again)."
}
Write-Host "Management group '$($env:AZURE_MANAGEMENT_GROUP_ID)': Security Admin + Reader granted to the governor; audit assignment: $assignment"
