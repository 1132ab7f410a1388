// Parameters of infra/mg.bicep, read from the azd environment by the postprovision hook
// (azd exports every environment value, including main.bicep outputs, to hook processes).
using 'mg.bicep'

param governorPrincipalId = readEnvironmentVariable('GOVERNOR_PRINCIPAL_ID')
param policyAssignmentName = readEnvironmentVariable('D4AI_POLICY_ASSIGNMENT_NAME', 'd4ai-audit-ai')
param auditEffect = readEnvironmentVariable('D4AI_AUDIT_EFFECT', 'AuditIfNotExists')
