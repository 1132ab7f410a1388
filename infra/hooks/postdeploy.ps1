# azd postdeploy hook (Windows): Event Grid topics and event subscriptions (infra/events.bicep),
# after the code deployment because an AzureFunction destination must already exist.
$ErrorActionPreference = 'Stop'
Set-Location (Join-Path $PSScriptRoot '../..')

$name = "d4ai-events-$($env:AZURE_ENV_NAME)"
az deployment sub create `
  --name $name `
  --subscription $env:AZURE_SUBSCRIPTION_ID `
  --location $env:AZURE_LOCATION `
  --parameters infra/events.bicepparam `
  --output none
if ($LASTEXITCODE -ne 0) { Write-Error 'The event wiring deployment (infra/events.bicep) failed.' }

$endpoint = az deployment sub show --name $name --subscription $env:AZURE_SUBSCRIPTION_ID `
  --query 'properties.outputs.vendingTopicEndpoint.value' --output tsv
if ($LASTEXITCODE -eq 0 -and $endpoint) {
  azd env set VENDING_TOPIC_ENDPOINT $endpoint
  Write-Host "Vending pipeline topic: $endpoint (publish LandingZone.SubscriptionCreated, see docs/events.md)"
}
