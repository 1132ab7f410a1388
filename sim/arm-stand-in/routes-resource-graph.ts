/**
 * POST /providers/Microsoft.ResourceGraph/resources (api-version 2024-04-01, resourcegraph.json):
 * the KQL subset of kql.ts over the tables of graph-tables.ts, built from the same state as the
 * ARM routes. Follows the contract where the snapshot depends on it:
 *  - scope: `subscriptions` (at most 1,000) or `managementGroups` (the subscriptions below them),
 *    neither = the tenant; `authorizationScopeFilter: AtScopeAboveAndBelow` adds policy resources
 *    assigned at management groups above the scope;
 *  - paging: `$top` (at most 1,000 rows a page) and `$skipToken`; without `id` in the projection a
 *    result larger than a page is truncated (`resultTruncated: "true"`), as the service does;
 *  - throttling: a per-user quota (15 requests per 5 seconds by default) reported in
 *    `x-ms-user-quota-remaining` / `x-ms-user-quota-resets-after`, and 429 with Retry-After past it;
 *  - the documented subscription cap: a query scoped to the tenant or a management group over more
 *    than 10,000 subscriptions answers for the first 10,000 only (by subscription id) with
 *    `x-ms-tenant-subscription-limit-hit: true`; explicit subscription lists are not capped;
 *  - a stale index: graph.freeze() serves a copy of the state taken then, while ARM moves on.
 */
import { createHash } from 'node:crypto';
import { API_VERSIONS } from './api-versions';
import { GRAPH_TABLES, graphTable, type GraphRow, type TableScope } from './graph-tables';
import { ArmError, type Route, type RouteContext } from './http';
import { evaluate, parseQuery } from './kql';
import type { ArmState } from './state';

export const GRAPH_MAX_PAGE = 1000;
export const GRAPH_MAX_SUBSCRIPTIONS = 1000;
export const GRAPH_TENANT_SUBSCRIPTION_LIMIT = 10_000;

/** The index's behaviour: staleness and the per-user quota. */
export class GraphControl {
  private frozen: ArmState | undefined;
  private readonly requestTimes: number[] = [];
  quota = { limit: 15, windowMs: 5000 };
  /** Subscriptions a tenant- or management-group-scoped query covers at most (the service's cap). */
  subscriptionLimit = GRAPH_TENANT_SUBSCRIPTION_LIMIT;

  /** @param pageCap rows the index returns per page at most (1,000 as the service; less to exercise paging). */
  constructor(public pageCap = GRAPH_MAX_PAGE) {}

  /** From now on the index shows the state as it is at this moment, until thaw(). */
  freeze(state: ArmState): void {
    this.frozen = state.copy();
  }

  thaw(): void {
    this.frozen = undefined;
  }

  view(live: ArmState): ArmState {
    return this.frozen ?? live;
  }

  reset(): void {
    this.frozen = undefined;
    this.requestTimes.length = 0;
    this.quota = { limit: 15, windowMs: 5000 };
    this.subscriptionLimit = GRAPH_TENANT_SUBSCRIPTION_LIMIT;
  }

  /** Counts a request against the quota: the headers to send, or a 429 when the window is full. */
  take(now = Date.now()): Record<string, string> {
    while (this.requestTimes.length && (this.requestTimes[0] as number) <= now - this.quota.windowMs) this.requestTimes.shift();
    const resetsAfterMs = this.requestTimes.length ? (this.requestTimes[0] as number) + this.quota.windowMs - now : this.quota.windowMs;
    if (this.requestTimes.length >= this.quota.limit) {
      const seconds = Math.max(1, Math.ceil(resetsAfterMs / 1000));
      throw new ArmError(429, 'RateLimiting', `Please provide below info when asking for support: the user quota of ${this.quota.limit} requests per ${this.quota.windowMs / 1000} seconds is used up.`, {
        'retry-after': String(seconds),
        'x-ms-user-quota-remaining': '0',
        'x-ms-user-quota-resets-after': timeSpan(resetsAfterMs),
      });
    }
    this.requestTimes.push(now);
    return { 'x-ms-user-quota-remaining': String(this.quota.limit - this.requestTimes.length), 'x-ms-user-quota-resets-after': timeSpan(resetsAfterMs) };
  }
}

