// One system topic for Azure Policy state changes of the WHOLE management group. It is how the
// governor notices subscriptions nobody told it about: a subscription created in (or moved into)
// the management group is evaluated by the audit assignment and reported NonCompliant while its AI
// plan is off; so is a subscription whose plan someone switched back to Free. Only those events
// (our assignment, NonCompliant) are delivered; shared/events.ts turns them into a govern request.
// Plain resources (not avm/res/event-grid/system-topic), like the other event modules.

@description('Tags applied to the topic.')
param tags object

@description('System topic name.')
param systemTopicName string

@description('Management group the audit policy is assigned to.')
param managementGroupId string

@description('Resource id of the audit policy assignment (D4AI_POLICY_ASSIGNMENT_ID).')
param policyAssignmentId string

@description('Resource id of the governor Function App.')
param functionAppId string

@description('Event Grid trigger function that receives the events.')
param functionName string = 'onAzureEvent'

@description('User-assigned identity Event Grid dead-letters with.')
param eventGridIdentityId string

@description('Storage account holding the dead-letter container.')
param deadLetterStorageId string

@description('Dead-letter blob container.')
param deadLetterContainerName string = 'eventgrid-deadletter'

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: systemTopicName
  location: 'global'
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${eventGridIdentityId}': {}
    }
  }
  properties: {
    // Management-group sources are addressed through the tenant.
    source: '/tenants/${tenant().tenantId}/providers/Microsoft.Management/managementGroups/${managementGroupId}'
    topicType: 'Microsoft.PolicyInsights.PolicyStates'
  }
}

resource nonCompliant 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: systemTopic
  name: 'd4ai-audit-noncompliant'
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
        'Microsoft.PolicyInsights.PolicyStateCreated'
        'Microsoft.PolicyInsights.PolicyStateChanged'
      ]
      // Event Grid string filters ignore case, so ARM's lower-cased assignment ids still match.
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.policyAssignmentId'
          values: [
            policyAssignmentId
          ]
        }
        {
          operatorType: 'StringIn'
          key: 'data.complianceState'
          values: [
            'NonCompliant'
          ]
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
