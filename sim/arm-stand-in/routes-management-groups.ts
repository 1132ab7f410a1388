/**
 * ManagementGroups_GetDescendants (2021-04-01): every management group and subscription below a
 * management group, in one flat list paged with `$top` / `$skiptoken` and `nextLink`. Each entry:
 * `id` (`/providers/Microsoft.Management/managementGroups/<name>` or `/subscriptions/<id>`),
 * `type` (`Microsoft.Management/managementGroups` or `/subscriptions`), `name`, and `properties`
 * with `displayName` and `parent.id`. An unknown group is 404, as ARM answers.
 */
import { API_VERSIONS } from './api-versions';
import { ArmError, page, parseTop, type Route } from './http';
import type { ArmState } from './state';

const GROUP_ID = (name: string): string => `/providers/Microsoft.Management/managementGroups/${name}`;

interface Descendant {
  id: string;
  type: string;
  name: string;
  properties: { displayName: string; parent: { id: string } };
}

function descendants(state: ArmState, group: string): Descendant[] {
  const wanted = group.toLowerCase();
  // The groups at or below the wanted one (a group is below it when it is on its parent chain),
  // worked out once per request so a subscription costs one lookup of its parent.
  const below = new Set<string>([wanted]);
  const out: Descendant[] = [];
  for (const mg of state.managementGroups.values()) {
    const seen = new Set<string>();
    for (let at = mg.parent; at && !seen.has(at.toLowerCase()); at = state.managementGroups.get(at.toLowerCase())?.parent) {
      seen.add(at.toLowerCase());
      if (at.toLowerCase() === wanted) {
        below.add(mg.id.toLowerCase());
        out.push({ id: GROUP_ID(mg.id), type: 'Microsoft.Management/managementGroups', name: mg.id, properties: { displayName: mg.displayName, parent: { id: GROUP_ID(mg.parent as string) } } });
        break;
      }
    }
  }
  for (const sub of state.subscriptions.values()) {
    // Not placed anywhere: the subscription sits in the tenant root group (named by the tenant id).
    const parent = state.subscriptionParents.get(sub.subscriptionId.toLowerCase()) ?? sub.tenantId;
    if (!below.has(parent.toLowerCase())) continue;
    out.push({ id: `/subscriptions/${sub.subscriptionId}`, type: '/subscriptions', name: sub.subscriptionId, properties: { displayName: sub.displayName, parent: { id: GROUP_ID(parent) } } });
  }
  return out;
}

export const managementGroupRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/providers\/Microsoft\.Management\/managementGroups\/([^/]+)\/descendants$/i,
    apiVersions: API_VERSIONS.managementGroups,
    subscriptionScoped: false,
    handle: (req, ctx) => {
      const group = req.params[0] ?? '';
      const known = ctx.state.managementGroups.has(group.toLowerCase()) || [...ctx.state.subscriptions.values()].some((s) => s.tenantId.toLowerCase() === group.toLowerCase());
      if (!known) throw new ArmError(404, 'NotFound', `Management group '${group}' not found.`);
      const top = parseTop(req);
      return { status: 200, body: page(descendants(ctx.state, group), req, ctx, top === undefined ? ctx.pageSize : Math.min(top, ctx.pageSize)) };
    },
  },
];
