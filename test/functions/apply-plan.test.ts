/**
 * POST /api/plans and the applySavedPlan orchestration: real HttpRequest / InvocationContext
 * objects, the real durable client (against the webhook stand-in), the real orchestrations,
 * activities and write-lock entity in the durable host stand-in, against the ARM stand-in and Azurite.
 */
import './registrations';
import '../../functions';
import { randomUUID } from 'node:crypto';
import { HttpRequest, type HttpResponseInit } from '@azure/functions';
import { applyPlanHttp, MAX_PLAN_BYTES } from '../../functions/admin-api';
import { OPERATOR_OID, operator, reader } from './principal';
import { PLAN_PAGE_SIZE, type ApplyPlanInput, type ApplyPlanOutput } from '../../functions/apply-plan.orchestrator';
import { FN, sweepChildInstanceId } from '../../functions/names';
import { functionsConfig, portsFor } from '../../functions/runtime';
import type { Config } from '../../shared/config';
import { planOf } from '../../shared/domain/plan';
import { buildSavedPlan, type SavedPlan } from '../../shared/domain/saved-plan';
import { previewPass } from '../../shared/engine/snapshot-pass';
import { TENANT_PASS_LEASE, takeTenantLease } from '../../shared/engine/tenant-lease';
import { silentLogger } from '../../shared/observability/log';
import { EventType } from '../../sim/durable-host';
import { useWorld, type World } from './world';

const ORIGIN = 'https://func-d4ai.azurewebsites.net';
let world: World;
let subs: string[] = [];

