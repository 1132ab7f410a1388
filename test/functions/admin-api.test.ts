/**
 * The admin HTTP API with real HttpRequest / InvocationContext objects, the real durable client
 * (against the webhook stand-in) and the real orchestrations behind it.
 */
import { registration } from './registrations';
import '../../functions';
import { randomUUID } from 'node:crypto';
import { HttpRequest, HttpResponse, type HttpResponseInit } from '@azure/functions';
import { getRunHttp, governSubscriptionHttp, listRecordsHttp, startSweepHttp } from '../../functions/admin-api';
import type { GovernStatus } from '../../functions/govern-run';
import { FN, governInstanceId } from '../../functions/names';
import { AUTOMATION_APP_ID, AUTOMATION_OID, OPERATOR_OID, READER_OID, operator, principalHeader, reader } from './principal';
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
  // App Service sets this when Authentication is on; the guard refuses everything without it.
  world.setEnv({ WEBSITE_AUTH_ENABLED: 'True', D4AI_ADMIN_ALLOW_FUNCTION_KEYS: undefined });
});

/** A request as App Service Authentication passes it on: by default from an operator. */
function request(method: string, route: string, options: { body?: string; params?: Record<string, string>; principal?: string | null } = {}): HttpRequest {
  const principal = options.principal === undefined ? operator() : options.principal;
  return new HttpRequest({
    method,
    url: `${ORIGIN}/api/${route}`,
    ...(principal !== null ? { headers: { 'x-ms-client-principal': principal } } : {}),
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
    // Who did it: the operator's object id, and nothing else about them (no name, no e-mail, no client app).
    expect(record?.actor).toEqual({ objectId: OPERATOR_OID });
    expect(JSON.stringify(record)).not.toMatch(/Jane|contoso|04b07795/);
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
    // The coalesced ask (a recheck event) keeps its actor too.
    expect(records.map((r) => r.actor)).toEqual([{ objectId: OPERATOR_OID }, { objectId: OPERATOR_OID }]);
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
    expect(instance.output).toMatchObject({ summary: { trigger: 'manual', mode: 'report', subscriptions: 1, actor: { objectId: OPERATOR_OID } } });
    const [record] = await world.records(SUB);
    expect(record).toMatchObject({ trigger: 'manual', actor: { objectId: OPERATOR_OID }, triggerDetail: { sweepId: id } });
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

describe('who may call: App Service Authentication in front, the app role checked here', () => {
  type Handler = (request: HttpRequest, context: ReturnType<World['invocation']>) => Promise<HttpResponseInit | HttpResponse>;
  const ROUTES: Array<{ name: string; role: 'D4AI.Operator' | 'D4AI.Reader'; call: (principal: string | null) => Promise<HttpResponseInit | HttpResponse> }> = [
    { name: 'POST govern', role: 'D4AI.Operator', call: (principal) => governSubscriptionHttp(request('POST', `subscriptions/${SUB}/govern`, { params: { subscriptionId: SUB }, principal }), world.invocation(FN.adminGovern)) },
    { name: 'POST sweeps', role: 'D4AI.Operator', call: (principal) => startSweepHttp(request('POST', 'sweeps', { body: '{"dryRun": true}', principal }), world.invocation(FN.adminStartSweep)) },
    { name: 'GET runs', role: 'D4AI.Reader', call: (principal) => getRunHttp(request('GET', 'runs/govern-x', { params: { instanceId: 'govern-x' }, principal }), world.invocation(FN.adminGetRun)) },
    {
      name: 'GET records',
      role: 'D4AI.Reader',
      call: (principal) => listRecordsHttp(request('GET', `subscriptions/${SUB}/records`, { params: { subscriptionId: SUB }, principal }), world.invocation(FN.adminListRecords, false)),
    },
  ];
  const asBase64 = (text: string): string => Buffer.from(text).toString('base64');
  const FORGED: Array<[string, string]> = [
    ['not base64', 'this is { not } base64!'],
    ['base64 of something that is not JSON', asBase64('roles=D4AI.Operator')],
    ['a JSON array', asBase64('[{"typ":"roles","val":"D4AI.Operator"}]')],
    ['no auth_typ', asBase64(JSON.stringify({ role_typ: 'roles', claims: [{ typ: 'roles', val: 'D4AI.Operator' }, { typ: 'oid', val: OPERATOR_OID }] }))],
    ['claims that are not {typ, val} strings', asBase64(JSON.stringify({ auth_typ: 'aad', role_typ: 'roles', claims: [{ typ: 'roles', val: ['D4AI.Operator'] }] }))],
    ['another identity provider', principalHeader({ authType: 'github', roles: ['D4AI.Operator'] })],
    ['no object id', asBase64(JSON.stringify({ auth_typ: 'aad', role_typ: 'roles', claims: [{ typ: 'roles', val: 'D4AI.Operator' }] }))],
    ['an object id that is not a GUID', principalHeader({ oid: 'jane@contoso.com', roles: ['D4AI.Operator'] })],
  ];

  describe.each(ROUTES)('$name ($role)', ({ role, call }) => {
    it('refuses a request without a principal: 401, and starts nothing', async () => {
      const res = await read(await call(null));
      expect(res).toMatchObject({ status: 401, body: { error: { code: 'Unauthenticated' } } });
      expect(world.webhook.calls).toEqual([]);
    });

    it.each(FORGED)('refuses a principal with %s: 401, and starts nothing', async (_what, header) => {
      const res = await read(await call(header));
      expect(res).toMatchObject({ status: 401, body: { error: { code: 'InvalidPrincipal' } } });
      expect(world.webhook.calls).toEqual([]);
    });

    it(`refuses a signed-in caller without ${role}: 403 naming the role`, async () => {
      const wrong = role === 'D4AI.Operator' ? reader() : principalHeader({ roles: ['Some.OtherRole'] });
      const res = await read(await call(wrong));
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ error: { code: 'Forbidden', message: expect.stringContaining(role) } });
      expect(world.webhook.calls).toEqual([]);
    });

    it('answers the right role (an operator may also read)', async () => {
      const res = await read(await call(role === 'D4AI.Reader' ? reader() : operator()));
      expect([200, 202, 404]).toContain(res.status);
      if (role === 'D4AI.Reader') expect([200, 404]).toContain((await read(await call(operator()))).status);
    });

    it('refuses everyone, even with a well-formed principal, when App Service Authentication is off (anyone could write the header)', async () => {
      world.setEnv({ WEBSITE_AUTH_ENABLED: undefined });
      const res = await read(await call(operator()));
      expect(res).toMatchObject({ status: 503, body: { error: { code: 'AuthenticationNotConfigured' } } });
      expect(world.webhook.calls).toEqual([]);
    });
  });

  it('records an application caller by object id and app id', async () => {
    const app = principalHeader({ oid: AUTOMATION_OID, roles: ['D4AI.Operator'], application: { appId: AUTOMATION_APP_ID } });
    const res = await read(await governSubscriptionHttp(request('POST', `subscriptions/${SUB}/govern`, { body: '{"dryRun": true}', params: { subscriptionId: SUB }, principal: app }), world.invocation(FN.adminGovern)));
    expect(res.status).toBe(202);
    await world.host.waitFor(governInstanceId(SUB));
    await world.host.idle();
    const [record] = await world.records(SUB);
    expect(record?.actor).toEqual({ objectId: AUTOMATION_OID, appId: AUTOMATION_APP_ID });
    expect(READER_OID).not.toBe(AUTOMATION_OID);
  });

  describe('the /api/automation twins (function keys)', () => {
    const twin = (name: string): Handler => registration(`${name}Key`).options.handler as unknown as Handler;
    const callTwin = async (principal: string | null) =>
      read(await twin(FN.adminGovern)(request('POST', `automation/subscriptions/${SUB}/govern`, { body: '{"dryRun": true}', params: { subscriptionId: SUB }, principal }), world.invocation(FN.adminGovern)));

    it('answer nothing while D4AI_ADMIN_ALLOW_FUNCTION_KEYS is false (the default), whatever the request carries', async () => {
      for (const principal of [null, operator()]) {
        expect(await callTwin(principal)).toMatchObject({ status: 401, body: { error: { code: 'FunctionKeysDisabled' } } });
      }
      expect(world.webhook.calls).toEqual([]);
    });

    it('run for a key holder when allowed, recorded as actor function-key (a principal header there is ignored)', async () => {
      world.setEnv({ D4AI_ADMIN_ALLOW_FUNCTION_KEYS: 'true' });
      const res = await callTwin(operator());
      expect(res.status).toBe(202);
      // It follows up where its key works.
      expect(res.body.runUri).toBe(`${ORIGIN}/api/automation/runs/${governInstanceId(SUB)}`);
      await world.host.waitFor(governInstanceId(SUB));
      await world.host.idle();
      const [record] = await world.records(SUB);
      expect(record?.actor).toEqual({ objectId: 'function-key' });
    });
  });
});
