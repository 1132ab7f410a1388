# azd preprovision hook (Windows): fail early, with the fix, when something `azd up` needs is missing.
$ErrorActionPreference = 'Stop'
Set-Location (Join-Path $PSScriptRoot '../..')

if (-not $env:AZURE_MANAGEMENT_GROUP_ID) {
  Write-Error "AZURE_MANAGEMENT_GROUP_ID is not set. Choose the management group to govern: azd env set AZURE_MANAGEMENT_GROUP_ID <management-group-id>"
}
if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
  Write-Error 'The Azure CLI (az) is required: the hooks deploy infra/mg.bicep and infra/events.bicep with it.'
}
az account show --output none 2>$null
if ($LASTEXITCODE -ne 0) { Write-Error 'The Azure CLI is not signed in. Run: az login --tenant <tenant-id>' }
az account management-group show --name $env:AZURE_MANAGEMENT_GROUP_ID --output none 2>$null
if ($LASTEXITCODE -ne 0) {
  Write-Error "Cannot read management group '$($env:AZURE_MANAGEMENT_GROUP_ID)' with the signed-in az account (see docs/permissions.md, 'Who deploys')."
}

# The watched subscriptions' Event Grid system topics need the provider; registering it at the
# management group covers every subscription below it.
foreach ($namespace in 'Microsoft.EventGrid') {
  az provider register --namespace $namespace --management-group-id $env:AZURE_MANAGEMENT_GROUP_ID --output none
  if ($LASTEXITCODE -ne 0) { Write-Error "Could not register $namespace at management group $($env:AZURE_MANAGEMENT_GROUP_ID)." }
}
