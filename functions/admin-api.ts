import { randomUUID } from 'node:crypto';
import { app, type FunctionInput, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { checkSavedPlan, PlanFileInvalid, PlanRefused, type SavedPlan } from '../shared/domain/saved-plan';
import { PassInProgress, TENANT_PASS_LEASE, takeTenantLease } from '../shared/engine/tenant-lease';
import { RecordStoreUnavailable } from '../shared/records/record-store';
import { withFunctionKey, withRole, type AdminRole, type Caller, type GuardedHandler } from './admin-auth';
import { errorInfo } from '../shared/engine/errors';
import { checkInstanceId, checkLimit, checkRunOptions, checkSubscriptionId, type Checked } from './admin-api.validation';
import type { ApplyPlanInput } from './apply-plan.orchestrator';
import { FN, manualSweepInstanceId, planApplyInstanceId } from './names';
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
 *  POST /api/plans                                    body: a saved plan     -> plan-<digest>-<guid> (applySavedPlan)
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

/**
 * Starts a pass over the tenant (a sweep, a saved plan's apply) holding the tenant-pass lease: one
 * such pass at a time, so one cap. The lease is taken here for the new instance id (409 naming the
 * holder when another pass has it, 503 when the store is unreachable: nothing is started); the
 * orchestration renews it and its summary gives it back; a start that fails gives it back at once.
 */
async function startLeasedPass(context: InvocationContext, config: ReturnType<typeof functionsConfig>, logger: ReturnType<typeof loggerFor>, instanceId: string, orchestration: string, input: unknown): Promise<HttpResponseInit | undefined> {
  const records = portsFor(config, logger).records;
  try {
    await takeTenantLease(records, instanceId, new Date());
  } catch (error) {
    if (error instanceof PassInProgress) {
      return { status: 409, jsonBody: { error: { code: 'SweepInProgress', message: error.message, holder: error.held.holder, expiresAt: error.held.expiresAt } } };
    }
    // The store did not answer (a raw storage error): the same outage as a RecordStoreUnavailable, 503 naming the store and its setting.
    const unavailable = error instanceof RecordStoreUnavailable ? error : new RecordStoreUnavailable(records.description, records.setting, errorInfo(error).message);
    return { status: 503, jsonBody: { error: { code: unavailable.code, message: unavailable.message } } };
  }
  try {
    await df.getClient(context).startNew(orchestration, { instanceId, input });
  } catch (error) {
    await records.releaseLease(TENANT_PASS_LEASE, instanceId).catch(() => undefined);
    throw error;
  }
  return undefined;
}

async function startSweep(request: HttpRequest, context: InvocationContext, caller: Caller): Promise<HttpResponseInit> {
  const options = checkRunOptions(await request.text());
  if (!options.ok) return badRequest(options);
  const config = functionsConfig();
  const instanceId = manualSweepInstanceId(randomUUID());
  const { dryRun, note } = options.value;
  const logger = loggerFor(context, { trigger: 'manual', sweepId: instanceId, instanceId });
  const input: SweepInput = { trigger: 'manual', dryRun, actor: caller.actor, ...(note ? { note } : {}) };
  const refused = await startLeasedPass(context, config, logger, instanceId, FN.sweepTenant, input);
  if (refused) return refused;
  logger.info('D4AI admin sweep started', { mode: dryRun ? 'report' : config.mode });
  return accepted(request, instanceId, { outcome: 'started', dryRun });
}

/** The largest saved plan POST /api/plans reads (a plan of 10,000 writes is well under it). */
export const MAX_PLAN_BYTES = 64 * 1024 * 1024;

/**
 * POST /api/plans: a saved plan (d4ai ... --dry-run --out plan.json) applied by the app exactly as
 * reviewed. Checked as `d4ai apply` checks it (checkSavedPlan): 400 PlanFileInvalid (not a plan,
 * edited), 409 PlanRefused (expired, made under other settings), 409 when D4AI_MODE is not enforce,
 * 409 SweepInProgress when another pass holds the tenant-pass lease, 413 over MAX_PLAN_BYTES;
 * nothing is started then. Otherwise the lease is taken for the new instance and applySavedPlan
 * (functions/apply-plan.orchestrator.ts) starts: 202 with the run URL, the digest and the writes.
 */
async function applyPlan(request: HttpRequest, context: InvocationContext, caller: Caller): Promise<HttpResponseInit> {
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > MAX_PLAN_BYTES) return planTooLarge();
  const text = await request.text();
  if (Buffer.byteLength(text, 'utf8') > MAX_PLAN_BYTES) return planTooLarge();
  const config = functionsConfig();
  let plan: SavedPlan;
  try {
    plan = checkSavedPlan(text, config, new Date(), 'the request body');
  } catch (error) {
    if (error instanceof PlanFileInvalid) return { status: 400, jsonBody: { error: { code: error.code, message: error.message } } };
    if (error instanceof PlanRefused) return { status: 409, jsonBody: { error: { code: error.code, message: error.message } } };
    throw error;
  }
  if (config.mode !== 'enforce') {
    return { status: 409, jsonBody: { error: { code: 'ReportMode', message: `D4AI_MODE is ${config.mode}: the app writes nothing, so it applies no plan. Set D4AI_MODE=enforce to apply saved plans; nothing was started.` } } };
  }
  const instanceId = planApplyInstanceId(plan.digest, randomUUID());
  const logger = loggerFor(context, { trigger: 'manual', sweepId: instanceId, instanceId });
  const input: ApplyPlanInput = { plan, actor: caller.actor };
  const refused = await startLeasedPass(context, config, logger, instanceId, FN.applySavedPlan, input);
  if (refused) return refused;
  logger.info('D4AI admin plan apply started', { reason: `plan ${plan.digest}, ${plan.subscriptions.length} write(s)` });
  return accepted(request, instanceId, { outcome: 'started', dryRun: false, planDigest: plan.digest, writes: plan.subscriptions.length });
}

function planTooLarge(): HttpResponseInit {
  return { status: 413, jsonBody: { error: { code: 'PlanTooLarge', message: `A saved plan is read up to ${MAX_PLAN_BYTES / 1024 / 1024} MB; split the scope and plan again.` } } };
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
export const applyPlanHttp = withRole('operator', applyPlan);

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
registerAdminRoute({ name: FN.adminApplyPlan, methods: ['POST'], route: 'plans', role: 'operator', handler: applyPlan });
