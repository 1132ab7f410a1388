// Data-plane roles, each scoped to the single resource that needs it. Nothing here is granted at
// resource-group or subscription scope, and no Owner/Contributor-style control-plane role is used
// (the management-group roles that let the governor do its job are in mg-rbac.bicep).
// See docs/permissions.md for why each role exists. Plain role assignments rather than an AVM
// pattern module: each role id stays a named literal here, which test/infra and reviewers read.

@description('Principal (object) id of the governor\'s user-assigned identity.')
param governorPrincipalId string

@description('Principal id of the Event Grid identity that writes dead letters.')
param eventGridPrincipalId string

@description('Name of that Event Grid user-assigned identity (the vending pipeline may be allowed to attach it).')
param eventGridIdentityName string

@description('The app\'s storage account.')
param storageAccountName string

@description('Blob container Event Grid dead-letters into.')
param deadLetterContainerName string

@description('The Application Insights component the app publishes telemetry to.')
param appInsightsName string

@description('Optional: principal of the subscription-vending pipeline, allowed to attach the Event Grid identity when it deploys subscription-events.bicep into a new subscription.')
param vendingPipelinePrincipalId string = ''

@description('Type of the vending pipeline principal.')
@allowed([
  'ServicePrincipal'
  'Group'
  'User'
])
param vendingPipelinePrincipalType string = 'ServicePrincipal'

@description('Records table (D4AI_RECORDS_TABLE) the operators\' group may read and write.')
param recordsTableName string

@description('Optional: object id of the operators\' Entra group; gets Storage Table Data Contributor on the records table only.')
param operatorsGroupObjectId string = ''

// Built-in role definition ids (same in every tenant).
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
var managedIdentityOperator = 'f1a07417-d97a-45cb-824c-7a7467783830'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: blobService
  name: deadLetterContainerName
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource recordsTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' existing = {
  parent: tableService
  name: recordsTableName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource eventGridIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: eventGridIdentityName
}

// Functions host (leases, timers, deployment package) and the durable task hub's blobs.
resource governorBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, governorPrincipalId, storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner)
    principalId: governorPrincipalId
    principalType: 'ServicePrincipal'
    description: 'd4ai: Functions host and durable task hub blobs'
  }
}

// Durable task hub control/work-item queues.
resource governorQueueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, governorPrincipalId, storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataContributor)
    principalId: governorPrincipalId
    principalType: 'ServicePrincipal'
    description: 'd4ai: durable task hub queues'
  }
}

// Durable instance/history tables and the remediation records table.
resource governorTableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, governorPrincipalId, storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributor)
    principalId: governorPrincipalId
    principalType: 'ServicePrincipal'
    description: 'd4ai: durable history and remediation records tables'
  }
}

// Entra-authenticated telemetry ingestion (the component has local auth disabled).
resource governorMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, governorPrincipalId, monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: governorPrincipalId
    principalType: 'ServicePrincipal'
    description: 'd4ai: Application Insights ingestion with Entra ID'
  }
}

// Event Grid writes undeliverable events with this identity; only into the dead-letter container.
resource eventGridDeadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deadLetterContainer.id, eventGridPrincipalId, storageBlobDataContributor)
  scope: deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: eventGridPrincipalId
    principalType: 'ServicePrincipal'
    description: 'd4ai: Event Grid dead-lettering'
  }
}

// Attaching a user-assigned identity to a resource (the per-subscription system topic) needs
// .../assign/action on that identity; this is the only right the vending pipeline gets here.
resource vendingIdentityOperator 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(vendingPipelinePrincipalId)) {
  name: guid(eventGridIdentity.id, vendingPipelinePrincipalId, managedIdentityOperator)
  scope: eventGridIdentity
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', managedIdentityOperator)
    principalId: vendingPipelinePrincipalId
    principalType: vendingPipelinePrincipalType
    description: 'd4ai: vending pipeline attaches the Event Grid identity to new subscriptions\' system topics'
  }
}

// Operators run `d4ai records|runs|revert|sweep --settings <the app's settings>` against the
// records table. Contributor, not Reader: the store creates its table on first use (tables/write)
// and revert and sweeps write records and the tenant lease. Scoped to this one table: the durable
// task hub's history tables in the same account stay out of reach.
resource operatorsRecordsContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorsGroupObjectId)) {
  name: guid(recordsTable.id, operatorsGroupObjectId, storageTableDataContributor)
  scope: recordsTable
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributor)
    principalId: operatorsGroupObjectId
    principalType: 'Group'
    description: 'd4ai: operators read and write remediation records with the CLI'
  }
}
