// Alert on failed remediations: a subscription that runs AI workloads and could not be switched on
// is the one outcome an operator must look at. The query is infra/queries/failed-remediations.kql,
// shared with the saved queries so what the alert counts is what an operator reruns.
// Plain resources: two small resources whose every property matters here; an AVM wrapper adds nothing.

@description('Region of the alert rule.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Resource id of the Application Insights component whose traces are queried.')
param appInsightsId string

@description('Suffix that keeps names unique per environment.')
param nameSuffix string

@description('Optional e-mail address; when set, an action group that e-mails it is created.')
param alertEmail string = ''

@description('Optional resource id of an existing action group to notify as well.')
param existingActionGroupId string = ''

@description('How often the rule runs, and the window it looks at (ISO 8601).')
param evaluationFrequency string = 'PT15M'

@description('Alert severity (0 critical - 4 verbose).')
@minValue(0)
@maxValue(4)
param severity int = 2

resource emailGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: 'ag-d4ai-${nameSuffix}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'd4ai'
    enabled: true
    emailReceivers: [
      {
        name: 'd4ai-operators'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var actionGroups = concat(empty(alertEmail) ? [] : [emailGroup.id], empty(existingActionGroupId) ? [] : [existingActionGroupId])

resource failedRemediations 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = {
  name: 'd4ai-failed-remediations-${nameSuffix}'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'D4AI: failed remediations'
    description: 'A Defender for AI decision ended with outcome "failed", its record could not be stored (RecordWriteFailed), or an extension newly failed to enable (outcome "partial"). The records table (and the workbook\'s Failures section) has the subscription, error code and message.'
    severity: severity
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: evaluationFrequency
    windowSize: evaluationFrequency
    criteria: {
      allOf: [
        {
          query: loadTextContent('../queries/failed-remediations.kql')
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: actionGroups
    }
  }
}

output alertRuleId string = failedRemediations.id
