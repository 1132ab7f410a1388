import type { ActiveExemption } from '../domain/model';
import { ArmRestClient } from './arm-rest';
import type { ArmConnection } from './credential';

/**
 * Policy exemptions on the subscription against our policy assignment. @azure/arm-policy 6+ no
 * longer ships the exemptions operations, so they are read through the Azure SDK REST pipeline
 * (arm-rest.ts) at the 2022-07-01-preview api-version (the newest that the published specs keep
 * stable in shape).
 */
export interface ExemptionsPort {
  /** The first unexpired exemption against the assignment, if any. */
  findActive(subscriptionId: string, policyAssignmentId: string, now: Date): Promise<ActiveExemption | undefined>;
}

export const EXEMPTIONS_API_VERSION = '2022-07-01-preview';

interface ExemptionWire {
  id?: unknown;
  properties?: { policyAssignmentId?: unknown; exemptionCategory?: unknown; expiresOn?: unknown; displayName?: unknown };
}

interface ExemptionPage {
  value?: ExemptionWire[];
  nextLink?: string | null;
}

export class ExemptionsAdapter implements ExemptionsPort {
  private readonly rest: ArmRestClient;

  constructor(connection: ArmConnection) {
    this.rest = new ArmRestClient(connection);
  }

  async findActive(subscriptionId: string, policyAssignmentId: string, now: Date): Promise<ActiveExemption | undefined> {
    // atScope() returns exemptions at the subscription and above it (management groups), which
    // is what applies to the subscription; exemptions on resource groups below do not.
    let path: string | undefined =
      `/subscriptions/${encodeURIComponent(subscriptionId)}/providers/Microsoft.Authorization/policyExemptions`;
    let first = true;
    while (path) {
      const { body } = await this.rest.send({
        method: 'GET',
        path,
        ...(first ? { apiVersion: EXEMPTIONS_API_VERSION, query: { $filter: 'atScope()' } } : {}),
      });
      first = false;
      const page = body as ExemptionPage;
      for (const wire of page.value ?? []) {
        const active = toActive(wire, policyAssignmentId, now);
        if (active) return active;
      }
      path = page.nextLink ?? undefined;
    }
    return undefined;
  }
}

function toActive(wire: ExemptionWire, policyAssignmentId: string, now: Date): ActiveExemption | undefined {
  const props = wire.properties;
  if (typeof wire.id !== 'string' || typeof props?.policyAssignmentId !== 'string') return undefined;
  if (props.policyAssignmentId.toLowerCase() !== policyAssignmentId.toLowerCase()) return undefined;
  const expiresOn = typeof props.expiresOn === 'string' ? props.expiresOn : undefined;
  if (expiresOn !== undefined && !(Date.parse(expiresOn) > now.getTime())) return undefined;
  return {
    id: wire.id,
    category: typeof props.exemptionCategory === 'string' ? props.exemptionCategory : 'Waiver',
    ...(expiresOn ? { expiresOn } : {}),
    ...(typeof props.displayName === 'string' ? { displayName: props.displayName } : {}),
  };
}
