// Real-time wiring for ONE watched subscription: when an AI resource is written there, the
// governor hears about it within seconds. Deploy it per subscription:
//  - for existing subscriptions: list them in D4AI_WATCHED_SUBSCRIPTION_IDS, the azd postdeploy
//    hook deploys this module into each (infra/events.bicep);
//  - for new subscriptions: the vending pipeline deploys it right after creating the subscription
//    (docs/events.md has the command), next to publishing LandingZone.SubscriptionCreated.
// Subscriptions without it are still governed: the policy-state events and the nightly sweep
// catch them, only later (docs/events.md, "How new subscriptions are covered").

targetScope = 'subscription'

@description('Region of the resource group that holds the (global) system topic.')
param location string = deployment().location

@description('Resource group for the system topic; created if missing.')
param resourceGroupName string = 'rg-d4ai-events'

@description('System topic name; reuse the existing Microsoft.Resources.Subscriptions topic if the subscription has one.')
param systemTopicName string = 'd4ai-subscription-events'

@description('Tags applied to the resource group and the topic.')
param tags object = {}

@description('Resource id of the governor Function App.')
param functionAppId string

@description('Event Grid trigger function that receives the events.')
param functionName string = 'onAzureEvent'

@description('Resource id of the governor\'s Event Grid identity (main.bicep output EVENTGRID_IDENTITY_ID).')
param eventGridIdentityId string

@description('Other user-assigned identities already attached to a reused system topic.')
param additionalIdentityIds array = []

@description('Resource id of the governor storage account (main.bicep output STORAGE_ACCOUNT_ID).')
param deadLetterStorageId string

@description('Dead-letter blob container.')
param deadLetterContainerName string = 'eventgrid-deadletter'

resource eventsGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: resourceGroupName
  location: location
  tags: tags
}

module topic 'subscription-events-topic.bicep' = {
  name: 'd4ai-subscription-events-topic'
  scope: eventsGroup
  params: {
    systemTopicName: systemTopicName
    tags: tags
    functionAppId: functionAppId
    functionName: functionName
    eventGridIdentityId: eventGridIdentityId
    additionalIdentityIds: additionalIdentityIds
    deadLetterStorageId: deadLetterStorageId
    deadLetterContainerName: deadLetterContainerName
  }
}

output systemTopicId string = topic.outputs.systemTopicId
output eventSubscriptionId string = topic.outputs.eventSubscriptionId
