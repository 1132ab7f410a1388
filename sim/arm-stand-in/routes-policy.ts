/**
 * Policy exemptions (2022-07-01-preview) and policy assignments (2024-05-01) listed for a
 * subscription. Filters follow the REST docs: atScope() = at the subscription or above it
 * (management groups), atExactScope() = at the subscription only, no filter = everything related
 * (including resource groups below). Expired exemptions are returned unless excludeExpired() is
 * asked for: the product has to judge expiry itself.
 */
import { API_VERSIONS } from './api-versions';
import { invalidFilter, page, parseTop, splitFilter, type ArmRequest, type Route, type RouteContext } from './http';

type ScopeFilter = (scope: string) => boolean;

function scopeOf(id: string, provider: string): string {
  const at = id.toLowerCase().indexOf(`/providers/microsoft.authorization/${provider}/`);
  return at >= 0 ? id.slice(0, at) : id;
}

function scopeTerm(term: string, subscriptionScope: string): ScopeFilter | undefined {
  const exact = (scope: string): boolean => scope.toLowerCase() === subscriptionScope.toLowerCase();
  if (/^atScope\(\)$/i.test(term)) return (scope) => exact(scope) || !scope.toLowerCase().startsWith('/subscriptions/');
  if (/^atExactScope\(\)$/i.test(term)) return exact;
  return undefined;
}

function quoted(term: string, field: string): string | undefined {
  const m = new RegExp(`^${field}\\s+eq\\s+'([^']*)'$`, 'i').exec(term);
  return m ? (m[1] ?? '').toLowerCase() : undefined;
}

function subscriptionScope(req: ArmRequest, ctx: RouteContext): string {
  return ctx.state.getSubscription(req.params[0] ?? '')?.id ?? `/subscriptions/${req.params[0] ?? ''}`;
}

export const policyRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.Authorization\/policyExemptions$/i,
    apiVersions: API_VERSIONS.policyExemptions,
    subscriptionScoped: true,
    handle: (req, ctx) => {
      const filter = req.query.$filter;
      let items = ctx.state.exemptions.get((req.params[0] ?? '').toLowerCase()) ?? [];
      for (const term of filter === undefined ? [] : splitFilter(filter.trim(), 'and')) {
        const byScope = scopeTerm(term, subscriptionScope(req, ctx));
        const assignmentId = quoted(term, 'policyAssignmentId');
        if (byScope) items = items.filter((e) => byScope(scopeOf(e.id, 'policyexemptions')));
        else if (assignmentId !== undefined) items = items.filter((e) => e.properties.policyAssignmentId.toLowerCase() === assignmentId);
        else if (/^excludeExpired\(\)$/i.test(term)) {
          items = items.filter((e) => !e.properties.expiresOn || Date.parse(e.properties.expiresOn) > Date.now());
        } else {
          throw invalidFilter(filter ?? '', "Supported: atScope(), atExactScope(), excludeExpired(), policyAssignmentId eq '<id>'.");
        }
      }
      return { status: 200, body: page(items.map((e) => structuredClone(e)), req, ctx) };
    },
  },
  {
    method: 'GET',
    pattern: /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.Authorization\/policyAssignments$/i,
    apiVersions: API_VERSIONS.policyAssignments,
    subscriptionScoped: true,
    handle: (req, ctx) => {
      const filter = req.query.$filter;
      const top = parseTop(req);
      let items = ctx.state.assignments.get((req.params[0] ?? '').toLowerCase()) ?? [];
      if (filter !== undefined) {
        const term = filter.trim();
        const byScope = scopeTerm(term, subscriptionScope(req, ctx));
        const definitionId = quoted(term, 'policyDefinitionId');
        if (byScope) items = items.filter((a) => byScope(a.properties.scope));
        else if (definitionId !== undefined) items = items.filter((a) => a.properties.policyDefinitionId.toLowerCase() === definitionId);
        else throw invalidFilter(filter, "Supported: atScope(), atExactScope(), policyDefinitionId eq '<id>'.");
      }
      const size = top === undefined ? ctx.pageSize : Math.min(top, ctx.pageSize);
      return { status: 200, body: page(items.map((a) => structuredClone(a)), req, ctx, size) };
    },
  },
];
