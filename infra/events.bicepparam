// Parameters of infra/events.bicep, read from the azd environment by the postdeploy hook.
// Values without a default are main.bicep outputs; the others are optional `azd env set` inputs.
using 'events.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME')
param location = readEnvironmentVariable('AZURE_LOCATION')
param resourceGroupName = readEnvironmentVariable('AZURE_RESOURCE_GROUP')
param resourceToken = readEnvironmentVariable('RESOURCE_TOKEN')
param functionAppId = readEnvironmentVariable('GOVERNOR_FUNCTION_APP_ID')
param eventGridIdentityId = readEnvironmentVariable('EVENTGRID_IDENTITY_ID')
param storageAccountId = readEnvironmentVariable('STORAGE_ACCOUNT_ID')
param deadLetterContainerName = readEnvironmentVariable('DEADLETTER_CONTAINER_NAME', 'eventgrid-deadletter')
param watchedSubscriptionIds = readEnvironmentVariable('D4AI_WATCHED_SUBSCRIPTION_IDS', '')
param vendingPublisherPrincipalId = readEnvironmentVariable('VENDING_PIPELINE_PRINCIPAL_ID', '')
