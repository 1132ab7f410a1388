import { AI_RESOURCE_GRAPH_TYPE_LIST, canonicalAiResourceType, isAiResource } from '../ai-resource-types';
import { AI_PLAN_NAME } from '../domain/extensions';
import type { AiResource, ExemptionView, PolicyAssignmentView, PolicyView, PricingSnapshot, SnapshotEntry, SubscriptionInfo } from '../domain/model';
import { narrowPolicyView } from '../domain/policy-scope';
import { record, text, toAssignment, toExemption } from './policy-wire';
import { parsePricing } from './pricing.adapter';
import { GovernError } from '../engine/errors';
import type { GraphRow, GraphScope, ResourceGraphPort } from './resource-graph.adapter';

/**
 * The tenant as Azure Resource Graph shows it, in the shapes the engine decides from. A snapshot
 * is read one page of subscriptions at a time (at most 1,000), each page with its AI plans and AI
 * resources (queries scoped to exactly those subscriptions), plus the tenant's Defender-for-AI
 * policy read once per pass. So a snapshot of N subscriptions costs about 3·⌈N/1000⌉ + 1
 * requests, and memory holds one page at a time.
 *
 * The queries keep to a small KQL subset that any Resource-Graph-compatible endpoint answers and
 * the stand-in implements honestly: `<table> | where <column> =~ '<v>' | where <column> in~ (...)
 * | project ...`, `and` only, the table's own columns only. Kinds, extensions, expiry, ancestry and
 * exemption scopes are interpreted here and in domain/, not in KQL.
 */

export const SNAPSHOT_QUERIES = {
  subscriptions: "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' | project id, name, subscriptionId, tenantId, tags, properties",
  aiPlans: `securityresources | where type =~ 'microsoft.security/pricings' and name =~ '${AI_PLAN_NAME}' | project id, name, subscriptionId, properties`,
  aiResources: `resources | where type in~ (${AI_RESOURCE_GRAPH_TYPE_LIST}) | project id, name, type, kind, location, subscriptionId`,
  policy:
    "policyresources | where type in~ ('microsoft.authorization/policyassignments', 'microsoft.authorization/policyexemptions') | project id, name, type, subscriptionId, properties",
} as const;

export interface SnapshotPage {
  entries: SnapshotEntry[];
  /** Continues the subscription listing; undefined on the last page. */
  skipToken?: string;
  /** Subscriptions in the whole scope, when known (for progress and estimates). */
  total?: number;
}

export interface TenantSnapshotPort {
  /** One page of subscriptions with their AI plans and AI resources. */
  page(scope: GraphScope, skipToken?: string): Promise<SnapshotPage>;
  /** Every page of the scope. */
  pages(scope: GraphScope): AsyncIterable<SnapshotPage>;
  /** The Defender-for-AI assignments and the exemptions on them, including those above the scope. */
  policy(scope: GraphScope, configuredAssignmentId: string | undefined): Promise<PolicyView>;
}

export class TenantSnapshotAdapter implements TenantSnapshotPort {
  constructor(private readonly graph: ResourceGraphPort) {}

  async page(scope: GraphScope, skipToken?: string): Promise<SnapshotPage> {
    const listed = await this.graph.page(SNAPSHOT_QUERIES.subscriptions, scope, skipToken ? { skipToken } : {});
    return { entries: await this.join(listed.rows), ...(listed.skipToken ? { skipToken: listed.skipToken } : {}), ...(listed.total !== undefined ? { total: listed.total } : {}) };
  }

  async *pages(scope: GraphScope): AsyncIterable<SnapshotPage> {
    if (scope.subscriptions) {
      // An explicit list: split into requests of at most 1,000 by the graph adapter; its length is the total.
      for await (const rows of this.graph.pages(SNAPSHOT_QUERIES.subscriptions, scope)) yield { entries: await this.join(rows), total: scope.subscriptions.length };
      return;
    }
    let skipToken: string | undefined;
    do {
      const page = await this.page(scope, skipToken);
      yield page;
      if (page.skipToken !== undefined && page.skipToken === skipToken) {
        throw new GovernError('ResourceGraphPaging', 'Resource Graph returned the same $skipToken twice; stopping instead of looping.');
      }
      skipToken = page.skipToken;
    } while (skipToken);
  }

