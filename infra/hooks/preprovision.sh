#!/bin/sh
# azd preprovision hook: fail early, with the fix, when something `azd up` needs is missing.
set -eu
cd "$(dirname "$0")/../.."

if [ -z "${AZURE_MANAGEMENT_GROUP_ID:-}" ]; then
  echo "AZURE_MANAGEMENT_GROUP_ID is not set. Choose the management group to govern:" >&2
  echo "  azd env set AZURE_MANAGEMENT_GROUP_ID <management-group-id>" >&2
  exit 1
fi
if ! command -v az >/dev/null 2>&1; then
  echo "The Azure CLI (az) is required: the hooks deploy infra/mg.bicep and infra/events.bicep with it." >&2
  exit 1
fi
if ! az account show --output none 2>/dev/null; then
  echo "The Azure CLI is not signed in. Run: az login --tenant <tenant-id>" >&2
  exit 1
fi
if ! az account management-group show --name "$AZURE_MANAGEMENT_GROUP_ID" --output none 2>/dev/null; then
  echo "Cannot read management group '$AZURE_MANAGEMENT_GROUP_ID' with the signed-in az account (see docs/permissions.md, 'Who deploys')." >&2
  exit 1
fi

# The watched subscriptions' Event Grid system topics need the provider; registering it at the
# management group covers every subscription below it (registration is idempotent).
az provider register --namespace Microsoft.EventGrid --management-group-id "$AZURE_MANAGEMENT_GROUP_ID" --output none
