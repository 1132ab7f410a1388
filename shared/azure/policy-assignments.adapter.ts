import { PolicyClient } from '@azure/arm-policy';
import type { PolicyAssignmentInfo } from '../domain/model';
import { isDefenderForAiDefinition } from '../domain/policy-scope';
import { sdkClientOptions, type ArmConnection } from './credential';
import { boundedPages } from './pipeline-policies';

/**
 * Defender-for-AI assignments that apply to the subscription (@azure/arm-policy): the audit policy
 * (its exemptions exempt from the governor) and the DeployIfNotExists policies (they may fight
 * the configured components).
 */
export interface PolicyAssignmentsPort {
  listDefenderForAi(subscriptionId: string): Promise<PolicyAssignmentInfo[]>;
}

export class PolicyAssignmentsAdapter implements PolicyAssignmentsPort {
  constructor(private readonly connection: ArmConnection) {}

  async listDefenderForAi(subscriptionId: string): Promise<PolicyAssignmentInfo[]> {
    const client = new PolicyClient(this.connection.credential, subscriptionId, sdkClientOptions(this.connection));
    const result: PolicyAssignmentInfo[] = [];
    // atScope(): assignments at the subscription and inherited from its management groups.
    for await (const assignment of boundedPages(client.policyAssignments.list({ filter: 'atScope()' }).byPage(), `Policy assignments of ${subscriptionId}`)) {
      if (!assignment.id || !assignment.policyDefinitionId || !isDefenderForAiDefinition(assignment.policyDefinitionId)) continue;
      const parameters: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(assignment.parameters ?? {})) parameters[name] = value.value as unknown;
      result.push({
        id: assignment.id,
        ...(assignment.displayName ? { displayName: assignment.displayName } : {}),
        policyDefinitionId: assignment.policyDefinitionId,
        ...(assignment.enforcementMode ? { enforcementMode: assignment.enforcementMode } : {}),
        ...(assignment.definitionVersion ? { definitionVersion: assignment.definitionVersion } : {}),
        ...(assignment.effectiveDefinitionVersion ? { effectiveDefinitionVersion: assignment.effectiveDefinitionVersion } : {}),
        parameters,
      });
    }
    return result;
  }
}
