// `azd up` entry point: the governor's own resource group and everything in it.
//
// What lives elsewhere, and why:
//  - infra/mg.bicep (postprovision hook): Security Admin + Reader for the app identity and the audit
//    policy assignment, at the management group. ARM cannot reach a management group from this
//    subscription-scoped deployment without a tenant-root hop (see mg.bicep).
//  - infra/events.bicep (postdeploy hook): Event Grid topics and event subscriptions. An event
//    subscription with an AzureFunction destination is rejected until the function exists, i.e.
//    until azd has deployed the code.

targetScope = 'subscription'

// ---------------------------------------------------------------------------------------------
// azd environment
// ---------------------------------------------------------------------------------------------

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; part of every resource name and the azd-env-name tag.')
param environmentName string

@minLength(1)
@description('Region for the app, its storage and its monitoring.')
param location string

@minLength(1)
@description('Management group the governor watches (set with `azd env set AZURE_MANAGEMENT_GROUP_ID <id>`). Used here for D4AI_POLICY_ASSIGNMENT_ID; the roles and the policy are deployed there by the postprovision hook.')
param managementGroupId string

@description('Resource group name; empty means rg-<environmentName>.')
param resourceGroupName string = ''

// ---------------------------------------------------------------------------------------------
// Governor settings. Defaults are shared/config.ts DEFAULTS exactly (test/infra compares them);
// every value becomes the app setting of the same name, read and validated by loadConfig().
// Strings on purpose: app settings are strings, and the app reports a bad value with its name.
// ---------------------------------------------------------------------------------------------

@description('D4AI_COMPONENTS: Defender for AI extensions to switch on (comma-separated: AIPromptEvidence, AIPromptSharingWithPurview, AIModelScanner).')
param components string = 'AIPromptEvidence,AIModelScanner'

@description('D4AI_ENABLE_WHEN: enable only where AI resources exist, or in every subscription.')
@allowed([
  'ai-resources'
  'always'
])
param enableWhen string = 'ai-resources'

// Report mode first: a new deployment records what it would do and writes nothing until someone
// has read the first report and switched deliberately (`azd env set D4AI_MODE enforce`, docs/deploy.md).
// The one default that differs from shared/config.ts DEFAULTS (the CLI's), on purpose.
@description('D4AI_MODE: report (the default here) only records what the governor would do; enforce writes the plan. Switch deliberately, after reading the first report (docs/deploy.md).')
@allowed([
  'enforce'
  'report'
])
param mode string = 'report'

@description('D4AI_OPT_OUT_TAG: subscription tag that opts a subscription out.')
param optOutTag string = 'd4ai-opt-out'

@description('D4AI_MAX_ENABLEMENTS_PER_RUN: writes one sweep or one tenant-watch pass may make before it stops (blast-radius guard).')
param maxEnablementsPerRun string = '500'

@description('D4AI_ARM_ENDPOINT: Resource Manager origin (sovereign clouds differ).')
// The default must equal shared/config.ts DEFAULTS (test/infra compares them); sovereign clouds pass theirs.
#disable-next-line no-hardcoded-env-urls
param armEndpoint string = 'https://management.azure.com'

@description('D4AI_RECORDS_TABLE: table of remediation records; also the table this template creates.')
param recordsTableName string = 'RemediationRecords'

@description('D4AI_SWEEP_CONCURRENCY: subscriptions whose AI accounts a sweep page or watch pass reads at once (and, in the CLI, governs at once).')
param sweepConcurrency string = '8'

@description('D4AI_SWEEP_SCHEDULE: NCRONTAB (six fields, UTC) of the nightlySweep timer.')
param sweepSchedule string = '0 0 2 * * *'

@description('D4AI_WATCH_SCHEDULE: NCRONTAB (six fields, UTC) of the tenantWatch timer.')
param watchSchedule string = '0 */5 * * * *'

@description('D4AI_SWEEP_BATCH: sub-orchestrations the sweep starts per batch.')
param sweepBatch string = '50'

@description('D4AI_RETRY_MAX_ATTEMPTS: attempts per durable activity.')
param retryMaxAttempts string = '4'

@description('D4AI_RETRY_FIRST_INTERVAL_MS: first retry delay of a durable activity.')
param retryFirstIntervalMs string = '5000'

@description('D4AI_RETRY_BACKOFF: retry backoff coefficient.')
param retryBackoff string = '2'

@description('D4AI_HTTP_TIMEOUT_SECONDS: every ARM, Resource Graph and identity request is given up after this.')
param httpTimeoutSeconds string = '60'

