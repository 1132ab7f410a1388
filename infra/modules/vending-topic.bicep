// Custom topic the subscription-vending pipeline publishes `LandingZone.SubscriptionCreated` to
// (CloudEvents 1.0, data: { "subscriptionId": "<guid>" }; contract in docs/events.md), and its
// event subscription to the governor's `onAzureEvent` function. A new subscription is then governed
// seconds after it is vended instead of at the next policy evaluation or nightly sweep.
// Plain resources (not avm/res/event-grid/topic): the delivery settings below are asserted by
// test/infra and are identical across the three event modules.

@description('Region of the topic.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Custom topic name.')
param name string

@description('Resource id of the governor Function App.')
param functionAppId string

@description('Event Grid trigger function that receives the events.')
param functionName string = 'onAzureEvent'

@description('User-assigned identity Event Grid dead-letters with (Storage Blob Data Contributor on the container).')
param eventGridIdentityId string

@description('Storage account holding the dead-letter container.')
param deadLetterStorageId string

@description('Dead-letter blob container.')
param deadLetterContainerName string = 'eventgrid-deadletter'

@description('Optional: principal of the vending pipeline; gets EventGrid Data Sender on this topic only.')
param publisherPrincipalId string = ''

@description('Type of the publisher principal.')
@allowed([
  'ServicePrincipal'
  'Group'
  'User'
])
param publisherPrincipalType string = 'ServicePrincipal'

// Must match SUBSCRIPTION_CREATED_EVENT_TYPE in shared/events.ts (test/infra checks it).
var subscriptionCreatedEventType = 'LandingZone.SubscriptionCreated'
var eventGridDataSender = 'd5a91429-5739-47e2-a06b-3470a27159e7'

resource topic 'Microsoft.EventGrid/topics@2022-06-15' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${eventGridIdentityId}': {}
    }
  }
  properties: {
    // The vending pipeline publishes CloudEvents; subscriptions on a CloudEvents topic must deliver
    // CloudEvents too, which is why every d4ai event subscription uses that schema.
    inputSchema: 'CloudEventSchemaV1_0'
    // Publishers authenticate with Entra ID (EventGrid Data Sender); topic access keys are off.
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource toGovernor 'Microsoft.EventGrid/topics/eventSubscriptions@2022-06-15' = {
  parent: topic
  name: 'd4ai-subscription-created'
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionAppId}/functions/${functionName}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'CloudEventSchemaV1_0'
    filter: {
      includedEventTypes: [
        subscriptionCreatedEventType
      ]
    }
    // A day of retries rides out a Functions outage or deployment; after that the event is kept in
    // the dead-letter container and the nightly sweep still covers the subscription.
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'UserAssigned'
        userAssignedIdentity: eventGridIdentityId
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: deadLetterStorageId
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

resource publisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(publisherPrincipalId)) {
  name: guid(topic.id, publisherPrincipalId, eventGridDataSender)
  scope: topic
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', eventGridDataSender)
    principalId: publisherPrincipalId
    principalType: publisherPrincipalType
    description: 'd4ai: vending pipeline publishes LandingZone.SubscriptionCreated'
  }
}

output topicId string = topic.id
output topicEndpoint string = topic.properties.endpoint
output eventType string = subscriptionCreatedEventType
