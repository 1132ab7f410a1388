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

# Event Grid's system topics (infra/events.bicep) live in the governor's subscription and in every
# subscription of D4AI_WATCHED_SUBSCRIPTION_IDS, and each of those subscriptions needs the
# Microsoft.EventGrid provider registered. Registering a provider at a management group does NOT
# register the subscriptions below it (Microsoft's REST reference for Providers - Register At
# Management Group Scope says so: "It does not recursively register subscriptions within the
# management group"), and Event Grid has no management-group source for resource write events: one
# system topic per subscription is the only way in. So: one registration per subscription.
subscriptions="${AZURE_SUBSCRIPTION_ID:-$(az account show --query id --output tsv)}"
if [ -n "${D4AI_WATCHED_SUBSCRIPTION_IDS:-}" ]; then
  subscriptions="$subscriptions $(printf '%s' "$D4AI_WATCHED_SUBSCRIPTION_IDS" | tr ',' ' ')"
fi
for subscription in $subscriptions; do
  if ! az provider register --namespace Microsoft.EventGrid --subscription "$subscription" --output none; then
    echo "Could not register Microsoft.EventGrid in subscription $subscription (needs Microsoft.EventGrid/register/action there, see docs/permissions.md)." >&2
    exit 1
  fi
done

# The admin API's app registration (App Service Authentication in front of it, app roles
# D4AI.Operator and D4AI.Reader). Created once, when D4AI_ADMIN_CLIENT_ID is not set; pass an
# existing one with `azd env set D4AI_ADMIN_CLIENT_ID <client id>` to skip this.
if [ -z "${D4AI_ADMIN_CLIENT_ID:-}" ]; then
  ./infra/hooks/admin-app.sh
fi