function timeSpan(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

interface QueryBody {
  query?: unknown;
  subscriptions?: unknown;
  managementGroups?: unknown;
  options?: { $top?: unknown; $skip?: unknown; $skipToken?: unknown; resultFormat?: unknown; authorizationScopeFilter?: unknown };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const bad = (message: string): ArmError => new ArmError(400, 'BadRequest', message);

function stringList(value: unknown, field: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw bad(`'${field}' must be an array of strings.`);
  return value as string[];
}

/** Management group ids below `id` (itself included). */
function subtree(state: ArmState, id: string): Set<string> {
  const result = new Set([id.toLowerCase()]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const group of state.managementGroups.values()) {
      if (group.parent && result.has(group.parent.toLowerCase()) && !result.has(group.id.toLowerCase())) {
        result.add(group.id.toLowerCase());
        grew = true;
      }
    }
  }
  return result;
}

/** Management group ids above `id` (the tenant root group included, named by the tenant id). */
function ancestorsOfGroup(state: ArmState, id: string): Set<string> {
  const result = new Set<string>();
  for (let at = state.managementGroups.get(id.toLowerCase())?.parent; at && !result.has(at.toLowerCase()); at = state.managementGroups.get(at.toLowerCase())?.parent) result.add(at.toLowerCase());
  for (const sub of state.subscriptions.values()) result.add(sub.tenantId.toLowerCase());
  return result;
}

/**
 * The service's cap on a tenant or management-group scope: over `limit` subscriptions, only the
 * first `limit` (by subscription id) are answered for.
 */
function capped(subs: Set<string>, limit: number): { subs: Set<string>; limitHit: boolean } {
  if (subs.size <= limit) return { subs, limitHit: false };
  return { subs: new Set([...subs].sort().slice(0, limit)), limitHit: true };
}

/** The rows a request's scope covers, and whether the service's cap cut it. */
function scopeFilter(
  state: ArmState,
  subscriptions: string[] | undefined,
  managementGroups: string[] | undefined,
  aboveAndBelow: boolean,
  limit: number,
): { scope: TableScope; limitHit: boolean } {
  if (subscriptions) {
    const subs = new Set(subscriptions.map((s) => s.toLowerCase()));
    const above = new Set<string>();
    if (aboveAndBelow) for (const s of subs) if (state.getSubscription(s)) for (const a of state.ancestorsOf(s)) above.add(a.name.toLowerCase());
    return { scope: { subscriptions: subs, outsideSubscriptions: (mg) => mg !== undefined && above.has(mg.toLowerCase()) }, limitHit: false };
  }
  if (managementGroups) {
    const below = new Set<string>();
    const above = new Set<string>();
    for (const mg of managementGroups) {
      if (!state.managementGroups.has(mg.toLowerCase())) throw new ArmError(400, 'BadRequest', `The management group '${mg}' was not found or the caller has no access to it.`);
      for (const g of subtree(state, mg)) below.add(g);
      if (aboveAndBelow) for (const g of ancestorsOfGroup(state, mg)) above.add(g);
    }
    const all = new Set([...state.subscriptions.values()].filter((s) => state.ancestorsOf(s.subscriptionId).some((a) => below.has(a.name.toLowerCase()))).map((s) => s.subscriptionId.toLowerCase()));
    const { subs, limitHit } = capped(all, limit);
    return { scope: { subscriptions: subs, outsideSubscriptions: (mg) => mg !== undefined && (below.has(mg.toLowerCase()) || above.has(mg.toLowerCase())) }, limitHit };
  }
  if (state.subscriptions.size <= limit) return { scope: { outsideSubscriptions: () => true }, limitHit: false };
  const { subs } = capped(new Set(state.subscriptions.keys()), limit);
  return { scope: { subscriptions: subs, outsideSubscriptions: () => true }, limitHit: true };
}

/** The service's paging order (by id), as String.prototype.localeCompare has it, without its per-call cost. */
const byId = new Intl.Collator().compare;

function skipTokenFor(offset: number, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ o: offset, f: fingerprint })).toString('base64');
}

