// Assigns the built-in audit policy "Microsoft Defender for AI Services should be enabled" at the
// management group. It changes nothing by itself; it gives the governor two things:
//  - a compliance view that agrees with the records (AuditIfNotExists on pricings/AI = Standard);
//  - a policy assignment to exempt subscriptions against (D4AI_POLICY_ASSIGNMENT_ID: an active,
//    unexpired exemption on this assignment, or on any assignment of this definition, makes the app
//    skip the subscription; exemptions at a management group cover every subscription below it).
// Audit only, on purpose: a DeployIfNotExists twin would turn on every AI extension with service
// defaults and fight D4AI_COMPONENTS (see shared/domain/policy-conflicts.ts).

targetScope = 'managementGroup'

@description('Assignment name; at most 24 characters at management-group scope. main.bicep derives D4AI_POLICY_ASSIGNMENT_ID from the same name.')
@maxLength(24)
param assignmentName string = 'd4ai-audit-ai'

// Built-in definition c2c0c6d8-007b-4a48-8d9b-3539bddd8e87, "Microsoft Defender for AI Services
// should be enabled" (Security Center, AuditIfNotExists on Microsoft.Security/pricings name AI with
// pricingTier Standard); confirmed against Azure/azure-policy built-in-policies
// ASC_Azure_Defender_AI_AINE.json. A parameter so a sovereign cloud can point elsewhere.
@description('Name (GUID) of the built-in policy definition to assign.')
param policyDefinitionName string = 'c2c0c6d8-007b-4a48-8d9b-3539bddd8e87'

@description('Policy effect: AuditIfNotExists, or Disabled to keep the assignment (for exemptions) without evaluation.')
@allowed([
  'AuditIfNotExists'
  'Disabled'
])
param effect string = 'AuditIfNotExists'

@description('Scopes below the management group that the assignment skips entirely.')
param notScopes array = []

resource assignment 'Microsoft.Authorization/policyAssignments@2023-04-01' = {
  name: assignmentName
  properties: {
    displayName: 'Microsoft Defender for AI Services should be enabled (d4ai governor)'
    description: 'Audits that every subscription runs Defender for AI Services (pricings/AI = Standard). The d4ai governor enables it; exempt a subscription here to exempt it from the governor.'
    policyDefinitionId: tenantResourceId('Microsoft.Authorization/policyDefinitions', policyDefinitionName)
    enforcementMode: 'Default'
    notScopes: notScopes
    parameters: {
      effect: {
        value: effect
      }
    }
    nonComplianceMessages: [
      {
        message: 'Defender for AI Services is off in this subscription. The d4ai governor turns it on when AI workloads are present; request a policy exemption on this assignment to opt out.'
      }
    ]
    metadata: {
      assignedBy: 'defender-ai-governor'
    }
  }
}

output assignmentId string = assignment.id
output assignmentName string = assignment.name
