import { ResourceGraphClient, type QueryRequest } from '@azure/arm-resourcegraph';
import { GovernError } from '../engine/errors';
import { sdkClientOptions, type ArmConnection } from './credential';
import type { WaitListener } from './pipeline-policies';

/**
 * Azure Resource Graph (`@azure/arm-resourcegraph` 5, api-version 2024-04-01) with the same
 * credential, endpoint and pipeline options as the other adapters. One call reads every page of
 * one query: `$top` 1000 rows per request, continued with `$skipToken` until done; an explicit
 * subscription list is sent at most 1,000 subscriptions per request, as the service requires.
 *
 * Throttling: the SDK pipeline already retries a 429 after its Retry-After. On top of that each
 * answer's `x-ms-user-quota-remaining` / `x-ms-user-quota-resets-after` (15 requests per 5 s per
 * user) paces the next request: when the quota is used up the next page waits for the window to
 * reset instead of running into 429s. A truncated result (`resultTruncated: true`) is an error:
 * decisions are never made on a partial view of the tenant.
 */

export const GRAPH_PAGE_SIZE = 1000;
export const GRAPH_MAX_SUBSCRIPTIONS_PER_REQUEST = 1000;
/**
 * Resource Graph answers a query scoped to the tenant or a management group over more than this
 * many subscriptions for the first 10,000 only, and says so in `x-ms-tenant-subscription-limit-hit: true`.
 */
export const GRAPH_TENANT_SUBSCRIPTION_LIMIT = 10_000;
export const LIMIT_HIT_HEADER = 'x-ms-tenant-subscription-limit-hit';

/** The scope in words, for errors: `management group X` or `the tenant`. */
export function scopeText(scope: GraphScope): string {
  if (scope.subscriptions) return `${scope.subscriptions.length} explicit subscription(s)`;
  return scope.managementGroup ? `management group ${scope.managementGroup}` : 'the tenant (every subscription the identity can read)';
}

/**
 * The run cannot cover the scope completely: names the cap, the scope and how many subscriptions
 * were left out, and why the scope could not be split into parts under the cap when that was tried.
 */
export function subscriptionLimitError(scope: GraphScope, leftOut: string, why?: string): GovernError {
  return new GovernError(
    'ResourceGraphSubscriptionLimit',
    `Resource Graph answered for the first ${GRAPH_TENANT_SUBSCRIPTION_LIMIT.toLocaleString('en-US')} subscriptions only (${LIMIT_HIT_HEADER}: true) ` +
      `for ${scopeText(scope)}; ${leftOut} left out.${why ? ` ${why}` : ''} No decision is made on a partial view of the scope.`,
  );
}

/** Where a query looks: a management group, explicit subscriptions, or (neither) every subscription the identity can read. */
export interface GraphScope {
  managementGroup?: string;
  subscriptions?: readonly string[];
}

export interface GraphQueryOptions {
  /** For policy resources: also return assignments and exemptions at scopes above the query scope. */
  includeScopesAbove?: boolean;
}

export type GraphRow = Record<string, unknown>;

export interface GraphPage {
  rows: GraphRow[];
  /** Continues the same query and scope; undefined on the last page. */
  skipToken?: string;
  /** Rows of the whole query (all pages), as the service counts them. */
  total?: number;
  /** The answer carried `x-ms-tenant-subscription-limit-hit: true`: it covers the first 10,000 subscriptions only. */
  limitHit?: boolean;
}

export interface ResourceGraphPort {
  /** One request: a page of at most 1,000 rows (scope.subscriptions: at most 1,000 ids). */
  page(query: string, scope: GraphScope, options?: GraphQueryOptions & { skipToken?: string }): Promise<GraphPage>;
  /**
   * Every row of the query, page by page (one array per page); longer subscription lists are split.
   * Throws ResourceGraphSubscriptionLimit when an answer says it covers the first 10,000 subscriptions only.
   */
  pages(query: string, scope: GraphScope, options?: GraphQueryOptions): AsyncIterable<GraphRow[]>;
}

export class ResourceGraphAdapter implements ResourceGraphPort {
  private readonly client: ResourceGraphClient;
  /** When the current quota window ends, if this user has no requests left in it. */
  private quotaExhaustedUntil = 0;

  constructor(
    connection: ArmConnection,
    private readonly sleep: (ms: number) => Promise<void>,
    private readonly onWait?: WaitListener,
  ) {
    this.client = new ResourceGraphClient(connection.credential, sdkClientOptions(connection));
  }

