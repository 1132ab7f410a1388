// The app's own storage account: Functions host state, the durable task hub, the deployment
// package (Flex Consumption), the remediation records table and Event Grid dead letters.
//
// Plain resources rather than avm/res/storage/storage-account: the key-less settings below are the
// point of this module and test/infra asserts them in this file. Nothing here can be reached with
// an account key or a SAS: every client (the app, Event Grid, operators) uses Entra ID + RBAC.

@description('Region of the account.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Storage account name (3-24 lower-case letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Table that receives one remediation record per decision (D4AI_RECORDS_TABLE).')
param recordsTableName string = 'RemediationRecords'

@description('Blob container Flex Consumption deploys the app package into.')
param deploymentContainerName string = 'app-package'

@description('Blob container Event Grid writes undeliverable events into.')
param deadLetterContainerName string = 'eventgrid-deadletter'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    // No account keys, no SAS: the host, the durable extension, the records writer and Event Grid
    // dead-lettering all authenticate with managed identities.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    accessTier: 'Hot'
    // Flex Consumption without VNet integration and Event Grid dead-lettering reach the account
    // over its public endpoint; access is still Entra-only (see allowSharedKeyAccess).
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    // Dead letters are evidence of missed events; keep accidental deletes recoverable for a week.
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deadLetterContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

// Created here rather than on first write: the table exists (and is visible to operators) before
// the first decision is recorded, and its name is the same parameter as D4AI_RECORDS_TABLE.
resource recordsTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tableService
  name: recordsTableName
}

output id string = storage.id
output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
// Built rather than read from primaryEndpoints so it has no trailing slash (D4AI_RECORDS_CONNECTION).
output tableEndpoint string = 'https://${storage.name}.table.${environment().suffixes.storage}'
output deploymentContainerName string = deploymentContainer.name
output deadLetterContainerName string = deadLetterContainer.name
output recordsTableName string = recordsTable.name
