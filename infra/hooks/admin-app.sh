#!/bin/sh
# Creates the admin API's Entra app registration (called by preprovision.sh when
# D4AI_ADMIN_CLIENT_ID is not set) and stores its client id in the azd environment, where
# main.parameters.json passes it to infra/main.bicep (adminClientId -> authsettingsV2).
#
# - app roles D4AI.Operator and D4AI.Reader (admin-app-roles.json, the values functions/admin-auth.ts checks);
# - identifier URI api://<client id>, the audience App Service Authentication accepts;
# - a service principal with "assignment required", so a token is issued only to people, groups
#   and applications someone assigned a role: everybody else in the tenant is refused by Entra ID.
# Needs the Application Developer role in Entra ID (or a tenant that lets users register apps).
set -eu
cd "$(dirname "$0")/../.."

name="d4ai-admin-${AZURE_ENV_NAME}"
client_id=$(az ad app create --display-name "$name" --sign-in-audience AzureADMyOrg \
  --app-roles @infra/hooks/admin-app-roles.json --query appId --output tsv) || {
  echo "Could not create the app registration $name (needs Application Developer in Entra ID, see docs/permissions.md)." >&2
  exit 1
}
az ad app update --id "$client_id" --identifier-uris "api://$client_id" --output none
# A delegated scope, so a person's token can be issued for the API, pre-authorized for the Azure
# CLI (04b07795-...) so `az account get-access-token --resource api://<client id>` works without a
# consent prompt. The scope grants nothing by itself: the app role decides (functions/admin-auth.ts).
scope_id=$(cat /proc/sys/kernel/random/uuid 2>/dev/null || uuidgen | tr '[:upper:]' '[:lower:]')
scope="{\"id\":\"$scope_id\",\"value\":\"user_impersonation\",\"type\":\"User\",\"isEnabled\":true,\"adminConsentDisplayName\":\"Call the Defender for AI governor admin API\",\"adminConsentDescription\":\"Call the admin API as the signed-in user, with that user's app role.\",\"userConsentDisplayName\":\"Call the Defender for AI governor admin API\",\"userConsentDescription\":\"Call the admin API as you, with your app role.\"}"
# requestedAccessTokenVersion 2: tokens carry the v2.0 issuer authsettingsV2 is configured with.
az ad app update --id "$client_id" --set "api={\"requestedAccessTokenVersion\":2,\"oauth2PermissionScopes\":[$scope]}" --output none
az ad app update --id "$client_id" --set "api={\"requestedAccessTokenVersion\":2,\"oauth2PermissionScopes\":[$scope],\"preAuthorizedApplications\":[{\"appId\":\"04b07795-8ddb-461a-bbee-02f9e1bf7b46\",\"delegatedPermissionIds\":[\"$scope_id\"]}]}" --output none
az ad sp create --id "$client_id" --output none 2>/dev/null || true
az ad sp update --id "$client_id" --set appRoleAssignmentRequired=true --output none
azd env set D4AI_ADMIN_CLIENT_ID "$client_id"
echo "Admin API app registration $name ($client_id): assign D4AI.Operator / D4AI.Reader to people or groups (docs/deploy.md)."
