import { AI_RESOURCE_GRAPH_TYPE_LIST, canonicalAiResourceType, isAiResource } from '../ai-resource-types';
import { AI_PLAN_NAME, CLOUD_POSTURE_PLAN_NAME } from '../domain/extensions';
import type { AiResource, CloudPostureTier, ExemptionView, PolicyAssignmentView, PolicyView, PricingSnapshot, SnapshotEntry, SubscriptionInfo } from '../domain/model';
import { narrowPolicyView } from '../domain/policy-scope';
import { record, text, toAssignment, toExemption } from './policy-wire';
import { parsePricing } from './pricing.adapter';
import { errorInfo, GovernError } from '../engine/errors';
import { GRAPH_MAX_SUBSCRIPTIONS_PER_REQUEST, GRAPH_TENANT_SUBSCRIPTION_LIMIT, subscriptionLimitError, type GraphRow, type GraphScope, type ResourceGraphPort } from './resource-graph.adapter';
import type { SubscriptionEnumerationPort } from './subscriptions.adapter';

/**
 * The tenant as Azure Resource Graph shows it, in the shapes the engine decides from. A snapshot
 * is read one page of subscriptions at a time (at most 1,000), each page with its AI plans (one row
 * per subscription, the CloudPosture tier joined onto it) and AI resources (queries scoped to
 * exactly those subscriptions), plus the tenant's Defender-for-AI policy read once per pass. So a
 * snapshot of N subscriptions costs about 3·⌈N/1000⌉ + 1 requests, and memory holds one page at a time.
 *
 * Over Resource Graph's cap (a tenant- or management-group-scoped query over more than 10,000
 * subscriptions answers for the first 10,000 only, with `x-ms-tenant-subscription-limit-hit: true`)
 * the scope is partitioned: the first answer that says so is set aside, the subscriptions of the
 * scope are enumerated one ARM page at a time (Subscriptions_List: every subscription the identity
 * can read; for a management-group scope the group's descendants, ManagementGroups_GetDescendants)
 * and every query is sent with explicit lists of at most 1,000 of them; for a management-group
 * scope the listing still keeps only the subscriptions whose Resource Graph ancestry names the group
 * (one moved out between the two reads is not governed). The skip token then carries the
 * enumeration's position (`d4ai-part.` + nextLink and offset), so the durable sweep pages the
 * partitioned scope exactly as it pages an ordinary one. Cost over the cap: one set-aside answer for
 * the listing and one for the policy read, plus 4 requests per 1,000 subscriptions (listing, plans,
 * AI resources, policy; more only where 1,000 subscriptions hold over 1,000 AI resources or policy
 * rows), plus 2·⌈N / ARM page size⌉ enumeration requests (the listing's and the policy read's).
 * Without an enumerator the run fails naming the cap, the scope and the subscriptions left out.
 *
 * The queries keep to a small KQL subset that any Resource-Graph-compatible endpoint answers and
 * the stand-in implements honestly (sim/arm-stand-in/kql.ts): `where` with `=~` / `in~` and `and`,
 * `project` of the table's columns, and for the plans one `join kind=leftouter` with a
 * `tostring()` column. Kinds, extensions, expiry, ancestry and exemption scopes are interpreted
 * here and in domain/, not in KQL.
 */

/** Defender for Cloud pricings as Resource Graph indexes them (securityresources). */
const PRICINGS = "securityresources | where type =~ 'microsoft.security/pricings'";

export const SNAPSHOT_QUERIES = {
  subscriptions: "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' | project id, name, subscriptionId, tenantId, tags, properties",
  /**
   * The AI plan, one row per subscription, with the Defender CSPM tier (AI model security needs it)
   * joined on: one request per 1,000 subscriptions, where an AI row and a CloudPosture row per
   * subscription would take two pages of 1,000 rows. The AI row is the left side: a subscription
   * whose AI plan the index does not show gets no CloudPosture tier from here. Nothing loses by
   * that: the tier only qualifies the AI plan (AI model security is part of it); such a subscription
   * is decided on NOT_INDEXED_PLAN and its plan read from ARM before anything is written, and where
   * the AI plan is not offered at all there is no model security for CSPM to be missing from.
   * `cloudPostureTier` is '' (Kusto strings have no null) when the subscription has no CloudPosture row.
   */
  aiPlans:
    `${PRICINGS} and name =~ '${AI_PLAN_NAME}' | project id, name, subscriptionId, properties` +
    ` | join kind=leftouter (${PRICINGS} and name =~ '${CLOUD_POSTURE_PLAN_NAME}' | project subscriptionId, cloudPostureTier = tostring(properties.pricingTier)) on subscriptionId` +
    ' | project id, name, subscriptionId, properties, cloudPostureTier',
  /** `properties` tells a private-link Machine Learning workspace (publicNetworkAccess, privateEndpointConnections). */
  aiResources: `resources | where type in~ (${AI_RESOURCE_GRAPH_TYPE_LIST}) | project id, name, type, kind, location, subscriptionId, properties`,
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
  /**
   * The subscriptions' management groups, nearest first, by lower-case subscription id (one
   * Resource Graph request per 1,000 ids, listed explicitly); a subscription Resource Graph does
   * not list has no entry.
   */
  ancestry(subscriptionIds: readonly string[]): Promise<ReadonlyMap<string, string[]>>;
}

