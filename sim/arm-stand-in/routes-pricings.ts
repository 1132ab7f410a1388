/**
 * Microsoft.Security/pricings at subscription scope, per pricings.2026-07-01.json and
 * pricings.2024-01-01.json (the same operations; 2026-07-01 adds read-only managedBy/originatedFrom):
 * GET list (optional `$filter=name in (A,B)`), GET one, PUT (see pricing-update.ts), and DELETE,
 * which the service only supports at resource scope: at subscription scope it is a 400.
 * Concurrency (one PUT per subscription at a time, else 409) is enforced by the server.
 */
import { API_VERSIONS } from './api-versions';
import { ArmError, invalidFilter, type ArmRequest, type Route, type RouteContext } from './http';
import { findPlan, project2022, type PlanInfo } from './plans';
import { applyPricingPut } from './pricing-update';
import type { PricingProperties, PricingResource } from './types';

const PRICINGS = /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.Security\/pricings$/i;
const PRICING = /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.Security\/pricings\/([^/]+)$/i;

function resource(ctx: RouteContext, subscriptionId: string, planName: string, props: PricingProperties, apiVersion: string): PricingResource {
  const sub = ctx.state.getSubscription(subscriptionId);
  return {
    id: `/subscriptions/${sub?.subscriptionId ?? subscriptionId}/providers/Microsoft.Security/pricings/${planName}`,
    name: planName,
    type: 'Microsoft.Security/pricings',
    properties: apiVersion === '2022-03-01' ? project2022(props) : apiVersion === '2024-01-01' ? project2024(props) : structuredClone(props),
  };
}

/** 2024-01-01 has no managedBy, originatedFrom or securityOperatorResourceId (nor does Resource Graph's securityresources row). */
export function project2024(props: PricingProperties): PricingProperties {
  const { managedBy: _m, originatedFrom: _o, securityOperatorResourceId: _s, ...rest } = structuredClone(props);
  return rest;
}

function storedPlans(req: ArmRequest, ctx: RouteContext): Map<string, PricingProperties> {
  return ctx.state.pricings.get((req.params[0] ?? '').toLowerCase()) ?? new Map();
}

/** The plan and its stored pricing; 404 when the plan is unknown or not offered in this subscription. */
function lookup(req: ArmRequest, ctx: RouteContext): { plan: PlanInfo; stored: PricingProperties } {
  const name = req.params[1] ?? '';
  const plan = findPlan(name);
  const stored = plan ? storedPlans(req, ctx).get(plan.name) : undefined;
  if (!plan || !stored) {
    throw new ArmError(404, 'NotFound', `The pricing '${name}' was not found for subscription '${req.params[0] ?? ''}'.`);
  }
  return { plan, stored };
}

function parseNameFilter(filter: string | undefined): Set<string> | undefined {
  if (filter === undefined) return undefined;
  const m = /^\s*name\s+in\s*\(([^)]*)\)\s*$/i.exec(filter);
  if (!m) throw invalidFilter(filter, "Supported: name in (<plan1>,<plan2>,...).");
  const names = (m[1] ?? '')
    .split(',')
    .map((n) => n.trim().replace(/^'(.*)'$/, '$1').toLowerCase())
    .filter((n) => n.length > 0);
  return new Set(names);
}

export const pricingRoutes: Route[] = [
  {
    method: 'GET',
    pattern: PRICINGS,
    apiVersions: API_VERSIONS.pricingsRead,
    subscriptionScoped: true,
    handle: (req, ctx) => {
      const names = parseNameFilter(req.query.$filter);
      const value = [...storedPlans(req, ctx).entries()]
        .filter(([name]) => !names || names.has(name.toLowerCase()))
        .map(([name, props]) => resource(ctx, req.params[0] ?? '', name, props, req.apiVersion));
      return { status: 200, body: { value } };
    },
  },
  {
    method: 'GET',
    pattern: PRICING,
    apiVersions: API_VERSIONS.pricingsRead,
    subscriptionScoped: true,
    handle: (req, ctx) => {
      const { plan, stored } = lookup(req, ctx);
      return { status: 200, body: resource(ctx, req.params[0] ?? '', plan.name, stored, req.apiVersion) };
    },
  },
  {
    method: 'PUT',
    pattern: PRICING,
    apiVersions: API_VERSIONS.pricingsWrite,
    subscriptionScoped: true,
    write: { exclusivePerSubscription: true },
    handle: (req, ctx) => {
      const subscriptionId = req.params[0] ?? '';
      const { plan, stored } = lookup(req, ctx);
      const outcome = applyPricingPut(plan, stored, req.body, (ext) => ctx.state.takeExtensionFailure(subscriptionId, ext));
      storedPlans(req, ctx).set(plan.name, outcome.stored);
      return { status: 200, body: resource(ctx, subscriptionId, plan.name, outcome.response, req.apiVersion) };
    },
  },
  {
    method: 'DELETE',
    pattern: PRICING,
    apiVersions: API_VERSIONS.pricingsWrite,
    subscriptionScoped: true,
    write: { exclusivePerSubscription: false },
    handle: () => {
      throw new ArmError(400, 'DeletePricingNotSupported', 'Deleting pricing at subscription scope is not supported. To turn a plan off, set pricingTier to Free.');
    },
  },
];