@description('D4AI_PRICINGS_API_VERSION: 2026-07-01 (reads managedBy: plans another system manages are never written), or 2024-01-01 where a cloud lacks it.')
@allowed([
  '2026-07-01'
  '2024-01-01'
])
param pricingsApiVersion string = '2026-07-01'

@description('D4AI_EXCLUDED_SUBSCRIPTIONS: comma-separated subscription ids the governor never touches.')
param excludedSubscriptions string = ''

@description('D4AI_RECORDS_CONNECTION: records table endpoint; empty means this deployment\'s storage account.')
param recordsConnection string = ''

@description('Name of the audit policy assignment at the management group (<= 24 characters); D4AI_POLICY_ASSIGNMENT_ID is derived from it. Empty disables exemption lookups.')
@maxLength(24)
param policyAssignmentName string = 'd4ai-audit-ai'

// ---------------------------------------------------------------------------------------------
// Who may call the admin API and read the records (docs/permissions.md)
// ---------------------------------------------------------------------------------------------

@description('Application (client) id of the Entra app registration that fronts the admin API (App Service Authentication). The preprovision hook creates one with the Operator and Reader app roles when this is empty; an empty value at deploy time leaves no identity provider, so every admin request is refused (fail closed).')
param adminClientId string = ''

@description('D4AI_ADMIN_ALLOW_FUNCTION_KEYS: \'true\' also serves the admin API under /api/automation/... to callers holding a function key and no Entra principal. Off unless an automation needs it; such calls are recorded with actor objectId "function-key".')
@allowed([
  'false'
  'true'
])
param adminAllowFunctionKeys string = 'false'

@description('Optional object id of the operators\' Entra group: gets Storage Table Data Contributor on the records table only, so `d4ai records|runs|revert --settings` work against this deployment\'s store.')
param operatorsGroupObjectId string = ''

// ---------------------------------------------------------------------------------------------
// Hosting and operations
// ---------------------------------------------------------------------------------------------

@description('Node.js major version of the Function App.')
// Node.js 22 LTS is the floor (the app's engines field; Node 20 reached end of life on 2026-04-30).
// Add '24' here once Flex Consumption offers it: the code runs on 22 and newer.
@allowed([
  '22'
])
param nodeVersion string = '22'

@description('Optional e-mail address for the failed-remediation alert.')
param alertEmail string = ''

@description('Optional existing action group the failed-remediation alert notifies.')
param alertActionGroupId string = ''

@description('Optional principal id of the subscription-vending pipeline: may attach the Event Grid identity to new subscriptions\' system topics (Managed Identity Operator on that identity only).')
param vendingPipelinePrincipalId string = ''

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var policyAssignmentId = empty(policyAssignmentName)
  ? ''
  : '/providers/Microsoft.Management/managementGroups/${managementGroupId}/providers/Microsoft.Authorization/policyAssignments/${policyAssignmentName}'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
  location: location
  tags: tags
}

// Both identities live in a small local module rather than the Azure Verified Module they used to
// come from: `bicep build` must succeed on a machine that reaches no container registry (CI's), and
// an identity is three properties, nothing a module registry needs to supply.
module governorIdentity 'modules/identity.bicep' = {
  name: 'd4ai-governor-identity'
  scope: rg
  params: {
    name: 'id-d4ai-${resourceToken}'
    location: location
    tags: tags
  }
}

// Separate from the app's identity: Event Grid only needs to write dead letters, and this identity
// gets attached to topics in other subscriptions, where the app's rights must not travel.
module eventGridIdentity 'modules/identity.bicep' = {
  name: 'd4ai-eventgrid-identity'
  scope: rg
  params: {
    name: 'id-d4ai-eg-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'd4ai-monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    logAnalyticsName: 'log-d4ai-${resourceToken}'
    appInsightsName: 'appi-d4ai-${resourceToken}'
  }
}

module storage 'modules/storage.bicep' = {
  name: 'd4ai-storage'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'std4ai${resourceToken}'
    recordsTableName: recordsTableName
    deploymentContainerName: 'app-package'
    deadLetterContainerName: 'eventgrid-deadletter'
  }
}

