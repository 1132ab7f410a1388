// Resource-group half of subscription-events.bicep: the subscription's
// Microsoft.Resources.Subscriptions system topic and the event subscription that sends successful
// writes of AI resources to the governor. Filtering happens in Event Grid, so the function is only
// invoked for the handful of operations in infra/ai-write-operations.json (which a test keeps equal
// to AI_WRITE_OPERATIONS in shared/ai-resource-types.ts). Plain resources (not
// avm/res/event-grid/system-topic), like the other event modules.

@description('System topic name. Azure allows one Microsoft.Resources.Subscriptions topic per subscription: pass the existing one\'s name (and resource group) to reuse it.')
param systemTopicName string

@description('Tags applied to every resource.')
param tags object = {}

@description('Resource id of the governor Function App.')
param functionAppId string

@description('Event Grid trigger function that receives the events.')
param functionName string = 'onAzureEvent'

@description('User-assigned identity Event Grid dead-letters with.')
param eventGridIdentityId string

@description('Other user-assigned identities already attached to a reused system topic (kept attached).')
param additionalIdentityIds array = []

@description('Storage account holding the dead-letter container.')
param deadLetterStorageId string

@description('Dead-letter blob container.')
param deadLetterContainerName string = 'eventgrid-deadletter'

var aiWriteOperations = loadJsonContent('../ai-write-operations.json')
var identities = reduce(union([eventGridIdentityId], additionalIdentityIds), {}, (merged, id) => union(merged, {
  '${id}': {}
}))

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: systemTopicName
  // Subscription-level system topics are global resources.
  location: 'global'
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: identities
  }
  properties: {
    source: subscription().id
    topicType: 'Microsoft.Resources.Subscriptions'
  }
}

resource aiResourceWrites 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: systemTopic
  name: 'd4ai-ai-resource-writes'
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionAppId}/functions/${functionName}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    // Same envelope as the vending topic (which must be CloudEvents), so the function sees one schema.
    eventDeliverySchema: 'CloudEventSchemaV1_0'
    filter: {
      includedEventTypes: [
        'Microsoft.Resources.ResourceWriteSuccess'
      ]
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.operationName'
          values: aiWriteOperations
        }
      ]
    }
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

output systemTopicId string = systemTopic.id
output eventSubscriptionId string = aiResourceWrites.id
