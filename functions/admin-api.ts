import { randomUUID } from 'node:crypto';
import { app, type FunctionInput, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { PassInProgress, TENANT_PASS_LEASE, takeTenantLease } from '../shared/engine/tenant-lease';
import { RecordStoreUnavailable } from '../shared/records/record-store';
import { withFunctionKey, withRole, type AdminRole, type Caller, type GuardedHandler } from './admin-auth';
import { checkInstanceId, checkLimit, checkRunOptions, checkSubscriptionId, type Checked } from './admin-api.validation';
import { FN, manualSweepInstanceId } from './names';
import { functionsConfig, loggerFor, portsFor } from './runtime';
import { startOrCoalesce, statusOf } from './start-govern';
import type { SweepInput } from './sweep-tenant.orchestrator';

/**
 * The admin API. Callers sign in with Entra ID: App Service Authentication refuses a request
 * without a token for the app registration, and functions/admin-auth.ts checks the app role
 * (operator starts runs, reader reads them; see registerAdminRoute below). The caller's object id
 * (and app id, for an application) travels with the run and is recorded as its actor. With
 * D4AI_ADMIN_ALLOW_FUNCTION_KEYS=true each route also has an /api/automation/... twin guarded by a
 * function key instead (see docs/functions.md). Starts answer 202 with this API's own run URL
 * (`GET /api/runs/{id}`), never the Durable Functions management URLs: those carry the
 * durabletask system key, which would let any caller raise events into or terminate any run.
 * Invalid input answers 400 naming the field, and then nothing is started. A sweep while another
 * pass over the tenant holds the lease answers 409 naming the holder and the expiry.
 *
 *  POST /api/subscriptions/{subscriptionId}/govern   body {dryRun?, note?}  -> govern-<sub> (coalesced)
 *  POST /api/sweeps                                   body {dryRun?, note?}  -> sweep-manual-<guid>
 *  GET  /api/runs/{instanceId}                        status + custom status (the decision)
 *  GET  /api/subscriptions/{subscriptionId}/records?limit=N   newest first, N in 1..1000 (default 20)
 *
 * A dry run travels in the orchestration input (GovernAsk.dryRun / SweepInput.dryRun) and forces
 * report mode for that run only: the run never calls applyPricing and never takes the write lock.
 */

export const adminClientInput = df.input.durableClient();

async function governSubscription(request: HttpRequest, context: InvocationContext, caller: Caller): Promise<HttpResponseInit> {
  const subscription = checkSubscriptionId(request.params.subscriptionId);
  if (!subscription.ok) return badRequest(subscription);
  const options = checkRunOptions(await request.text());
  if (!options.ok) return badRequest(options);

  // Validated before anything starts: a bad setting answers 500 naming it, and nothing runs.
  functionsConfig();
  const { dryRun, note } = options.value;
  const started = await startOrCoalesce(df.getClient(context), {
    requestId: randomUUID(),
    request: { subscriptionId: subscription.value, trigger: 'manual', actor: caller.actor, ...(note ? { detail: { note } } : {}) },
    dryRun,
  });
  loggerFor(context, { trigger: 'manual' }).info('D4AI admin govern accepted', {
    subscriptionId: subscription.value,
    instanceId: started.instanceId,
    reason: started.outcome,
  });
  return accepted(request, started.instanceId, { outcome: started.outcome, requestId: started.requestId, dryRun });
}

async function startSweep(request: HttpRequest, context: InvocationContext, caller: Caller): Promise<HttpResponseInit> {
  const options = checkRunOptions(await request.text());
  if (!options.ok) return badRequest(options);
  const config = functionsConfig();
  const client = df.getClient(context);
  const instanceId = manualSweepInstanceId(randomUUID());
  const { dryRun, note } = options.value;
  const logger = loggerFor(context, { trigger: 'manual', sweepId: instanceId, instanceId });
  // One pass over the tenant at a time (one cap): the lease is taken here, for this instance id,
  // and the orchestration renews it per page and gives it back at the end.
  try {
    await takeTenantLease(portsFor(config, logger).records, instanceId, new Date());
  } catch (error) {
    if (error instanceof PassInProgress) {
      return { status: 409, jsonBody: { error: { code: 'SweepInProgress', message: error.message, holder: error.held.holder, expiresAt: error.held.expiresAt } } };
    }
    if (error instanceof RecordStoreUnavailable) return { status: 503, jsonBody: { error: { code: error.code, message: error.message } } };
    throw error;
  }
  const input: SweepInput = { trigger: 'manual', dryRun, actor: caller.actor, ...(note ? { note } : {}) };
  try {
    await client.startNew(FN.sweepTenant, { instanceId, input });
  } catch (error) {
    await portsFor(config, logger).records.releaseLease(TENANT_PASS_LEASE, instanceId).catch(() => undefined);
    throw error;
  }
  logger.info('D4AI admin sweep started', { mode: dryRun ? 'report' : config.mode });
  return accepted(request, instanceId, { outcome: 'started', dryRun });
}

async function getRun(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const instanceId = checkInstanceId(request.params.instanceId);
  if (!instanceId.ok) return badRequest(instanceId);
  const status = await statusOf(df.getClient(context), instanceId.value);
  if (!status) return { status: 404, jsonBody: { error: { code: 'RunNotFound', field: 'instanceId', message: `No run with id ${instanceId.value}.` } } };
  return {
    status: 200,
    jsonBody: {
      instanceId: status.instanceId,
      name: status.name,
      runtimeStatus: status.runtimeStatus,
      createdTime: status.createdTime.toISOString(),
      lastUpdatedTime: status.lastUpdatedTime.toISOString(),
      customStatus: status.customStatus ?? null,
      output: status.output ?? null,
    },
  };
}

async function listRecords(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const subscription = checkSubscriptionId(request.params.subscriptionId);
  if (!subscription.ok) return badRequest(subscription);
  const limit = checkLimit(request.query.get('limit'));
  if (!limit.ok) return badRequest(limit);
  const ports = portsFor(functionsConfig(), loggerFor(context, { subscriptionId: subscription.value }));
  const { records, problems } = await ports.records.list(subscription.value, limit.value);
  return { status: 200, jsonBody: { subscriptionId: subscription.value, count: records.length, records, ...(problems.length ? { problems } : {}) } };
}

function badRequest(problem: Extract<Checked<unknown>, { ok: false }>): HttpResponseInit {
  return { status: 400, jsonBody: { error: { code: 'InvalidRequest', field: problem.field, message: `${problem.field} ${problem.message}` } } };
}

/** 202 with our own run URL only (it needs the caller's own credential, never the system key). */
function accepted(request: HttpRequest, instanceId: string, extra: Record<string, unknown>): HttpResponseInit {
  // A function-key caller follows up on its own (automation) route; everyone else on the Entra one.
  const base = new URL(request.url).pathname.startsWith('/api/automation/') ? '/api/automation' : '/api';
  const runUri = new URL(`${base}/runs/${encodeURIComponent(instanceId)}`, request.url).href;
  return {
    status: 202,
    jsonBody: { id: instanceId, runUri, ...extra },
    headers: { 'Content-Type': 'application/json', Location: runUri, 'Retry-After': '10' },
  };
}

/** The handlers as registered, each behind its role: what the tests drive. */
export const governSubscriptionHttp = withRole('operator', governSubscription);
export const startSweepHttp = withRole('operator', startSweep);
export const getRunHttp = withRole('reader', getRun);
export const listRecordsHttp = withRole('reader', listRecords);

export interface AdminRoute {
  /** Function name of the Entra route; its automation twin is `<name>Key`. */
  name: string;
  methods: Array<'GET' | 'POST'>;
  /** Route below /api, e.g. `plans`; the twin is `automation/<route>`. */
  route: string;
  role: AdminRole;
  handler: GuardedHandler;
}

/** The automation twin's function name (functions/names.ts lists both). */
export const keyRouteName = (name: string): string => `${name}Key`;

/**
 * Registers an admin route twice: at /api/<route> for Entra callers with `role` (authLevel
 * 'anonymous' at the host: the platform authenticates, the guard authorises, and no person needs
 * a key), and at /api/automation/<route> for function-key callers, answered only while
 * D4AI_ADMIN_ALLOW_FUNCTION_KEYS is true. A new route (e.g. POST /api/plans, operator) is one call.
 */
export function registerAdminRoute(spec: AdminRoute): void {
  const extraInputs: FunctionInput[] = [adminClientInput];
  app.http(spec.name, { authLevel: 'anonymous', extraInputs, methods: spec.methods, route: spec.route, handler: withRole(spec.role, spec.handler) });
  app.http(keyRouteName(spec.name), {
    authLevel: 'function',
    extraInputs,
    methods: spec.methods,
    route: `automation/${spec.route}`,
    handler: withFunctionKey(spec.handler, () => functionsConfig().adminAllowFunctionKeys),
  });
}

registerAdminRoute({ name: FN.adminGovern, methods: ['POST'], route: 'subscriptions/{subscriptionId}/govern', role: 'operator', handler: governSubscription });
registerAdminRoute({ name: FN.adminStartSweep, methods: ['POST'], route: 'sweeps', role: 'operator', handler: startSweep });
registerAdminRoute({ name: FN.adminGetRun, methods: ['GET'], route: 'runs/{instanceId}', role: 'reader', handler: getRun });
registerAdminRoute({ name: FN.adminListRecords, methods: ['GET'], route: 'subscriptions/{subscriptionId}/records', role: 'reader', handler: listRecords });
