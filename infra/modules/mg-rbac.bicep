// The governor's control-plane rights, granted once at the management group so they inherit to
// every subscription below it, including subscriptions created later.
//
// Security Admin: the only built-in role short of Owner/Contributor that can write
//   Microsoft.Security/pricings (turn the AI plan and its extensions on).
// Reader: list subscriptions and their tags, inventory AI resources, read policy assignments and
//   exemptions (so an exemption on the audit assignment exempts a subscription from the app).
// Nothing else: the app never creates Event Grid topics or role assignments itself.

targetScope = 'managementGroup'

@description('Principal (object) id of the governor\'s user-assigned identity.')
param principalId string

var securityAdmin = 'fb1c8493-542b-48eb-b624-b4c8fea62acd'
var reader = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'

resource securityAdminAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(managementGroup().id, principalId, securityAdmin)
  properties: {
    roleDefinitionId: tenantResourceId('Microsoft.Authorization/roleDefinitions', securityAdmin)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'd4ai: write Microsoft.Security/pricings/AI in every subscription below this management group'
  }
}

resource readerAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(managementGroup().id, principalId, reader)
  properties: {
    roleDefinitionId: tenantResourceId('Microsoft.Authorization/roleDefinitions', reader)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'd4ai: inventory AI resources, subscriptions, policy assignments and exemptions'
  }
}

output securityAdminAssignmentId string = securityAdminAssignment.id
output readerAssignmentId string = readerAssignment.id
