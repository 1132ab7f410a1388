/**
 * Small HTTP pieces shared by the ARM stand-in routes: the ARM error envelope, the route
 * contract, and `$skiptoken` paging whose nextLink points back at the stand-in (as ARM's does).
 */
import type { ArmState } from './state';

/** Thrown by routes; the server turns it into `{"error":{"code","message"}}` with this status. */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface ArmRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  /** Capture groups of the route pattern, URL-decoded (subscription id first where present). */
  params: string[];
  apiVersion: string;
}

export interface RouteContext {
  state: ArmState;
  endpoint: string;
  pageSize: number;
}

export interface RouteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Route {
  method: 'GET' | 'PUT' | 'DELETE' | 'PATCH' | 'POST';
  pattern: RegExp;
  apiVersions: readonly string[];
  /** params[0] is a subscription id that must exist (404 SubscriptionNotFound otherwise). */
  subscriptionScoped: boolean;
  /** A write: refused on Disabled/Deleted subscriptions, serialised per subscription when exclusive. */
  write?: { exclusivePerSubscription: boolean };
  handle(req: ArmRequest, ctx: RouteContext): RouteResult | Promise<RouteResult>;
}

function decodeSkipToken(token: string | undefined): number {
  if (token === undefined) return 0;
  const offset = Number.parseInt(Buffer.from(token, 'base64url').toString('utf8'), 10);
  if (!Number.isInteger(offset) || offset < 0) {
    throw new ArmError(400, 'InvalidSkipToken', `The $skiptoken '${token}' is not valid.`);
  }
  return offset;
}

/** One page of items plus, when more remain, a nextLink that repeats the query with a new $skiptoken. */
export function page<T>(items: readonly T[], req: ArmRequest, ctx: RouteContext, size = ctx.pageSize): { value: T[]; nextLink?: string } {
  const offset = decodeSkipToken(req.query.$skiptoken);
  const value = items.slice(offset, offset + size);
  if (offset + size >= items.length) return { value };
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(req.query)) if (k !== '$skiptoken') query.set(k, v);
  query.set('$skiptoken', Buffer.from(String(offset + size)).toString('base64url'));
  return { value, nextLink: `${ctx.endpoint}${req.path}?${query.toString()}` };
}

/** Parses `$top` (positive integer) or returns undefined; ARM rejects anything else with 400. */
export function parseTop(req: ArmRequest): number | undefined {
  const raw = req.query.$top;
  if (raw === undefined) return undefined;
  const top = Number(raw);
  if (!Number.isInteger(top) || top < 1) throw new ArmError(400, 'InvalidTopInQueryString', `The $top value '${raw}' is not valid.`);
  return top;
}

/** Splits an OData filter on a keyword (and/or) outside quoted strings; whitespace tolerant. */
export function splitFilter(filter: string, keyword: 'and' | 'or'): string[] {
  const parts: string[] = [];
  const re = new RegExp(`\\s+${keyword}\\s+`, 'i');
  let current = '';
  let inQuote = false;
  let rest = filter;
  while (rest.length > 0) {
    const ch = rest[0] as string;
    if (ch === "'") inQuote = !inQuote;
    const m = !inQuote ? re.exec(rest) : null;
    if (m && m.index === 0) {
      parts.push(current.trim());
      current = '';
      rest = rest.slice(m[0].length);
      continue;
    }
    current += ch;
    rest = rest.slice(1);
  }
  parts.push(current.trim());
  return parts;
}

export function invalidFilter(filter: string, hint: string): ArmError {
  return new ArmError(400, 'InvalidFilterInQueryString', `The $filter '${filter}' is not supported. ${hint}`);
}