useWorld((started) => {
  world = started;
});
beforeEach(() => {
  // App Service Authentication is on, as deployed (the guard refuses everyone without it).
  world.setEnv({ WEBSITE_AUTH_ENABLED: 'True' });
  // The tenant-pass lease lives in the records table: a table per test keeps tests apart.
  world.useNewTable();
  subs = [randomUUID(), randomUUID(), randomUUID()].sort();
  for (const sub of subs) {
    world.standIns.arm.state.addSubscription({ subscriptionId: sub });
    world.standIns.arm.state.addResource(sub, { name: 'oai-1', type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI' });
  }
});

const records = () => portsFor(functionsConfig(), silentLogger).records;

/** A dry run's plan saved as `d4ai sweep --dry-run --out` saves it. */
async function savedPlan(options: { config?: Config; now?: Date; ttlMs?: number } = {}): Promise<SavedPlan> {
  const config = functionsConfig();
  const now = options.now ?? new Date();
  const preview = await previewPass(portsFor(config, silentLogger), config);
  const plans = preview.writes.map((w) => planOf(w.context, w.nomination.decision, now));
  return buildSavedPlan({ command: 'sweep', scope: {}, config: options.config ?? config, subscriptions: preview.subscriptions, plans, now, ...(options.ttlMs ? { ttlMs: options.ttlMs } : {}) });
}

async function post(body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; location?: string }> {
  // An operator, as App Service Authentication passes the validated principal (functions/admin-auth.ts).
  const request = new HttpRequest({ method: 'POST', url: `${ORIGIN}/api/plans`, body: { string: body }, headers: { 'x-ms-client-principal': operator(), ...headers } });
  const response: HttpResponseInit = await applyPlanHttp(request, world.invocation(FN.adminApplyPlan));
  const h = (response.headers ?? {}) as Record<string, string>;
  return { status: response.status ?? 200, body: response.jsonBody as Record<string, unknown>, ...(h.Location ? { location: h.Location } : {}) };
}

const starts = () => world.webhook.calls.filter((c) => c.method === 'POST' && /orchestrators/.test(c.path));
const puts = () => world.standIns.arm.requestsMatching('PUT', /pricings\/AI$/);

describe('POST /api/plans', () => {
  it('starts applySavedPlan with the checked plan under the tenant-pass lease and answers 202 with the run URL', async () => {
    const plan = await savedPlan();
    expect(plan.subscriptions.map((p) => p.subscriptionId)).toEqual(subs);
    const res = await post(JSON.stringify(plan, null, 2));
    expect(res.status).toBe(202);
    const id = String(res.body.id);
    expect(id).toMatch(new RegExp(`^plan-${plan.digest.slice(7, 19)}-[0-9a-f-]{36}$`));
    expect(res.body).toEqual({ id, runUri: `${ORIGIN}/api/runs/${id}`, outcome: 'started', dryRun: false, planDigest: plan.digest, writes: 3 });
    expect(res.location).toBe(`${ORIGIN}/api/runs/${id}`);
    expect(JSON.stringify(res.body)).not.toMatch(/runtime\/webhooks|taskHub|systemKey|code=/i);
    expect(starts()).toHaveLength(1);
    expect(starts()[0]?.path).toContain(FN.applySavedPlan);

    const instance = await world.host.waitFor(id, 60000);
    await world.host.idle();
    expect(instance.name).toBe(FN.applySavedPlan);
    expect((instance.input as ApplyPlanInput).plan).toEqual(plan);
    expect(instance.status).toBe('Completed');
    expect(puts()).toHaveLength(3);
  });

  it('a subscription moved out of D4AI_MANAGEMENT_GROUP after the plan was saved is recorded skip out-of-scope, with nothing written there', async () => {
    const { state } = world.standIns.arm;
    state.addManagementGroup('governed');
    state.addManagementGroup('elsewhere');
    for (const sub of subs) state.placeSubscription(sub, 'governed');
    world.setEnv({ D4AI_MANAGEMENT_GROUP: 'governed' });
    try {
      const plan = await savedPlan();
      expect(plan.subscriptions.map((p) => p.subscriptionId)).toEqual(subs);
      const [moved, ...stayed] = subs as [string, ...string[]];
      state.placeSubscription(moved, 'elsewhere');
      const graphBefore = world.standIns.arm.requestsMatching('POST', /Microsoft\.ResourceGraph/).length;
      const res = await post(JSON.stringify(plan));
      expect(res.status).toBe(202);
      const instance = await world.host.waitFor(String(res.body.id), 60000);
      await world.host.idle();
      expect(instance.status).toBe('Completed');
      expect(puts().map((r) => r.path.toLowerCase()).sort()).toEqual(stayed.map((s) => `/subscriptions/${s}/providers/microsoft.security/pricings/ai`));
      const [record] = await world.records(moved);
      expect(record).toMatchObject({ action: 'skip', skipReason: 'out-of-scope', planDigest: plan.digest });
      expect(record?.reasons.join(' ')).toContain('is not under D4AI_MANAGEMENT_GROUP=governed');
      // The page's writes have their scope read again in one Resource Graph request, not one per child.
      expect(world.standIns.arm.requestsMatching('POST', /Microsoft\.ResourceGraph/).length - graphBefore).toBe(1);
    } finally {
      world.setEnv({ D4AI_MANAGEMENT_GROUP: undefined });
    }
  });

  it('answers 403 to a reader (applying a plan is an operator\'s), and starts nothing', async () => {
    const plan = await savedPlan();
    const res = await post(JSON.stringify(plan), { 'x-ms-client-principal': reader() });
    expect(res.status).toBe(403);
    expect(JSON.stringify(res.body)).toContain('D4AI.Operator');
    expect(starts()).toHaveLength(0);
  });

  it('answers 400 PlanFileInvalid for an edited plan or one that is not a plan, and starts nothing', async () => {
    const plan = await savedPlan();
    const edited = { ...plan, counts: { ...plan.counts, writes: 99 } };
    const res = await post(JSON.stringify(edited));
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'PlanFileInvalid', message: expect.stringContaining('changed after it was made') } } });
    expect(await post('{"dryRun": true}')).toMatchObject({ status: 400, body: { error: { code: 'PlanFileInvalid' } } });
    expect(await post('not json')).toMatchObject({ status: 400, body: { error: { code: 'PlanFileInvalid' } } });
    expect(starts()).toEqual([]);
    expect(await records().currentLease(TENANT_PASS_LEASE)).toBeUndefined();
  });

  it('answers 409 PlanRefused for an expired plan and for one made under other settings, and starts nothing', async () => {
    const expired = await savedPlan({ now: new Date(Date.now() - 2 * 3_600_000), ttlMs: 3_600_000 });
    expect(await post(JSON.stringify(expired))).toMatchObject({ status: 409, body: { error: { code: 'PlanRefused', message: expect.stringContaining('expired') } } });
    const foreign = await savedPlan({ config: { ...functionsConfig(), optOutTag: 'some-other-tag' } });
    expect(await post(JSON.stringify(foreign))).toMatchObject({ status: 409, body: { error: { code: 'PlanRefused', message: expect.stringContaining('other settings') } } });
    expect(starts()).toEqual([]);
    expect(puts()).toEqual([]);
  });

  it('answers 409 naming D4AI_MODE when the app is in report mode, and starts nothing', async () => {
    const plan = await savedPlan();
    world.setEnv({ D4AI_MODE: 'report' });
    try {
      expect(await post(JSON.stringify(plan))).toMatchObject({ status: 409, body: { error: { code: 'ReportMode', message: expect.stringContaining('D4AI_MODE') } } });
    } finally {
      world.setEnv({ D4AI_MODE: undefined });
    }
    expect(starts()).toEqual([]);
    expect(await records().currentLease(TENANT_PASS_LEASE)).toBeUndefined();
  });

  it('answers 409 SweepInProgress while another pass holds the tenant-pass lease, and starts nothing', async () => {
    const plan = await savedPlan();
    await takeTenantLease(records(), 'sweep-manual-someone-else', new Date());
    const res = await post(JSON.stringify(plan));
    expect(res).toMatchObject({ status: 409, body: { error: { code: 'SweepInProgress', holder: 'sweep-manual-someone-else', expiresAt: expect.any(String) } } });
    expect(starts()).toEqual([]);
  });

  it(`answers 413 for a body declared over ${MAX_PLAN_BYTES / 1024 / 1024} MB`, async () => {
    expect(await post('{}', { 'content-length': String(MAX_PLAN_BYTES + 1) })).toMatchObject({ status: 413, body: { error: { code: 'PlanTooLarge' } } });
    expect(starts()).toEqual([]);
  });
});