function offsetOf(token: string, fingerprint: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { o?: unknown; f?: unknown };
    if (typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0 && parsed.f === fingerprint) return parsed.o;
  } catch {
    /* fall through */
  }
  throw bad('The $skipToken is not valid for this query and scope.');
}

export function resourceGraphRoutes(graph: GraphControl): Route[] {
  return [
    {
      method: 'POST',
      pattern: /^\/providers\/Microsoft\.ResourceGraph\/resources$/i,
      apiVersions: API_VERSIONS.resourceGraph,
      subscriptionScoped: false,
      handle: (req, ctx: RouteContext) => {
        const quotaHeaders = graph.take();
        const body = (req.body ?? {}) as QueryBody;
        if (typeof body.query !== 'string' || body.query.trim() === '') throw bad("'query' is required.");
        const subscriptions = stringList(body.subscriptions, 'subscriptions');
        const managementGroups = stringList(body.managementGroups, 'managementGroups');
        if (subscriptions && subscriptions.length > GRAPH_MAX_SUBSCRIPTIONS) throw bad(`At most ${GRAPH_MAX_SUBSCRIPTIONS} subscriptions can be queried in one request; got ${subscriptions.length}.`);
        if (subscriptions?.some((s) => !GUID.test(s))) throw bad("'subscriptions' must hold subscription ids (GUIDs).");
        const options = body.options ?? {};
        if (options.resultFormat !== undefined && options.resultFormat !== 'objectArray') throw bad('The stand-in serves resultFormat objectArray only.');
        const top = options.$top === undefined ? GRAPH_MAX_PAGE : Number(options.$top);
        if (!Number.isInteger(top) || top < 1 || top > GRAPH_MAX_PAGE) throw bad(`'$top' must be from 1 to ${GRAPH_MAX_PAGE}.`);
        const aboveAndBelow = options.authorizationScopeFilter === 'AtScopeAboveAndBelow';

        const parsed = parseQuery(body.query);
        const state = graph.view(ctx.state);
        const unknown = parsed.tables.find((t) => !(GRAPH_TABLES as readonly string[]).includes(t));
        if (unknown) throw new ArmError(400, 'InvalidQuery', `Table '${unknown}' is not known to the stand-in (${GRAPH_TABLES.join(', ')}).`);
        const { scope, limitHit } = scopeFilter(state, subscriptions, managementGroups, aboveAndBelow, graph.subscriptionLimit);
        const rows = evaluate(parsed, (table) => graphTable(state, table, scope) as GraphRow[]).sort((a, b) => byId(a.order, b.order));
        const fingerprint = createHash('sha256').update(JSON.stringify([body.query, subscriptions ?? null, managementGroups ?? null, aboveAndBelow])).digest('hex').slice(0, 16);
        const offset = typeof options.$skipToken === 'string' ? offsetOf(options.$skipToken, fingerprint) : Number(options.$skip ?? 0);
        const pageable = parsed.columns === undefined || parsed.columns.includes('id');
        const size = Math.min(top, graph.pageCap);
        // Only the page served is copied (the table rows share their values with the state).
        const data = rows.slice(offset, offset + size).map((row) => structuredClone(row.values));
        const more = offset + size < rows.length;
        return {
          status: 200,
          headers: limitHit ? { ...quotaHeaders, 'x-ms-tenant-subscription-limit-hit': 'true' } : quotaHeaders,
          body: {
            totalRecords: rows.length,
            count: data.length,
            resultTruncated: more && !pageable ? 'true' : 'false',
            ...(more && pageable ? { $skipToken: skipTokenFor(offset + size, fingerprint) } : {}),
            facets: [],
            data,
          },
        };
      },
    },
  ];
}
