// Log Analytics + workspace-based Application Insights for the governor's structured logs.
//
// Both are plain resources: `bicep build` must work on a machine without access to a module
// registry (CI's), and test/infra reads their compiled form. Application Insights is a plain resource on purpose: local (instrumentation-key) ingestion must
// be off so only the app's managed identity (Monitoring Metrics Publisher) can write telemetry, and
// test/infra asserts `DisableLocalAuth: true` here, where it is visible without the registry.

@description('Region for the workspace and the component.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Log Analytics workspace name.')
param logAnalyticsName string

@description('Application Insights component name.')
param appInsightsName string

@description('Days the workspace keeps logs; remediation records live in Table Storage, so logs are for operations only.')
@minValue(30)
@maxValue(730)
param retentionInDays int = 90

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
    // Entra-only ingestion: the connection string alone can no longer be used to write (or forge)
    // decision logs, which the workbook and the failure alert trust.
    DisableLocalAuth: true
  }
}

output appInsightsId string = appInsights.id
output appInsightsName string = appInsights.name
output connectionString string = appInsights.properties.ConnectionString
output workspaceId string = workspace.id
