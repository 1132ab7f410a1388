/**
 * The Resource Graph tables the stand-in serves, built from the same landing-zone state as its
 * ARM routes (or from a frozen copy of it, to play an index that lags ARM). Rows have the shape
 * Resource Graph gives them: lower-case `type`, the resource's own `properties`, `subscriptionId`
 * ('' for management-group level policy), and for subscriptions the `managementGroupAncestorsChain`.
 *
 * A table is built for one request's scope only (the rows of the subscriptions it names, not the
 * tenant's), and its rows share their nested values with the state: the route copies the one page
 * it serves. So a query over 1,000 subscriptions of a 50,000-subscription tenant costs about 1,000
 * subscriptions' rows, not 50,000 (the bench's tenant over the cap depends on that).
 */
import type { ArmState } from './state';
import type { SubscriptionRecord } from './types';

export type GraphRow = Record<string, unknown>;

/** Which rows a request's scope covers (worked out by routes-resource-graph.ts). */
export interface TableScope {
  /** The subscriptions (lower-case ids) whose rows are in scope; undefined: every subscription's. */
  subscriptions?: ReadonlySet<string>;
  /** Whether a row that belongs to no subscription is in scope: one at this management group (undefined: at neither). */
  outsideSubscriptions(managementGroup: string | undefined): boolean;
}

export const GRAPH_TABLES = ['resourcecontainers', 'securityresources', 'resources', 'policyresources'] as const;

const MG_SCOPE = /^\/providers\/Microsoft\.Management\/managementGroups\/([^/]+)$/i;

function base(id: string, name: string, type: string, tenantId: string, subscriptionId: string, resourceGroup = ''): GraphRow {
  return { id, name, type: type.toLowerCase(), tenantId, kind: '', location: '', resourceGroup, subscriptionId, managedBy: '', sku: null, plan: null, tags: null, identity: null, zones: null, extendedLocation: null };
}

export function graphTable(state: ArmState, table: string, scope: TableScope): GraphRow[] | undefined {
  switch (table) {
    case 'resourcecontainers':
      return resourceContainers(state, scope);
    case 'securityresources':
      return securityResources(state, scope);
    case 'resources':
      return resources(state, scope);
    case 'policyresources':
      return policyResources(state, scope);
    default:
      return undefined;
  }
}

/** The in-scope subscriptions that exist, by lower-case id: the named ones looked up, not the tenant scanned. */
function* subscriptionKeys(state: ArmState, scope: TableScope): Iterable<string> {
  if (!scope.subscriptions) {
    yield* state.subscriptions.keys();
    return;
  }
  for (const k of scope.subscriptions) if (state.subscriptions.has(k)) yield k;
}

function resourceContainers(state: ArmState, scope: TableScope): GraphRow[] {
  const rows: GraphRow[] = [];
  for (const k of subscriptionKeys(state, scope)) {
    const sub = state.subscriptions.get(k) as SubscriptionRecord;
    rows.push({
      ...base(sub.id, sub.displayName, 'Microsoft.Resources/subscriptions', sub.tenantId, sub.subscriptionId),
      tags: sub.tags,
      properties: { subscriptionPolicies: sub.subscriptionPolicies, managementGroupAncestorsChain: state.ancestorsOf(sub.subscriptionId), state: sub.state },
    });
    const groups = new Set((state.resources.get(k) ?? []).map((r) => /\/resourceGroups\/([^/]+)/i.exec(r.id)?.[1] ?? '').filter(Boolean));
    for (const rg of groups) {
      rows.push({ ...base(`${sub.id}/resourceGroups/${rg}`, rg, 'Microsoft.Resources/subscriptions/resourceGroups', sub.tenantId, sub.subscriptionId, rg.toLowerCase()), properties: { provisioningState: 'Succeeded' } });
    }
  }
  return rows;
}

function securityResources(state: ArmState, scope: TableScope): GraphRow[] {
  const rows: GraphRow[] = [];
  for (const k of subscriptionKeys(state, scope)) {
    const sub = state.subscriptions.get(k) as SubscriptionRecord;
    for (const [plan, properties] of state.pricings.get(k) ?? []) {
      // The index carries the pricing without the 2026-07-01 fields (managedBy, originatedFrom):
      // only an ARM read shows that another system manages a plan.
      const { managedBy: _m, originatedFrom: _o, securityOperatorResourceId: _s, ...indexed } = properties;
      rows.push({ ...base(`${sub.id}/providers/Microsoft.Security/pricings/${plan}`, plan, 'Microsoft.Security/pricings', sub.tenantId, sub.subscriptionId), properties: indexed });
    }
  }
  return rows;
}

function resources(state: ArmState, scope: TableScope): GraphRow[] {
  const rows: GraphRow[] = [];
  for (const k of subscriptionKeys(state, scope)) {
    const sub = state.subscriptions.get(k) as SubscriptionRecord;
    for (const r of state.resources.get(k) ?? []) {
      const rg = (/\/resourceGroups\/([^/]+)/i.exec(r.id)?.[1] ?? '').toLowerCase();
      rows.push({ ...base(r.id, r.name, r.type, sub.tenantId, sub.subscriptionId, rg), kind: r.kind ?? '', location: r.location, tags: r.tags ?? null, sku: r.sku ?? null, properties: r.properties ?? {} });
    }
  }
  return rows;
}

function policyResources(state: ArmState, tableScope: TableScope): GraphRow[] {
  // The ARM state keeps inherited assignments and exemptions with every subscription that sees
  // them; the index has each policy resource once, where it is assigned. Every subscription's list
  // is looked at (one assigned at a management group may be kept with a subscription outside the
  // scope), but only the rows in scope are built.
  const seen = new Map<string, GraphRow>();
  const add = (id: string, name: string, type: string, scope: string, properties: unknown, tenantId: string): void => {
    if (seen.has(id.toLowerCase())) return;
    const subscriptionId = /^\/subscriptions\/([^/]+)/i.exec(scope)?.[1]?.toLowerCase() ?? '';
    const inScope = subscriptionId ? (tableScope.subscriptions?.has(subscriptionId) ?? true) : tableScope.outsideSubscriptions(MG_SCOPE.exec(scope)?.[1]);
    if (!inScope) return;
    seen.set(id.toLowerCase(), { ...base(id, name, type, tenantId, subscriptionId, (/\/resourceGroups\/([^/]+)/i.exec(scope)?.[1] ?? '').toLowerCase()), properties });
  };
  for (const [subKey, list] of state.assignments) {
    const tenantId = state.subscriptions.get(subKey)?.tenantId ?? '';
    for (const a of list) add(a.id, a.name, a.type, a.properties.scope, a.properties, tenantId);
  }
  for (const [subKey, list] of state.exemptions) {
    const tenantId = state.subscriptions.get(subKey)?.tenantId ?? '';
    for (const e of list) add(e.id, e.name, e.type, e.id.slice(0, e.id.toLowerCase().indexOf('/providers/microsoft.authorization/')), e.properties, tenantId);
  }
  return [...seen.values()];
}

