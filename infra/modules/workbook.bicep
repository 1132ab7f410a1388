// The operations workbook, attached to the Application Insights component so it opens from there.
// Its content lives in infra/workbook/d4ai-workbook.json (edit it in the portal's Advanced Editor
// and paste it back); its queries may only use LOG_FIELDS / LOG_MESSAGES from
// shared/observability/log.ts, which test/infra enforces. A plain resource: one property set.

@description('Region of the workbook resource.')
param location string

@description('Tags applied to the workbook.')
param tags object

@description('Resource id of the Application Insights component the workbook queries.')
param appInsightsId string

@description('Name shown in the workbook gallery.')
param displayName string = 'Defender for AI governor'

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // Workbook names must be GUIDs; derive it so redeployments update the same workbook.
  name: guid(resourceGroup().id, appInsightsId, 'd4ai-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    version: 'Notebook/1.0'
    sourceId: toLower(appInsightsId)
    serializedData: loadTextContent('../workbook/d4ai-workbook.json')
  }
}

output workbookId string = workbook.id
