#!/bin/sh
# azd postdeploy hook: Event Grid topics and event subscriptions (infra/events.bicep). After the
# code deployment because an AzureFunction destination must already exist (onAzureEvent).
set -eu
cd "$(dirname "$0")/../.."

az deployment sub create \
  --name "d4ai-events-${AZURE_ENV_NAME}" \
  --subscription "$AZURE_SUBSCRIPTION_ID" \
  --location "$AZURE_LOCATION" \
  --parameters infra/events.bicepparam \
  --output none

endpoint=$(az deployment sub show \
  --name "d4ai-events-${AZURE_ENV_NAME}" \
  --subscription "$AZURE_SUBSCRIPTION_ID" \
  --query "properties.outputs.vendingTopicEndpoint.value" \
  --output tsv 2>/dev/null || true)
if [ -n "$endpoint" ]; then
  azd env set VENDING_TOPIC_ENDPOINT "$endpoint"
  echo "Vending pipeline topic: $endpoint (publish LandingZone.SubscriptionCreated, see docs/events.md)"
fi
