// Management-group part of the deployment, run by the azd postprovision hook
// (infra/hooks/postprovision.*) with `az deployment mg create --parameters infra/mg.bicepparam`.
//
// Why not a module of main.bicep: ARM cannot deploy from a subscription-scoped deployment into a
// management group; the only route is a hop through tenant scope, which would require the person
// running `azd up` to hold Owner at the tenant root ("/"). Deploying this file at the management
// group needs only rights on that management group (see docs/permissions.md).

targetScope = 'managementGroup'

@description('Principal (object) id of the governor\'s user-assigned identity (main.bicep output GOVERNOR_PRINCIPAL_ID).')
param governorPrincipalId string

@description('Audit policy assignment name (main.bicep output D4AI_POLICY_ASSIGNMENT_NAME); main.bicep already put its id into D4AI_POLICY_ASSIGNMENT_ID.')
@maxLength(24)
param policyAssignmentName string = 'd4ai-audit-ai'

@description('Effect of the audit assignment.')
@allowed([
  'AuditIfNotExists'
  'Disabled'
])
param auditEffect string = 'AuditIfNotExists'

module rbac 'modules/mg-rbac.bicep' = {
  name: 'd4ai-mg-rbac'
  params: {
    principalId: governorPrincipalId
  }
}

// An empty name means "no audit assignment" (main.bicep then leaves D4AI_POLICY_ASSIGNMENT_ID empty).
module policy 'modules/mg-policy.bicep' = if (!empty(policyAssignmentName)) {
  name: 'd4ai-mg-policy'
  params: {
    assignmentName: policyAssignmentName
    effect: auditEffect
  }
}

// The hook compares this with the app setting main.bicep wrote. camelCase, not azd's UPPER_CASE:
// azd never reads this deployment, and az CLI rewrites the case of upper-case output names.
output policyAssignmentId string = !empty(policyAssignmentName) ? policy!.outputs.assignmentId : ''
