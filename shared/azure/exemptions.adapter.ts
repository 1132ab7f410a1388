import type { ExemptionView } from '../domain/model';
import { ArmRestClient } from './arm-rest';
import type { ArmConnection } from './credential';
import { PageGuard } from './pipeline-policies';
import { toExemption } from './policy-wire';

/**
 * Policy exemptions that apply to a subscription: atScope() returns those at the subscription and
 * above it (management groups); exemptions on resource groups below do not exempt the subscription.
 * @azure/arm-policy 6+ no longer ships the exemptions operations, so they are read through the
 * Azure SDK REST pipeline (arm-rest.ts) at 2022-07-01-preview (the newest the published specs
 * keep stable in shape). Which exemption counts is decided in domain/policy-scope.ts.
 */
export interface ExemptionsPort {
  listApplying(subscriptionId: string): Promise<ExemptionView[]>;
}

export const EXEMPTIONS_API_VERSION = '2022-07-01-preview';

interface ExemptionPage {
  value?: unknown[];
  nextLink?: string | null;
}

export class ExemptionsAdapter implements ExemptionsPort {
  private readonly rest: ArmRestClient;

  constructor(connection: ArmConnection) {
    this.rest = new ArmRestClient(connection);
  }

  async listApplying(subscriptionId: string): Promise<ExemptionView[]> {
    const result: ExemptionView[] = [];
    let path: string | undefined = `/subscriptions/${encodeURIComponent(subscriptionId)}/providers/Microsoft.Authorization/policyExemptions`;
    let first = true;
    const guard = new PageGuard(`Policy exemptions of ${subscriptionId}`);
    while (path) {
      const { body } = await this.rest.send({
        method: 'GET',
        path,
        ...(first ? { apiVersion: EXEMPTIONS_API_VERSION, query: { $filter: 'atScope()' } } : {}),
      });
      first = false;
      const page = (body ?? {}) as ExemptionPage;
      for (const wire of page.value ?? []) {
        const exemption = toExemption((wire ?? {}) as Record<string, unknown>);
        if (exemption) result.push(exemption);
      }
      path = guard.next(page.nextLink ?? undefined);
    }
    return result;
  }
}