const PARTITION_TOKEN = 'd4ai-part.';

interface PartitionCursor {
  /** The enumeration page to read (undefined: the first). */
  link?: string;
  /** Subscriptions of that page already covered. */
  offset: number;
}

function encodeCursor(cursor: PartitionCursor): string {
  return PARTITION_TOKEN + Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(token: string): PartitionCursor {
  try {
    const parsed = JSON.parse(Buffer.from(token.slice(PARTITION_TOKEN.length), 'base64url').toString('utf8')) as { link?: unknown; offset?: unknown };
    if ((parsed.link === undefined || typeof parsed.link === 'string') && typeof parsed.offset === 'number' && Number.isInteger(parsed.offset) && parsed.offset >= 0) {
      return { ...(parsed.link ? { link: parsed.link } : {}), offset: parsed.offset };
    }
  } catch {
    /* fall through */
  }
  throw new GovernError('ResourceGraphPaging', 'The partitioned skip token is not valid.');
}

export class TenantSnapshotAdapter implements TenantSnapshotPort {
  constructor(
    private readonly graph: ResourceGraphPort,
    private readonly enumeration?: SubscriptionEnumerationPort,
  ) {}

  async page(scope: GraphScope, skipToken?: string): Promise<SnapshotPage> {
    if (skipToken?.startsWith(PARTITION_TOKEN)) return this.partitionPage(scope, decodeCursor(skipToken));
    const listed = await this.graph.page(SNAPSHOT_QUERIES.subscriptions, scope, skipToken ? { skipToken } : {});
    if (listed.limitHit && !scope.subscriptions) {
      // Capped: set this answer aside and cover the scope with explicit subscription lists instead.
      if (!this.enumeration) throw subscriptionLimitError(scope, `${listed.total === undefined ? 'an unknown number of' : `all but ${listed.total}`} subscriptions were`);
      return this.partitionPage(scope, { offset: 0 });
    }
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

  async ancestry(subscriptionIds: readonly string[]): Promise<ReadonlyMap<string, string[]>> {
    const found = new Map<string, string[]>();
    if (!subscriptionIds.length) return found;
    for await (const rows of this.graph.pages(SNAPSHOT_QUERIES.subscriptions, { subscriptions: [...subscriptionIds] })) {
      for (const subscription of rows.map(toSubscription)) {
        if (subscription?.managementGroupAncestors) found.set(subscription.subscriptionId, subscription.managementGroupAncestors);
      }
    }
    return found;
  }

  /** Up to 1,000 enumerated subscriptions from the cursor on, listed through Resource Graph by id. */
  private async partitionPage(scope: GraphScope, cursor: PartitionCursor): Promise<SnapshotPage> {
    const { ids, next } = await this.enumerate(cursor, GRAPH_MAX_SUBSCRIPTIONS_PER_REQUEST, scope);
    const rows: GraphRow[] = [];
    for await (const part of this.graph.pages(SNAPSHOT_QUERIES.subscriptions, { subscriptions: ids })) rows.push(...part);
    const group = scope.managementGroup?.toLowerCase();
    const underGroup = (row: GraphRow): boolean => (toSubscription(row)?.managementGroupAncestors ?? []).some((a) => a.toLowerCase() === group);
    const inScope = group ? rows.filter(underGroup) : rows;
    return { entries: await this.join(inScope), ...(next ? { skipToken: encodeCursor(next) } : {}) };
  }

  /**
   * At most `max` subscription ids from the cursor on, and where the next call continues (none at
   * the end). Only a scope over the cap is enumerated, so an enumeration that fails (the identity
   * may not list the group's descendants, or the listing keeps failing past its retries) leaves
   * that scope partly uncovered: the error says so as the cap error, which the nightly sweep's
   * alert catches, with the cause.
   */
  private async enumerate(cursor: PartitionCursor, max: number, scope: GraphScope): Promise<{ ids: string[]; next?: PartitionCursor }> {
    const enumeration = this.enumeration as SubscriptionEnumerationPort;
    const ids: string[] = [];
    let at: PartitionCursor = cursor;
    const listPage = async (link: string | undefined): Promise<{ subscriptionIds: string[]; continuation?: string }> => {
      try {
        return await enumeration.listPage(link, scope.managementGroup);
      } catch (error) {
        const { code, message } = errorInfo(error);
        const listing = scope.managementGroup ? `the descendants of management group ${scope.managementGroup} (ManagementGroups_GetDescendants)` : 'the subscriptions (Subscriptions_List)';
        throw subscriptionLimitError(
          scope,
          `an unknown number of the subscriptions beyond the first ${GRAPH_TENANT_SUBSCRIPTION_LIMIT.toLocaleString('en-US')} were`,
          `Listing ${listing}, to query the scope in parts under the cap, failed: ${code}: ${message}`,
        );
      }
    };
    for (;;) {
      const page = await listPage(at.link);
      const room = max - ids.length;
      const rest = page.subscriptionIds.slice(at.offset);
      ids.push(...rest.slice(0, room));
      if (rest.length > room) return { ids, next: { ...(at.link ? { link: at.link } : {}), offset: at.offset + room } };
      if (!page.continuation) return { ids };
      at = { link: page.continuation, offset: 0 };
      if (ids.length === max) return { ids, next: at };
    }
  }

  async policy(scope: GraphScope, configuredAssignmentId: string | undefined): Promise<PolicyView> {
    try {
      return await this.policyOf([scope], configuredAssignmentId);
    } catch (error) {
      if (!(error instanceof GovernError && error.code === 'ResourceGraphSubscriptionLimit') || scope.subscriptions || !this.enumeration) throw error;
    }
    // Capped: the same query over explicit lists of the subscriptions (with the scopes above them).
    const parts: GraphScope[] = [];
    let cursor: PartitionCursor | undefined = { offset: 0 };
    while (cursor) {
      const { ids, next }: { ids: string[]; next?: PartitionCursor } = await this.enumerate(cursor, GRAPH_MAX_SUBSCRIPTIONS_PER_REQUEST, scope);
      if (ids.length) parts.push({ subscriptions: ids });
      cursor = next;
    }
    return this.policyOf(parts, configuredAssignmentId);
  }

  private async policyOf(scopes: readonly GraphScope[], configuredAssignmentId: string | undefined): Promise<PolicyView> {
    const assignments: PolicyAssignmentView[] = [];
    const exemptions: ExemptionView[] = [];
    const seen = new Set<string>();
    for (const scope of scopes) {
      for await (const rows of this.graph.pages(SNAPSHOT_QUERIES.policy, scope, { includeScopesAbove: true })) {
        for (const row of rows) {
          const rowId = text(row.id)?.toLowerCase();
          if (rowId) {
            if (seen.has(rowId)) continue;
            seen.add(rowId);
          }
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
    }
    return narrowPolicyView(assignments, exemptions, configuredAssignmentId);
  }

  /** The page's subscriptions joined with their AI plan (and CSPM tier) and AI resources (two queries scoped to exactly them). */
  private async join(subscriptionRows: GraphRow[]): Promise<SnapshotEntry[]> {
    const subscriptions = subscriptionRows.map(toSubscription).filter((s): s is SubscriptionInfo => s !== undefined);
    const ids = subscriptions.map((s) => s.subscriptionId);
    const pricings = new Map<string, PricingSnapshot>();
    const postures = new Map<string, CloudPostureTier>();
    const resources = new Map<string, AiResource[]>();
    for await (const rows of this.graph.pages(SNAPSHOT_QUERIES.aiPlans, { subscriptions: ids })) {
      for (const row of rows) {
        const subscriptionId = text(row.subscriptionId)?.toLowerCase();
        if (!subscriptionId) continue;
        const pricing = toPricing(row);
        if (pricing) pricings.set(subscriptionId, pricing);
        const posture = toCloudPostureTier(row.cloudPostureTier);
        if (posture) postures.set(subscriptionId, posture);
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
      const cloudPosture = postures.get(subscription.subscriptionId);
      return { subscription, ...(pricing ? { pricing } : {}), ...(cloudPosture ? { cloudPosture } : {}), aiResources: resources.get(subscription.subscriptionId) ?? [] };
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

/** The joined `cloudPostureTier` column: Free or Standard, else (no CloudPosture row: '' or null) not known. */
export function toCloudPostureTier(value: unknown): CloudPostureTier | undefined {
  return value === 'Free' || value === 'Standard' ? value : undefined;
}

export function toAiResource(row: GraphRow): AiResource | undefined {
  const id = text(row.id);
  const type = canonicalAiResourceType(text(row.type) ?? '');
  const kind = text(row.kind);
  if (!id || !type || !isAiResource(type, kind)) return undefined;
  const privateLink = type === 'Microsoft.MachineLearningServices/workspaces' && isPrivateLink(record(row.properties));
  return { id, type, ...(kind ? { kind } : {}), ...(text(row.location) ? { location: text(row.location) as string } : {}), ...(privateLink ? { privateLink } : {}) };
}

/** A workspace reachable only through private link: public network access disabled, or private endpoints connected. */
export function isPrivateLink(properties: Record<string, unknown>): boolean {
  if (text(properties.publicNetworkAccess)?.toLowerCase() === 'disabled') return true;
  return Array.isArray(properties.privateEndpointConnections) && properties.privateEndpointConnections.length > 0;
}
