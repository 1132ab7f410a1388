/**
 * The HTTPS ARM stand-in. Request pipeline, in ARM's order: bearer token (401) → route (404/405)
 * → api-version (400) → subscription exists (404) / is writable (409) → per-subscription pricing
 * write gate (409) → injected latency → injected errors → the route itself.
 * Every answer carries x-ms-request-id / x-ms-correlation-request-id and is recorded.
 */
import { randomUUID } from 'node:crypto';
import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IdentityStandIn } from '../identity-stand-in';
import { ensureTestTls } from '../tls';
import { FaultInjector } from './faults';
import { ArmError, type ArmRequest, type Route, type RouteContext, type RouteResult } from './http';
import { cognitiveRoutes } from './routes-cognitive';
import { managementGroupRoutes } from './routes-management-groups';
import { policyRoutes } from './routes-policy';
import { pricingRoutes } from './routes-pricings';
import { GraphControl, resourceGraphRoutes } from './routes-resource-graph';
import { subscriptionNotFound, subscriptionRoutes } from './routes-subscriptions';
import { ArmState } from './state';
import type { RecordedRequest } from './types';

export interface ArmStandIn {
  /** https://127.0.0.1:<port> — pass as the SDK `endpoint`; the token audience is this origin. */
  endpoint: string;
  state: ArmState;
  /** The Resource Graph index: freeze()/thaw() a stale view, and its per-user quota. */
  graph: GraphControl;
  faults: FaultInjector;
  requests: RecordedRequest[];
  /** Endpoint and token scope for ARM SDK client constructors, in both generations' option names. */
  clientOptions(): ArmClientOptions;
  maxConcurrentPricingWrites(subscriptionId: string): number;
  /** Recorded requests filtered by method and/or path pattern. */
  requestsMatching(method?: string, path?: RegExp): RecordedRequest[];
  reset(): void;
  close(): Promise<void>;
}

/** Modular clients (@azure/arm-* 7+, @azure-rest) read `credentials.scopes`; core-client ones `credentialScopes`. */
export interface ArmClientOptions {
  endpoint: string;
  credentials: { scopes: string[] };
  credentialScopes: string[];
}

export interface ArmStandInOptions {
  identity: IdentityStandIn;
  tls?: { certPem: string; keyPem: string };
  /** Items per page on paged lists (default 100). */
  pageSize?: number;
  /** Rows per Resource Graph page at most (default 1,000, as the service). */
  graphPageSize?: number;
}

const READ_ONLY_STATES = new Set(['disabled', 'deleted']);

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function safeDecode(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return pathname;
  }
}

function parseJson(raw: string): unknown {
  if (raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new ArmError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
  }
}

function resolveRoute(routes: Route[], method: string, path: string): { route: Route; params: string[] } {
  const candidates = routes.map((route) => ({ route, m: route.pattern.exec(path) })).filter((c) => c.m !== null);
  if (candidates.length === 0) {
    throw new ArmError(404, 'InvalidResourceType', `The resource type could not be found for path '${path}'.`);
  }
  const hit = candidates.find((c) => c.route.method === method);
  if (!hit || !hit.m) throw new ArmError(405, 'MethodNotAllowed', `The HTTP method '${method}' is not supported for '${path}'.`);
  return { route: hit.route, params: hit.m.slice(1).map((p) => p ?? '') };
}

function checkApiVersion(route: Route, apiVersion: string | undefined): string {
  if (apiVersion === undefined) {
    throw new ArmError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
  }
  if (!route.apiVersions.includes(apiVersion)) {
    throw new ArmError(
      400,
      'InvalidApiVersionParameter',
      `The api-version '${apiVersion}' is invalid. The supported versions are '${route.apiVersions.join(',')}'.`,
    );
  }
  return apiVersion;
}

