/**
 * The Resource Graph tables the stand-in serves, built from the same landing-zone state as its
 * ARM routes (or from a frozen copy of it, to play an index that lags ARM). Rows have the shape
 * Resource Graph gives them: lower-case `type`, the resource's own `properties`, `subscriptionId`
 * ('' for management-group level policy), and for subscriptions the `managementGroupAncestorsChain`.
 */
import { project2024 } from './routes-pricings';
import type { ArmState } from './state';

export type GraphRow = Record<string, unknown>;

/** A row plus where it sits, for scope filtering (not served). */
export interface ScopedRow {
  row: GraphRow;
  /** Subscription the row belongs to ('' when it sits at a management group). */
  subscriptionId: string;
  /** Management group the row sits at, for policy resources assigned there. */
  managementGroup?: string;
}

const MG_SCOPE = /^\/providers\/Microsoft\.Management\/managementGroups\/([^/]+)$/i;

function base(id: string, name: string, type: string, tenantId: string, subscriptionId: string, resourceGroup = ''): GraphRow {
  return { id, name, type: type.toLowerCase(), tenantId, kind: '', location: '', resourceGroup, subscriptionId, managedBy: '', sku: null, plan: null, tags: null, identity: null, zones: null, extendedLocation: null };
}

export function graphTable(state: ArmState, table: string): ScopedRow[] | undefined {
  switch (table) {
    case 'resourcecontainers':
      return resourceContainers(state);
    case 'securityresources':
      return securityResources(state);
    case 'resources':
      return resources(state);
    case 'policyresources':
      return policyResources(state);
    default:
      return undefined;
  }
}

function resourceContainers(state: ArmState): ScopedRow[] {
  const rows: ScopedRow[] = [];
  for (const sub of state.subscriptions.values()) {
    rows.push({
      subscriptionId: sub.subscriptionId.toLowerCase(),
      row: {
        ...base(sub.id, sub.displayName, 'Microsoft.Resources/subscriptions', sub.tenantId, sub.subscriptionId),
        tags: { ...sub.tags },
        properties: { subscriptionPolicies: structuredClone(sub.subscriptionPolicies), managementGroupAncestorsChain: state.ancestorsOf(sub.subscriptionId), state: sub.state },
      },
    });
    const groups = new Set((state.resources.get(sub.subscriptionId.toLowerCase()) ?? []).map((r) => /\/resourceGroups\/([^/]+)/i.exec(r.id)?.[1] ?? '').filter(Boolean));
    for (const rg of groups) {
      rows.push({
        subscriptionId: sub.subscriptionId.toLowerCase(),
        row: { ...base(`${sub.id}/resourceGroups/${rg}`, rg, 'Microsoft.Resources/subscriptions/resourceGroups', sub.tenantId, sub.subscriptionId, rg.toLowerCase()), properties: { provisioningState: 'Succeeded' } },
      });
    }
  }
  return rows;
}

function securityResources(state: ArmState): ScopedRow[] {
  const rows: ScopedRow[] = [];
  for (const [subKey, plans] of state.pricings) {
    const sub = state.subscriptions.get(subKey);
    if (!sub) continue;
    for (const [plan, properties] of plans) {
      rows.push({
        subscriptionId: subKey,
        // The index carries the pricing without the 2026-07-01 fields (managedBy, originatedFrom):
        // only an ARM read shows that another system manages a plan.
        row: { ...base(`${sub.id}/providers/Microsoft.Security/pricings/${plan}`, plan, 'Microsoft.Security/pricings', sub.tenantId, sub.subscriptionId), properties: project2024(properties) },
      });
    }
  }
  return rows;
}

function resources(state: ArmState): ScopedRow[] {
  const rows: ScopedRow[] = [];
  for (const [subKey, list] of state.resources) {
    const sub = state.subscriptions.get(subKey);
    if (!sub) continue;
    for (const r of list) {
      const rg = (/\/resourceGroups\/([^/]+)/i.exec(r.id)?.[1] ?? '').toLowerCase();
      rows.push({
        subscriptionId: subKey,
        row: { ...base(r.id, r.name, r.type, sub.tenantId, sub.subscriptionId, rg), kind: r.kind ?? '', location: r.location, tags: r.tags ? { ...r.tags } : null, sku: r.sku ? { ...r.sku } : null, properties: structuredClone(r.properties ?? {}) },
      });
    }
  }
  return rows;
}

function policyResources(state: ArmState): ScopedRow[] {
  // The ARM state keeps inherited assignments and exemptions with every subscription that sees
  // them; the index has each policy resource once, where it is assigned.
  const seen = new Map<string, ScopedRow>();
  const add = (id: string, name: string, type: string, scope: string, properties: unknown, tenantId: string): void => {
    if (seen.has(id.toLowerCase())) return;
    const mg = MG_SCOPE.exec(scope)?.[1];
    const subscriptionId = /^\/subscriptions\/([^/]+)/i.exec(scope)?.[1]?.toLowerCase() ?? '';
    seen.set(id.toLowerCase(), {
      subscriptionId,
      ...(mg ? { managementGroup: mg } : {}),
      row: { ...base(id, name, type, tenantId, subscriptionId, (/\/resourceGroups\/([^/]+)/i.exec(scope)?.[1] ?? '').toLowerCase()), properties: structuredClone(properties) },
    });
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