  async policy(scope: GraphScope, configuredAssignmentId: string | undefined): Promise<PolicyView> {
    const assignments: PolicyAssignmentView[] = [];
    const exemptions: ExemptionView[] = [];
    for await (const rows of this.graph.pages(SNAPSHOT_QUERIES.policy, scope, { includeScopesAbove: true })) {
      for (const row of rows) {
        const type = text(row.type)?.toLowerCase();
        if (type === 'microsoft.authorization/policyassignments') {
          const assignment = toAssignment(row);
          if (assignment) assignments.push(assignment);
        } else if (type === 'microsoft.authorization/policyexemptions') {
          const exemption = toExemption(row);
          if (exemption) exemptions.push(exemption);
        }
      }
    }
    return narrowPolicyView(assignments, exemptions, configuredAssignmentId);
  }

  /** The page's subscriptions joined with their AI plan and AI resources (two queries scoped to exactly them). */
  private async join(subscriptionRows: GraphRow[]): Promise<SnapshotEntry[]> {
    const subscriptions = subscriptionRows.map(toSubscription).filter((s): s is SubscriptionInfo => s !== undefined);
    const ids = subscriptions.map((s) => s.subscriptionId);
    const pricings = new Map<string, PricingSnapshot>();
    const resources = new Map<string, AiResource[]>();
    for await (const rows of this.graph.pages(SNAPSHOT_QUERIES.aiPlans, { subscriptions: ids })) {
      for (const row of rows) {
        const subscriptionId = text(row.subscriptionId)?.toLowerCase();
        const pricing = subscriptionId ? toPricing(row) : undefined;
        if (subscriptionId && pricing) pricings.set(subscriptionId, pricing);
      }
    }
    for await (const rows of this.graph.pages(SNAPSHOT_QUERIES.aiResources, { subscriptions: ids })) {
      for (const row of rows) {
        const subscriptionId = text(row.subscriptionId)?.toLowerCase();
        const resource = toAiResource(row);
        if (!subscriptionId || !resource) continue;
        const list = resources.get(subscriptionId) ?? [];
        list.push(resource);
        resources.set(subscriptionId, list);
      }
    }
    return subscriptions.map((subscription) => {
      const pricing = pricings.get(subscription.subscriptionId);
      return { subscription, ...(pricing ? { pricing } : {}), aiResources: resources.get(subscription.subscriptionId) ?? [] };
    });
  }
}


function stringMap(value: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(record(value)).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** resourcecontainers row of type microsoft.resources/subscriptions: `name` is the display name. */
export function toSubscription(row: GraphRow): SubscriptionInfo | undefined {
  const subscriptionId = text(row.subscriptionId)?.toLowerCase();
  if (!subscriptionId) return undefined;
  const properties = record(row.properties);
  const chain = Array.isArray(properties.managementGroupAncestorsChain) ? (properties.managementGroupAncestorsChain as unknown[]) : [];
  return {
    subscriptionId,
    ...(text(row.name) ? { displayName: text(row.name) as string } : {}),
    state: text(properties.state) ?? 'Enabled',
    tags: stringMap(row.tags),
    managementGroupAncestors: chain.map((a) => text(record(a).name)).filter((n): n is string => n !== undefined),
  };
}

/** securityresources row of the AI pricing: the same properties the pricings API returns. A row we cannot trust counts as not seen. */
export function toPricing(row: GraphRow): PricingSnapshot | undefined {
  try {
    return parsePricing({ properties: row.properties });
  } catch {
    return undefined;
  }
}

export function toAiResource(row: GraphRow): AiResource | undefined {
  const id = text(row.id);
  const type = canonicalAiResourceType(text(row.type) ?? '');
  const kind = text(row.kind);
  if (!id || !type || !isAiResource(type, kind)) return undefined;
  return { id, type, ...(kind ? { kind } : {}), ...(text(row.location) ? { location: text(row.location) as string } : {}) };
}
