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
    handle: (req: ArmRequest, ctx: RouteContext) => {
      // The page first, then its copies: copying the whole tenant for each page of 100 was most of
      // the wall time of a 50,000-subscription bench (1,000 pages × 50,000 copies).
      const listed = page([...ctx.state.subscriptions.values()], req, ctx);
      return { status: 200, body: { ...listed, value: listed.value.map(wire) } };
    },
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
      const listed = all.filter((r) => r.listed !== false);
      const selected = types ? listed.filter((r) => types.has(r.type.toLowerCase())) : listed;
      // ARM treats $top as the page size; nextLink carries on from there.
      const size = top === undefined ? ctx.pageSize : Math.min(top, ctx.pageSize);
      return { status: 200, body: page(selected.map(({ listed: _listed, ...r }) => structuredClone(r)), req, ctx, size) };
    },
  },
  {
    // Resources_GetById for the AI types: exact, so it finds what the list API does not show yet.
    method: 'GET',
    pattern: /^\/subscriptions\/([^/]+)\/resourceGroups\/[^/]+\/providers\/(?:Microsoft\.CognitiveServices\/accounts(?:\/[^/]+\/projects)?|Microsoft\.MachineLearningServices\/(?:workspaces|registries))\/[^/]+$/i,
    apiVersions: API_VERSIONS.aiResourceById,
    subscriptionScoped: true,
    handle: (req, ctx) => {
      const all = ctx.state.resources.get((req.params[0] ?? '').toLowerCase()) ?? [];
      const found = all.find((r) => r.id.toLowerCase() === req.path.toLowerCase());
      if (!found) throw new ArmError(404, 'ResourceNotFound', `The Resource '${req.path}' was not found.`);
      const { listed: _listed, ...resource } = found;
      return { status: 200, body: structuredClone(resource) };
    },
  },
];

export function subscriptionNotFound(subscriptionId: string): ArmError {
  return new ArmError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);
}
