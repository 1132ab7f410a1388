/**
 * The admin HTTP API with real HttpRequest / InvocationContext objects, the real durable client
 * (against the webhook stand-in) and the real orchestrations behind it.
 */
import './registrations';
import '../../functions';
import { randomUUID } from 'node:crypto';
import { HttpRequest, HttpResponse, type HttpResponseInit } from '@azure/functions';
import { getRunHttp, governSubscriptionHttp, listRecordsHttp, startSweepHttp } from '../../functions/admin-api';
import type { GovernStatus } from '../../functions/govern-run';
import { FN, governInstanceId } from '../../functions/names';
import { useWorld, type World } from './world';

const ORIGIN = 'https://func-d4ai.azurewebsites.net';
let world: World;
let SUB = '';

useWorld((started) => {
  world = started;
});
beforeEach(() => {
  SUB = randomUUID();
  world.standIns.arm.state.addSubscription({ subscriptionId: SUB });
  world.standIns.arm.state.addResource(SUB, { name: 'oai-1', type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI' });
});

function request(method: string, route: string, options: { body?: string; params?: Record<string, string> } = {}): HttpRequest {
  return new HttpRequest({
    method,
    url: `${ORIGIN}/api/${route}`,
    ...(options.body !== undefined ? { body: { string: options.body } } : {}),
    ...(options.params ? { params: options.params } : {}),
  });
}

async function read(response: HttpResponseInit | HttpResponse): Promise<{ status: number; body: Record<string, unknown>; location?: string | null }> {
  if (response instanceof HttpResponse) {
    return { status: response.status, body: (await response.json()) as Record<string, unknown>, location: response.headers.get('location') };
  }
  const headers = (response.headers ?? {}) as Record<string, string>;
  return { status: response.status ?? 200, body: response.jsonBody as Record<string, unknown>, location: headers.Location ?? headers.location ?? null };
}

const govern = async (sub: string, body?: string) =>
  read(await governSubscriptionHttp(request('POST', `subscriptions/${sub}/govern`, { ...(body !== undefined ? { body } : {}), params: { subscriptionId: sub } }), world.invocation(FN.adminGovern)));

describe('POST /api/subscriptions/{subscriptionId}/govern', () => {
  it.each([
    ['not-a-guid', undefined, 'subscriptionId'],
    ['$SUB', '{"dryRun": true, "force": true}', 'force'],
    ['$SUB', '{"dryRun": "yes"}', 'dryRun'],
    ['$SUB', '{"note": "ask jane@contoso.com"}', 'note'],
    ['$SUB', '{"note": "from 203.0.113.7"}', 'note'],
    ['$SUB', `{"note": "${'x'.repeat(201)}"}`, 'note'],
    ['$SUB', '{"dryRun": true', 'body'],
    ['$SUB', '[true]', 'body'],
  ])('answers 400 naming the field for %s %s, and starts nothing', async (sub, body, field) => {
    const res = await govern(sub === '$SUB' ? SUB : sub, body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'InvalidRequest', field, message: expect.stringContaining(field) } });
    expect(world.webhook.calls).toEqual([]);
  });

  it('starts govern-<sub> in report mode for a dry run and answers 202 with its own run URL only', async () => {
    const res = await govern(SUB.toUpperCase(), JSON.stringify({ dryRun: true, note: 'checking before the change window' }));
    expect(res.status).toBe(202);
    const id = governInstanceId(SUB);
    expect(res.body).toEqual({ id, outcome: 'started', requestId: expect.any(String), dryRun: true, runUri: `${ORIGIN}/api/runs/${id}` });
    // Never the Durable management URLs: they carry the durabletask system key (raise events into, terminate or purge any run).
    const everything = JSON.stringify(res.body) + String(res.location);
    expect(everything).not.toMatch(/runtime\/webhooks|taskHub|systemKey|code=/i);
    expect(res.location).toBe(`${ORIGIN}/api/runs/${id}`);

    await world.host.waitFor(id);
    await world.host.idle();
    expect(world.standIns.arm.requestsMatching('PUT')).toHaveLength(0);
    const [record] = await world.records(SUB);
    expect(record).toMatchObject({ trigger: 'manual', mode: 'report', action: 'enable', outcome: 'dry-run', triggerDetail: { note: 'checking before the change window' } });
  });

  it('without a body governs for real (enforce) and a second call while it runs is coalesced', async () => {
    world.standIns.arm.faults.latency(400, { method: 'PUT' });
    const first = await govern(SUB);
    expect(first.body).toMatchObject({ outcome: 'started', dryRun: false });
    const deadline = Date.now() + 10000;
    while (!world.host.executed.some((op) => op.name === FN.applyPricing) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const second = await govern(SUB, '{"dryRun": true}');
    expect(second.status).toBe(202);
    expect(second.body).toMatchObject({ outcome: 'coalesced', id: governInstanceId(SUB) });
    await world.host.waitFor(governInstanceId(SUB));
    await world.host.idle();
    expect(world.standIns.arm.requestsMatching('PUT')).toHaveLength(1);
    const records = await world.records(SUB);
    // The dry-run ask got its own report-mode pass after the real one.
    expect(records.map((r) => `${r.mode}/${r.action}/${r.outcome}`)).toEqual(['report/none/no-op', 'enforce/enable/applied']);
  });
});

describe('POST /api/subscriptions/{subscriptionId}/govern outside D4AI_MANAGEMENT_GROUP', () => {
  it('records skip out-of-scope naming the setting and writes nothing (issue 17: one scope for every path)', async () => {
    const { state } = world.standIns.arm;
    for (const mg of ['governed-by-d4ai', 'someone-else']) if (!state.managementGroups.has(mg)) state.addManagementGroup(mg);
    state.placeSubscription(SUB, 'someone-else');
    world.setEnv({ D4AI_MANAGEMENT_GROUP: 'governed-by-d4ai' });
    try {
      const res = await govern(SUB);
      expect(res.status).toBe(202);
      await world.host.waitFor(governInstanceId(SUB));
      await world.host.idle();
      expect(world.standIns.arm.requestsMatching('PUT').filter((r) => r.path.toLowerCase().includes(SUB.toLowerCase()))).toHaveLength(0);
      const [record] = await world.records(SUB);
      expect(record).toMatchObject({ action: 'skip', skipReason: 'out-of-scope' });
      expect(record?.reasons.join(' ')).toContain('D4AI_MANAGEMENT_GROUP=governed-by-d4ai');
    } finally {
      world.setEnv({ D4AI_MANAGEMENT_GROUP: undefined });
    }
  });
});

describe('POST /api/sweeps', () => {
  it('starts a manual sweep and answers 202; a bad body starts nothing', async () => {
    const bad = await read(await startSweepHttp(request('POST', 'sweeps', { body: '{"dryrun": true}' }), world.invocation(FN.adminStartSweep)));
    expect(bad).toMatchObject({ status: 400, body: { error: { field: 'dryrun' } } });
    expect(world.webhook.calls).toEqual([]);

    const res = await read(await startSweepHttp(request('POST', 'sweeps', { body: '{"dryRun": true}' }), world.invocation(FN.adminStartSweep)));
    expect(res.status).toBe(202);
    const id = String(res.body.id);
    expect(id).toMatch(/^sweep-manual-[0-9a-f-]{36}$/);
    const instance = await world.host.waitFor(id, 60000);
    await world.host.idle();
    expect(instance.output).toMatchObject({ summary: { trigger: 'manual', mode: 'report', subscriptions: 1 } });
    expect(world.standIns.arm.requestsMatching('PUT')).toHaveLength(0);
  });
});

describe('GET /api/runs/{instanceId}', () => {
  const getRun = async (id: string) => read(await getRunHttp(request('GET', `runs/${id}`, { params: { instanceId: id } }), world.invocation(FN.adminGetRun)));

  it('answers 404 for an unknown run and 400 for a malformed id', async () => {
    expect(await getRun('govern-nothing-here')).toMatchObject({ status: 404, body: { error: { code: 'RunNotFound', field: 'instanceId' } } });
    expect(await getRun('../etc/passwd')).toMatchObject({ status: 400, body: { error: { field: 'instanceId' } } });
  });

  it('shows the runtime status and the decision in the custom status', async () => {
    await govern(SUB);
    await world.host.waitFor(governInstanceId(SUB));
    await world.host.idle();
    const res = await getRun(governInstanceId(SUB));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ instanceId: governInstanceId(SUB), name: FN.governSubscription, runtimeStatus: 'Completed' });
    const status = res.body.customStatus as GovernStatus;
    expect(status).toMatchObject({ phase: 'done', subscriptionId: SUB, passes: 1, decision: { action: 'enable', outcome: 'applied', mode: 'enforce', trigger: 'manual' } });
  });
});

describe('GET /api/subscriptions/{subscriptionId}/records', () => {
  const list = async (sub: string, query = '') =>
    read(await listRecordsHttp(request('GET', `subscriptions/${sub}/records${query}`, { params: { subscriptionId: sub } }), world.invocation(FN.adminListRecords, false)));

  it('validates the subscription id and limit (1..1000)', async () => {
    for (const q of ['?limit=0', '?limit=1001', '?limit=abc', '?limit=2.5']) expect(await list(SUB, q)).toMatchObject({ status: 400, body: { error: { field: 'limit' } } });
    expect(await list('nope')).toMatchObject({ status: 400, body: { error: { field: 'subscriptionId' } } });
  });

  it('lists the newest records first, limited', async () => {
    await govern(SUB, '{"dryRun": true}');
    await world.host.waitFor(governInstanceId(SUB));
    await world.host.idle();
    await govern(SUB);
    await world.host.waitFor(governInstanceId(SUB));
    await world.host.idle();
    const all = await list(SUB);
    expect(all.status).toBe(200);
    expect(all.body.count).toBe(2);
    const one = await list(SUB, '?limit=1');
    expect((one.body.records as Array<{ mode: string }>).map((r) => r.mode)).toEqual(['enforce']);
  });
});