var d4aiSettings = {
  D4AI_COMPONENTS: components
  D4AI_ENABLE_WHEN: enableWhen
  D4AI_MODE: mode
  D4AI_ADMIN_ALLOW_FUNCTION_KEYS: adminAllowFunctionKeys
  D4AI_OPT_OUT_TAG: optOutTag
  D4AI_MAX_ENABLEMENTS_PER_RUN: maxEnablementsPerRun
  D4AI_ARM_ENDPOINT: armEndpoint
  D4AI_RECORDS_TABLE: recordsTableName
  D4AI_SWEEP_CONCURRENCY: sweepConcurrency
  D4AI_SWEEP_SCHEDULE: sweepSchedule
  D4AI_WATCH_SCHEDULE: watchSchedule
  D4AI_SWEEP_BATCH: sweepBatch
  D4AI_RETRY_MAX_ATTEMPTS: retryMaxAttempts
  D4AI_RETRY_FIRST_INTERVAL_MS: retryFirstIntervalMs
  D4AI_RETRY_BACKOFF: retryBackoff
  D4AI_HTTP_TIMEOUT_SECONDS: httpTimeoutSeconds
  D4AI_PRICINGS_API_VERSION: pricingsApiVersion
  D4AI_EXCLUDED_SUBSCRIPTIONS: excludedSubscriptions
  D4AI_POLICY_ASSIGNMENT_ID: policyAssignmentId
  // The snapshots' scope is the management group this deployment governs (and holds its roles at).
  D4AI_MANAGEMENT_GROUP: managementGroupId
  D4AI_RECORDS_CONNECTION: !empty(recordsConnection) ? recordsConnection : storage.outputs.tableEndpoint
}

module functionApp 'modules/function-app.bicep' = {
  name: 'd4ai-function-app'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'func-d4ai-${resourceToken}'
    planName: 'plan-d4ai-${resourceToken}'
    identityId: governorIdentity.outputs.resourceId
    identityClientId: governorIdentity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: '${storage.outputs.blobEndpoint}${storage.outputs.deploymentContainerName}'
    appInsightsConnectionString: monitoring.outputs.connectionString
    d4aiSettings: d4aiSettings
    nodeVersion: nodeVersion
    adminClientId: adminClientId
    adminAllowFunctionKeys: adminAllowFunctionKeys == 'true'
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'd4ai-rbac'
  scope: rg
  params: {
    governorPrincipalId: governorIdentity.outputs.principalId
    eventGridPrincipalId: eventGridIdentity.outputs.principalId
    eventGridIdentityName: eventGridIdentity.outputs.name
    storageAccountName: storage.outputs.name
    deadLetterContainerName: storage.outputs.deadLetterContainerName
    appInsightsName: monitoring.outputs.appInsightsName
    vendingPipelinePrincipalId: vendingPipelinePrincipalId
    recordsTableName: storage.outputs.recordsTableName
    operatorsGroupObjectId: operatorsGroupObjectId
  }
}

module workbook 'modules/workbook.bicep' = {
  name: 'd4ai-workbook'
  scope: rg
  params: {
    location: location
    tags: tags
    appInsightsId: monitoring.outputs.appInsightsId
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'd4ai-alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    appInsightsId: monitoring.outputs.appInsightsId
    nameSuffix: resourceToken
    alertEmail: alertEmail
    existingActionGroupId: alertActionGroupId
  }
}

// Outputs become azd environment values; the hooks' .bicepparam files read them.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_MANAGEMENT_GROUP_ID string = managementGroupId
output GOVERNOR_FUNCTION_APP_NAME string = functionApp.outputs.name
output GOVERNOR_FUNCTION_APP_ID string = functionApp.outputs.id
output GOVERNOR_FUNCTION_APP_URL string = 'https://${functionApp.outputs.defaultHostName}'
// Not D4AI_RECORDS_CONNECTION: azd would feed an output of that name back in as the parameter.
output GOVERNOR_RECORDS_ENDPOINT string = d4aiSettings.D4AI_RECORDS_CONNECTION
output GOVERNOR_PRINCIPAL_ID string = governorIdentity.outputs.principalId
output GOVERNOR_CLIENT_ID string = governorIdentity.outputs.clientId
output EVENTGRID_IDENTITY_ID string = eventGridIdentity.outputs.resourceId
output STORAGE_ACCOUNT_ID string = storage.outputs.id
output STORAGE_ACCOUNT_NAME string = storage.outputs.name
output DEADLETTER_CONTAINER_NAME string = storage.outputs.deadLetterContainerName
output RECORDS_TABLE_NAME string = storage.outputs.recordsTableName
output APPLICATIONINSIGHTS_ID string = monitoring.outputs.appInsightsId
output WORKBOOK_ID string = workbook.outputs.workbookId
output D4AI_POLICY_ASSIGNMENT_NAME string = policyAssignmentName
output D4AI_POLICY_ASSIGNMENT_ID string = policyAssignmentId
output RESOURCE_TOKEN string = resourceToken
