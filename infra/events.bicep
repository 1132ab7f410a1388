// Event wiring, run by the azd postdeploy hook (infra/hooks/postdeploy.*) with
// `az deployment sub create --parameters infra/events.bicepparam` in the governor's subscription.
// It runs after `azd deploy` because Event Grid refuses an AzureFunction destination whose
// function (onAzureEvent) does not exist yet.
//
// Two event sources, one function (docs/events.md):
//  1. the vending pipeline's custom topic: LandingZone.SubscriptionCreated, seconds after vending;
//  2. per watched subscription, successful writes of AI resources (subscription-events.bicep).
// Event Grid has no tenant or management-group source for resource writes or policy states (the
// system topics take a subscription as their source), so there is no management-group topic here:
// the tenantWatch timer (every 5 minutes, Resource Graph) covers every subscription in scope,
// wired or not, and the nightly sweep audits everything. A missed event costs minutes, not coverage.

targetScope = 'subscription'

@minLength(1)
@description('azd environment name (tags).')
param environmentName string

@minLength(1)
@description('Region of the governor deployment.')
param location string

@description('The governor\'s resource group (main.bicep output AZURE_RESOURCE_GROUP).')
param resourceGroupName string

@description('Suffix that keeps names unique per environment (main.bicep output RESOURCE_TOKEN).')
param resourceToken string

@description('Resource id of the governor Function App.')
param functionAppId string

@description('Event Grid trigger function that receives every event.')
param functionName string = 'onAzureEvent'

@description('Resource id of the Event Grid identity (dead-lettering).')
param eventGridIdentityId string

@description('Resource id of the governor storage account (dead-letter container).')
param storageAccountId string

@description('Dead-letter blob container.')
param deadLetterContainerName string = 'eventgrid-deadletter'

@description('Comma-separated ids of existing subscriptions to wire for real-time AI-resource events.')
param watchedSubscriptionIds string = ''

@description('Optional principal of the vending pipeline: EventGrid Data Sender on the vending topic.')
param vendingPublisherPrincipalId string = ''

var tags = {
  'azd-env-name': environmentName
}
var watched = filter(map(split(watchedSubscriptionIds, ','), id => trim(id)), id => !empty(id))

resource governorGroup 'Microsoft.Resources/resourceGroups@2024-03-01' existing = {
  name: resourceGroupName
}

module vendingTopic 'modules/vending-topic.bicep' = {
  name: 'd4ai-vending-topic'
  scope: governorGroup
  params: {
    location: location
    tags: tags
    name: 'evgt-d4ai-vending-${resourceToken}'
    functionAppId: functionAppId
    functionName: functionName
    eventGridIdentityId: eventGridIdentityId
    deadLetterStorageId: storageAccountId
    deadLetterContainerName: deadLetterContainerName
    publisherPrincipalId: vendingPublisherPrincipalId
  }
}

module watchedSubscriptions 'modules/subscription-events.bicep' = [
  for subscriptionId in watched: {
    name: 'd4ai-events-${uniqueString(subscriptionId, resourceToken)}'
    scope: subscription(subscriptionId)
    params: {
      location: location
      tags: tags
      functionAppId: functionAppId
      functionName: functionName
      eventGridIdentityId: eventGridIdentityId
      deadLetterStorageId: storageAccountId
      deadLetterContainerName: deadLetterContainerName
    }
  }
]

// camelCase, not azd's UPPER_CASE: the hook reads these through az CLI, which rewrites the case of
// upper-case output names; it stores the endpoint in the azd environment as VENDING_TOPIC_ENDPOINT.
output vendingTopicEndpoint string = vendingTopic.outputs.topicEndpoint
output vendingTopicId string = vendingTopic.outputs.topicId
output vendingEventType string = vendingTopic.outputs.eventType
