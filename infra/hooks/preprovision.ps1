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

# Event Grid's system topics (infra/events.bicep) live in the governor's subscription and in every
# subscription of D4AI_WATCHED_SUBSCRIPTION_IDS, and each of those subscriptions needs the
# Microsoft.EventGrid provider registered. Registering a provider at a management group does NOT
# register the subscriptions below it (Microsoft's REST reference for Providers - Register At
# Management Group Scope says so), and Event Grid has no management-group source for resource write
# events: one system topic per subscription is the only way in. So: one registration per subscription.
$subscriptions = @($(if ($env:AZURE_SUBSCRIPTION_ID) { $env:AZURE_SUBSCRIPTION_ID } else { az account show --query id --output tsv }))
if ($env:D4AI_WATCHED_SUBSCRIPTION_IDS) {
  $subscriptions += $env:D4AI_WATCHED_SUBSCRIPTION_IDS.Split(',') | ForEach-Object { $_.Trim() } | Where-Object { $_ }
}
foreach ($subscription in $subscriptions) {
  az provider register --namespace Microsoft.EventGrid --subscription $subscription --output none
  if ($LASTEXITCODE -ne 0) { Write-Error "Could not register Microsoft.EventGrid in subscription $subscription (needs Microsoft.EventGrid/register/action there, see docs/permissions.md)." }
}

# The admin API's app registration (see admin-app.sh beside this file, which does the same with
# the same manifest). Created once, when D4AI_ADMIN_CLIENT_ID is not set.
if (-not $env:D4AI_ADMIN_CLIENT_ID) {
  $name = "d4ai-admin-$($env:AZURE_ENV_NAME)"
  $clientId = az ad app create --display-name $name --sign-in-audience AzureADMyOrg --app-roles '@infra/hooks/admin-app-roles.json' --query appId --output tsv
  if ($LASTEXITCODE -ne 0 -or -not $clientId) { Write-Error "Could not create the app registration $name (needs Application Developer in Entra ID, see docs/permissions.md)." }
  az ad app update --id $clientId --identifier-uris "api://$clientId" --output none
  if ($LASTEXITCODE -ne 0) { Write-Error "Could not set api://$clientId on $name." }
  # A delegated scope pre-authorized for the Azure CLI, as admin-app.sh does (the app role decides, not the scope).
  $scope = @{ id = [guid]::NewGuid().ToString(); value = 'user_impersonation'; type = 'User'; isEnabled = $true
    adminConsentDisplayName = 'Call the Defender for AI governor admin API'; adminConsentDescription = "Call the admin API as the signed-in user, with that user's app role."
    userConsentDisplayName = 'Call the Defender for AI governor admin API'; userConsentDescription = 'Call the admin API as you, with your app role.' }
  # requestedAccessTokenVersion 2: tokens carry the v2.0 issuer authsettingsV2 is configured with.
  $api = @{ requestedAccessTokenVersion = 2; oauth2PermissionScopes = @($scope) }
  az ad app update --id $clientId --set "api=$(($api | ConvertTo-Json -Compress -Depth 5).Replace('"', '\"'))" --output none
  $api.preAuthorizedApplications = @(@{ appId = '04b07795-8ddb-461a-bbee-02f9e1bf7b46'; delegatedPermissionIds = @($scope.id) })
  az ad app update --id $clientId --set "api=$(($api | ConvertTo-Json -Compress -Depth 5).Replace('"', '\"'))" --output none
  if ($LASTEXITCODE -ne 0) { Write-Error "Could not expose the user_impersonation scope on $name." }
  az ad sp create --id $clientId --output none 2>$null
  az ad sp update --id $clientId --set appRoleAssignmentRequired=true --output none
  if ($LASTEXITCODE -ne 0) { Write-Error "Could not require role assignment on the service principal of $name." }
  azd env set D4AI_ADMIN_CLIENT_ID $clientId
  Write-Host "Admin API app registration $name ($clientId): assign D4AI.Operator / D4AI.Reader to people or groups (docs/deploy.md)."
}