describe('applySavedPlan orchestration', () => {
  it('writes the plans that still hold, records a changed subscription plan-stale without writing it, stores the summary and gives the lease back', async () => {
    world.setEnv({ D4AI_SWEEP_BATCH: '2' });
    try {
      const plan = await savedPlan();
      // After planning, someone else switches the second subscription's plan to Standard.
      const [fresh1, changed, fresh2] = subs as [string, string, string];
      world.standIns.arm.state.setPricing(changed, 'AI', { pricingTier: 'Standard' });

      const res = await post(JSON.stringify(plan));
      expect(res.status).toBe(202);
      const id = String(res.body.id);
      expect(await records().currentLease(TENANT_PASS_LEASE)).toMatchObject({ holder: id });
      const instance = await world.host.waitFor(id, 60000);
      await world.host.idle();
      expect(instance.status).toBe('Completed');

      // Written exactly where the plan still held; nothing written to the changed one.
      expect(puts().map((r) => r.path.split('/')[2]).sort()).toEqual([fresh1, fresh2].sort());
      expect(puts().filter((r) => r.path.includes(changed))).toEqual([]);
      for (const sub of [fresh1, fresh2]) {
        const [record] = await world.records(sub);
        expect(record).toMatchObject({ trigger: 'manual', mode: 'enforce', action: 'enable', outcome: 'applied', planDigest: plan.digest, actor: { objectId: OPERATOR_OID }, triggerDetail: { sweepId: id, note: `apply of plan ${plan.digest}` } });
      }
      const [stale] = await world.records(changed);
      expect(stale).toMatchObject({ outcome: 'plan-stale', planDigest: plan.digest, triggerDetail: { sweepId: id } });
      expect(world.standIns.arm.state.getPricing(changed, 'AI')?.pricingTier).toBe('Standard');

      // The children are the sweep's kind (own ids, write lock), D4AI_SWEEP_BATCH at a time.
      const children = world.host.executed.filter((op) => op.kind === 'subOrchestration');
      expect(children.map((op) => op.name)).toEqual([FN.governSubscription, FN.governSubscription, FN.governSubscription]);
      expect([...world.host.instances.keys()].filter((k) => k !== id).sort()).toEqual(subs.map((s) => sweepChildInstanceId(id, s)).sort());
      expect(world.host.executed.filter((op) => op.kind === 'entityCall')).toHaveLength(3);

      const output = instance.output as ApplyPlanOutput;
      expect(output.planDigest).toBe(plan.digest);
      expect(output.summary).toMatchObject({ kind: 'sweep-summary', sweepId: id, trigger: 'manual', mode: 'enforce', subscriptions: 3, failed: 0 });
      expect(output.summary.byOutcome).toEqual({ applied: 2, 'plan-stale': 1 });
      expect(await records().listSummaries(10)).toEqual([expect.objectContaining({ kind: 'sweep-summary', sweepId: id, subscriptions: 3, byOutcome: { applied: 2, 'plan-stale': 1 } })]);
      // `revert --run <id>` finds exactly this apply's records.
      expect((await records().listRun(id, 10)).records.map((r) => r.subscriptionId).sort()).toEqual(subs);
      expect(world.logLines('D4AI sweep summary').map((l) => l.fields.sweepId)).toEqual([id]);
      expect(await records().currentLease(TENANT_PASS_LEASE)).toBeUndefined();
    } finally {
      world.setEnv({ D4AI_SWEEP_BATCH: undefined });
    }
  });

  it('continues as new every PLAN_PAGE_SIZE entries, renewing the lease each time: the history stays flat', async () => {
    const more = Array.from({ length: PLAN_PAGE_SIZE + 7 - subs.length }, () => randomUUID());
    for (const sub of more) {
      world.standIns.arm.state.addSubscription({ subscriptionId: sub });
      world.standIns.arm.state.addResource(sub, { name: 'oai-1', type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI' });
    }
    const plan = await savedPlan();
    expect(plan.subscriptions).toHaveLength(PLAN_PAGE_SIZE + 7);
    const res = await post(JSON.stringify(plan));
    const id = String(res.body.id);
    const instance = await world.host.waitFor(id, 120000);
    await world.host.idle();
    expect(instance.executions).toBe(2);
    for (const history of [...instance.previousHistories, instance.history]) {
      const scheduled = history.filter((e) => e.EventType === EventType.TaskScheduled).map((e) => e.Name);
      expect(scheduled.filter((n) => n === FN.renewPlanLease)).toHaveLength(1);
    }
    expect(instance.previousHistories[0]?.filter((e) => e.EventType === EventType.SubOrchestrationInstanceCreated)).toHaveLength(PLAN_PAGE_SIZE);
    expect(puts()).toHaveLength(PLAN_PAGE_SIZE + 7);
    expect((instance.output as ApplyPlanOutput).summary).toMatchObject({ subscriptions: PLAN_PAGE_SIZE + 7, failed: 0, byOutcome: { applied: PLAN_PAGE_SIZE + 7 } });
    expect(await records().currentLease(TENANT_PASS_LEASE)).toBeUndefined();
  });
});
