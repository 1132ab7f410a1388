#!/bin/sh
# azd postprovision hook: management-group roles for the governor identity and the audit policy
# assignment (infra/mg.bicep). A separate deployment because ARM cannot reach a management group
# from main.bicep's subscription-scoped deployment (see the header of infra/mg.bicep).
set -eu
cd "$(dirname "$0")/../.."

assignment=$(az deployment mg create \
  --name "d4ai-${AZURE_ENV_NAME}" \
  --management-group-id "$AZURE_MANAGEMENT_GROUP_ID" \
  --location "$AZURE_LOCATION" \
  --parameters infra/mg.bicepparam \
  --query "properties.outputs.policyAssignmentId.value" \
  --output tsv)

expected="${D4AI_POLICY_ASSIGNMENT_ID:-}"
if [ "$(printf '%s' "$assignment" | tr '[:upper:]' '[:lower:]')" != "$(printf '%s' "$expected" | tr '[:upper:]' '[:lower:]')" ]; then
  echo "warning: the audit assignment is '$assignment' but the app setting D4AI_POLICY_ASSIGNMENT_ID is '$expected'." >&2
  echo "         Exemptions on the assignment will not exempt subscriptions until they match (run azd provision again)." >&2
fi
echo "Management group '$AZURE_MANAGEMENT_GROUP_ID': Security Admin + Reader granted to the governor; audit assignment: ${assignment:-none}"
