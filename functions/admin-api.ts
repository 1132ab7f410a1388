import { randomUUID } from 'node:crypto';
import { app, type FunctionInput, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { checkSavedPlan, PlanFileInvalid, PlanRefused, type SavedPlan } from '../shared/domain/saved-plan';
import { PassInProgress, TENANT_PASS_LEASE, takeTenantLease } from '../shared/engine/tenant-lease';
import { RecordStoreUnavailable } from '../shared/records/record-store';
import { errorInfo } from '../shared/engine/errors';
import { checkInstanceId, checkLimit, checkRunOptions, checkSubscriptionId, type Checked } from './admin-api.validation';
import type { ApplyPlanInput } from './apply-plan.orchestrator';
import { FN, manualSweepInstanceId, planApplyInstanceId } from './names';
import { functionsConfig, loggerFor, portsFor } from './runtime';
import { startOrCoalesce, statusOf } from './start-govern';
import type { SweepInput } from './sweep-tenant.orchestrator';

/**
 * The admin API. authLevel 'function': callers need a function key (`?code=` or `x-functions-key`).
 * For people, put Entra ID in front (App Service Authentication / "Easy Auth", see docs/functions.md)
 * and keep the keys for automation. Starts answer 202 with this API's own run URL
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

export async function governSubscriptionHttp(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const subscription = checkSubscriptionId(request.params.subscriptionId);
  if (!subscription.ok) return badRequest(subscription);
  const options = checkRunOptions(await request.text());
  if (!options.ok) return badRequest(options);

  // Validated before anything starts: a bad setting answers 500 naming it, and nothing runs.
  functionsConfig();
  const { dryRun, note } = options.value;
  const started = await startOrCoalesce(df.getClient(context), {
    requestId: randomUUID(),
    request: { subscriptionId: subscription.value, trigger: 'manual', ...(note ? { detail: { note } } : {}) },
    dryRun,
  });
  loggerFor(context, { trigger: 'manual' }).info('D4AI admin govern accepted', {
    subscriptionId: subscription.value,
    instanceId: started.instanceId,
    reason: started.outcome,
  });
  return accepted(request, started.instanceId, { outcome: started.outcome, requestId: started.requestId, dryRun });
}

export async function startSweepHttp(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const options = checkRunOptions(await request.text());
  if (!options.ok) return badRequest(options);
  const config = functionsConfig();
  const client = df.getClient(context);
  const instanceId = manualSweepInstanceId(randomUUID());
  const { dryRun, note } = options.value;
  const logger = loggerFor(context, { trigger: 'manual', sweepId: instanceId, instanceId });
  // One pass over the tenant at a time (one cap): the lease is taken here, for this instance id,
  // and the orchestration renews it per page and gives it back at the end.
  const records = portsFor(config, logger).records;
  try {
    await takeTenantLease(records, instanceId, new Date());
  } catch (error) {
    if (error instanceof PassInProgress) {
      return { status: 409, jsonBody: { error: { code: 'SweepInProgress', message: error.message, holder: error.held.holder, expiresAt: error.held.expiresAt } } };
    }
    // The store did not answer (a raw storage error): the same outage as any other, 503 naming the store and its setting.
    const unavailable = error instanceof RecordStoreUnavailable ? error : new RecordStoreUnavailable(records.description, records.setting, errorInfo(error).message);
    return { status: 503, jsonBody: { error: { code: unavailable.code, message: unavailable.message } } };
  }
  const input: SweepInput = { trigger: 'manual', dryRun, ...(note ? { note } : {}) };
  try {
    await client.startNew(FN.sweepTenant, { instanceId, input });
  } catch (error) {
    await portsFor(config, logger).records.releaseLease(TENANT_PASS_LEASE, instanceId).catch(() => undefined);
    throw error;
  }
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
export async function applyPlanHttp(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
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
  // One pass over the tenant at a time, as for POST /api/sweeps: the lease is taken here for this
  // instance id; the orchestration renews it and its summary gives it back.
  try {
    await takeTenantLease(portsFor(config, logger).records, instanceId, new Date());
  } catch (error) {
    if (error instanceof PassInProgress) {
      return { status: 409, jsonBody: { error: { code: 'SweepInProgress', message: error.message, holder: error.held.holder, expiresAt: error.held.expiresAt } } };
    }
    if (error instanceof RecordStoreUnavailable) return { status: 503, jsonBody: { error: { code: error.code, message: error.message } } };
    throw error;
  }
  const input: ApplyPlanInput = { plan };
  try {
    await df.getClient(context).startNew(FN.applySavedPlan, { instanceId, input });
  } catch (error) {
    await portsFor(config, logger).records.releaseLease(TENANT_PASS_LEASE, instanceId).catch(() => undefined);
    throw error;
  }
  logger.info('D4AI admin plan apply started', { reason: `plan ${plan.digest}, ${plan.subscriptions.length} write(s)` });
  return accepted(request, instanceId, { outcome: 'started', dryRun: false, planDigest: plan.digest, writes: plan.subscriptions.length });
}

function planTooLarge(): HttpResponseInit {
  return { status: 413, jsonBody: { error: { code: 'PlanTooLarge', message: `A saved plan is read up to ${MAX_PLAN_BYTES / 1024 / 1024} MB; split the scope and plan again.` } } };
}

export async function getRunHttp(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
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

export async function listRecordsHttp(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
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

/** 202 with our own run URL only (it needs the caller's function key, not the system key). */
function accepted(request: HttpRequest, instanceId: string, extra: Record<string, unknown>): HttpResponseInit {
  const runUri = new URL(`/api/runs/${encodeURIComponent(instanceId)}`, request.url).href;
  return {
    status: 202,
    jsonBody: { id: instanceId, runUri, ...extra },
    headers: { 'Content-Type': 'application/json', Location: runUri, 'Retry-After': '10' },
  };
}

const common = (): { authLevel: 'function'; extraInputs: FunctionInput[] } => ({ authLevel: 'function', extraInputs: [adminClientInput] });
app.http(FN.adminGovern, { ...common(), methods: ['POST'], route: 'subscriptions/{subscriptionId}/govern', handler: governSubscriptionHttp });
app.http(FN.adminStartSweep, { ...common(), methods: ['POST'], route: 'sweeps', handler: startSweepHttp });
app.http(FN.adminGetRun, { ...common(), methods: ['GET'], route: 'runs/{instanceId}', handler: getRunHttp });
app.http(FN.adminApplyPlan, { ...common(), methods: ['POST'], route: 'plans', handler: applyPlanHttp });
app.http(FN.adminListRecords, { ...common(), methods: ['GET'], route: 'subscriptions/{subscriptionId}/records', handler: listRecordsHttp });