  async *pages(query: string, scope: GraphScope, options: GraphQueryOptions = {}): AsyncIterable<GraphRow[]> {
    // An explicit empty list means no subscription at all, never "every subscription".
    if (scope.subscriptions && scope.subscriptions.length === 0) return;
    const scopes = scope.subscriptions ? chunk(scope.subscriptions, GRAPH_MAX_SUBSCRIPTIONS_PER_REQUEST).map((subscriptions) => ({ subscriptions })) : [scope];
    for (const part of scopes) {
      let skipToken: string | undefined;
      do {
        const page = await this.page(query, part, { ...options, ...(skipToken ? { skipToken } : {}) });
        if (page.limitHit) throw subscriptionLimitError(part, 'the subscriptions beyond them were');
        yield page.rows;
        if (page.skipToken !== undefined && page.skipToken === skipToken) {
          throw new GovernError('ResourceGraphPaging', 'Resource Graph returned the same $skipToken twice; stopping instead of looping.');
        }
        skipToken = page.skipToken;
      } while (skipToken);
    }
  }

  async page(query: string, scope: GraphScope, options: GraphQueryOptions & { skipToken?: string } = {}): Promise<GraphPage> {
    if (scope.subscriptions && scope.subscriptions.length > GRAPH_MAX_SUBSCRIPTIONS_PER_REQUEST) {
      throw new GovernError('ResourceGraphScope', `A Resource Graph request takes at most ${GRAPH_MAX_SUBSCRIPTIONS_PER_REQUEST} subscriptions; got ${scope.subscriptions.length}.`);
    }
    if (scope.subscriptions && scope.subscriptions.length === 0) return { rows: [] };
    await this.pace();
    const request: QueryRequest = {
      query,
      ...(scope.subscriptions ? { subscriptions: [...scope.subscriptions] } : {}),
      ...(!scope.subscriptions && scope.managementGroup ? { managementGroups: [scope.managementGroup] } : {}),
      options: {
        top: GRAPH_PAGE_SIZE,
        resultFormat: 'objectArray',
        ...(options.skipToken ? { skipToken: options.skipToken } : {}),
        ...(options.includeScopesAbove ? { authorizationScopeFilter: 'AtScopeAboveAndBelow' as const } : {}),
      },
    };
    let limitHit = false;
    const response = await this.client.resources(request, {
      onResponse: (raw) => {
        this.noteQuota(raw.headers.get('x-ms-user-quota-remaining'), raw.headers.get('x-ms-user-quota-resets-after'));
        limitHit = raw.headers.get(LIMIT_HIT_HEADER)?.trim().toLowerCase() === 'true';
      },
    });
    if (response.resultTruncated === 'true') {
      throw new GovernError(
        'ResourceGraphTruncated',
        `Resource Graph truncated the result of "${query.split('|')[0]?.trim() ?? query}" (${response.count} of ${response.totalRecords} rows); no decision is made on a partial view.`,
      );
    }
    if (!Array.isArray(response.data)) throw new GovernError('ResourceGraphUnexpected', 'Resource Graph answered without a data array (objectArray format expected).');
    return {
      rows: response.data as GraphRow[],
      ...(response.skipToken ? { skipToken: response.skipToken } : {}),
      ...(typeof response.totalRecords === 'number' ? { total: response.totalRecords } : {}),
      ...(limitHit ? { limitHit } : {}),
    };
  }

  private noteQuota(remaining: string | undefined, resetsAfter: string | undefined): void {
    const left = remaining === undefined ? NaN : Number(remaining);
    const resetMs = parseTimeSpan(resetsAfter);
    this.quotaExhaustedUntil = Number.isFinite(left) && left <= 0 && resetMs !== undefined ? Date.now() + resetMs : 0;
  }

  private async pace(): Promise<void> {
    const wait = this.quotaExhaustedUntil - Date.now();
    if (wait <= 0) return;
    this.onWait?.(wait, 'Resource Graph quota for this user is used up (x-ms-user-quota-remaining: 0); waiting for it to reset');
    await this.sleep(wait);
    this.quotaExhaustedUntil = 0;
  }
}

/** `hh:mm:ss` (what x-ms-user-quota-resets-after carries) in milliseconds. */
export function parseTimeSpan(value: string | undefined): number | undefined {
  const match = /^(\d+):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(value?.trim() ?? '');
  if (!match) return undefined;
  const [, h, m, s, fraction] = match;
  return ((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1000 + (fraction ? Math.round(Number(`0.${fraction}`) * 1000) : 0);
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}
