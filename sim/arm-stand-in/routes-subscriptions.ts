/**
 * Subscriptions (2022-12-01) and Resources_ListBySubscription (2025-04-01).
 * The resources `$filter` supports what the inventory sends — `resourceType eq 'A' or resourceType eq 'B'` —
 * and rejects everything else, so a client building a different filter finds out here.
 */
import { API_VERSIONS } from './api-versions';
import { ArmError, invalidFilter, page, parseTop, splitFilter, type ArmRequest, type Route, type RouteContext } from './http';
import type { SubscriptionRecord } from './types';

function wire(sub: SubscriptionRecord): SubscriptionRecord {
  return structuredClone(sub);
}

function parseResourceTypeFilter(filter: string | undefined): Set<string> | undefined {
  if (filter === undefined) return undefined;
  const types = new Set<string>();
  for (const term of splitFilter(filter.trim(), 'or')) {
    const m = /^resourceType\s+eq\s+'([^']+)'$/i.exec(term);
    if (!m || !m[1]) throw invalidFilter(filter, "Supported: resourceType eq '<type>' [or resourceType eq '<type>' ...].");
    types.add(m[1].toLowerCase());
  }
  return types;
}

export const subscriptionRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/subscriptions$/i,
    apiVersions: API_VERSIONS.subscriptions,
    subscriptionScoped: false,
    handle: (req: ArmRequest, ctx: RouteContext) => ({ status: 200, body: page([...ctx.state.subscriptions.values()].map(wire), req, ctx) }),
  },
  {
    method: 'GET',
    pattern: /^\/subscriptions\/([^/]+)$/i,
    apiVersions: API_VERSIONS.subscriptions,
    subscriptionScoped: true,
    handle: (req, ctx) => ({ status: 200, body: wire(ctx.state.getSubscription(req.params[0] ?? '') as SubscriptionRecord) }),
  },
  {
    method: 'GET',
    pattern: /^\/subscriptions\/([^/]+)\/resources$/i,
    apiVersions: API_VERSIONS.resources,
    subscriptionScoped: true,
    handle: (req, ctx) => {
      const types = parseResourceTypeFilter(req.query.$filter);
      const top = parseTop(req);
      const all = ctx.state.resources.get((req.params[0] ?? '').toLowerCase()) ?? [];
      const selected = types ? all.filter((r) => types.has(r.type.toLowerCase())) : all;
      // ARM treats $top as the page size; nextLink carries on from there.
      const size = top === undefined ? ctx.pageSize : Math.min(top, ctx.pageSize);
      return { status: 200, body: page(selected.map((r) => structuredClone(r)), req, ctx, size) };
    },
  },
];

export function subscriptionNotFound(subscriptionId: string): ArmError {
  return new ArmError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);
}