export async function startArmStandIn(opts: ArmStandInOptions): Promise<ArmStandIn> {
  const tls = opts.tls ?? (await ensureTestTls());
  const state = new ArmState();
  const graph = new GraphControl(opts.graphPageSize);
  const faults = new FaultInjector();
  const routes: Route[] = [...subscriptionRoutes, ...managementGroupRoutes, ...pricingRoutes, ...policyRoutes, ...cognitiveRoutes, ...resourceGraphRoutes(graph)];
  const requests: RecordedRequest[] = [];
  const ctx: RouteContext = { state, endpoint: '', pageSize: opts.pageSize ?? 100 };

  const authorize = (req: IncomingMessage): ArmError | undefined => {
    const header = req.headers.authorization;
    const challenge = (description: string): Record<string, string> => ({
      'www-authenticate': `Bearer authorization_uri="https://login.microsoftonline.com/${opts.identity.tenantId}", error="invalid_token", error_description="${description}"`,
    });
    if (!header) {
      const text = "The authentication failed because of missing 'Authorization' header.";
      return new ArmError(401, 'AuthenticationFailed', text, challenge(text));
    }
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m || !m[1] || !opts.identity.verify(m[1], ctx.endpoint)) {
      return new ArmError(401, 'InvalidAuthenticationToken', 'The access token is invalid.', challenge('The access token is invalid.'));
    }
    return undefined;
  };

  const dispatch = async (req: IncomingMessage, path: string, query: Record<string, string>, body: unknown): Promise<RouteResult & { rawText?: string }> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const { route, params } = resolveRoute(routes, method, path);
    const apiVersion = checkApiVersion(route, query['api-version']);
    const subscriptionId = route.subscriptionScoped ? params[0] : undefined;
    if (subscriptionId !== undefined) {
      const sub = state.getSubscription(subscriptionId);
      if (!sub) throw subscriptionNotFound(subscriptionId);
      if (route.write && READ_ONLY_STATES.has(sub.state.toLowerCase())) {
        const text = `The subscription '${sub.subscriptionId}' is disabled and therefore marked as read only. You cannot perform any write actions on this subscription until it is re-enabled.`;
        throw new ArmError(409, 'ReadOnlyDisabledSubscription', text);
      }
    }
    const exclusive = route.write?.exclusivePerSubscription === true && subscriptionId !== undefined;
    if (exclusive && !state.beginPricingWrite(subscriptionId)) {
      throw new ArmError(409, 'Conflict', 'Another update operation is in progress');
    }
    try {
      const target = { method, path, subscriptionId: subscriptionId ?? /^\/subscriptions\/([^/]+)/i.exec(path)?.[1] };
      const delay = faults.takeDelay(target);
      if (delay > 0) await sleep(delay);
      const injected = faults.takeError(target);
      if (injected) throw injected;
      if (faults.takeHang(target)) {
        // No answer, ever: the client's timeout must end it (the socket closes when it gives up).
        await new Promise<void>((resolve) => req.socket.once('close', () => resolve()));
        return { status: 599, body: undefined };
      }
      const armRequest: ArmRequest = { method, path, query, body, params, apiVersion };
      const answer = await route.handle(armRequest, ctx);
      const changed = faults.takeResponse(target);
      if (!changed) return answer;
      if ('rawText' in changed) return { status: changed.status, rawText: changed.rawText, ...(answer.headers ? { headers: answer.headers } : {}) };
      return { ...answer, body: changed.rewrite(answer.body, `${ctx.endpoint}${req.url ?? path}`) };
    } finally {
      if (exclusive) state.endPricingWrite(subscriptionId);
    }
  };

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const at = Date.now();
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const path = safeDecode(url.pathname).replace(/\/+$/, '') || '/';
    const query = Object.fromEntries(url.searchParams.entries());
    const raw = await readBody(req);
    const denied = authorize(req);
    let body: unknown;
    let result: RouteResult & { rawText?: string };
    try {
      if (denied) throw denied;
      body = parseJson(raw);
      result = await dispatch(req, path, query, body);
    } catch (err) {
      const e = err instanceof ArmError ? err : new ArmError(500, 'InternalServerError', `Stand-in failure: ${String(err)}`);
      result = { status: e.status, body: { error: { code: e.code, message: e.message } }, headers: e.headers };
    }
    const record: RecordedRequest = { method: (req.method ?? 'GET').toUpperCase(), path, query, status: result.status, at, authorized: !denied };
    if (body !== undefined) record.body = body;
    requests.push(record);
    if (res.destroyed || req.socket.destroyed) return;
    const text = result.rawText ?? (result.body === undefined ? '' : JSON.stringify(result.body));
    const clientRequestId = req.headers['x-ms-client-request-id'];
    res.writeHead(result.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'x-ms-request-id': randomUUID(),
      'x-ms-correlation-request-id': String(req.headers['x-ms-correlation-request-id'] ?? randomUUID()),
      ...(typeof clientRequestId === 'string' ? { 'x-ms-client-request-id': clientRequestId } : {}),
      ...(result.headers ?? {}),
    });
    res.end(text);
  };

  const server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    onRequest(req, res).catch((err: unknown) => {
      res.destroy(err instanceof Error ? err : new Error(String(err)));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  ctx.endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint: ctx.endpoint,
    state,
    graph,
    faults,
    requests,
    clientOptions: () => ({ endpoint: ctx.endpoint, credentials: { scopes: [`${ctx.endpoint}/.default`] }, credentialScopes: [`${ctx.endpoint}/.default`] }),
    maxConcurrentPricingWrites: (subscriptionId) => state.maxConcurrentPricingWrites(subscriptionId),
    requestsMatching: (method, path) =>
      requests.filter((r) => (!method || r.method === method.toUpperCase()) && (!path || new RegExp(path.source, path.flags.replace('g', '')).test(r.path))),
    reset: () => {
      state.clear();
      graph.reset();
      faults.clear();
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
