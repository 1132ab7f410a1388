import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { governSubscription } from '../../shared/engine/govern';
import { revertRun } from '../../shared/engine/revert';
import { PassInProgress, TENANT_PASS_LEASE } from '../../shared/engine/tenant-lease';
import { sweep, watchPass } from '../../shared/engine/snapshot-pass';
import { RecordStoreUnavailable } from '../../shared/records/record-store';
import { startAzuriteTable } from '../../sim/azurite';
import type { LandingZone, LandingZoneName } from '../../sim/landing-zone';
import { ensureTestTls } from '../../sim/tls';
import { landingZoneEngine, useEngineStandIns, type EngineUnderTest } from './engine-harness';

/**
 * The safety invariants (docs/safety.md) under injected faults, through the real engine, real SDK
 * clients over HTTPS to the ARM stand-in, tokens from the identity stand-in and records in a real
 * Azurite. Each test fails without the fix it guards.
 */
const lab = useEngineStandIns();

const setUp = (env: Record<string, string> = {}, recordsConnection = lab.azurite.connectionString) => landingZoneEngine(lab.standIns, recordsConnection, env);

const pricingOf = (zone: LandingZone, name: LandingZoneName) => lab.standIns.arm.state.getPricing(zone.ids[name], 'AI');
const extensionsOf = (zone: LandingZone, name: LandingZoneName): Record<string, string> =>
  Object.fromEntries((pricingOf(zone, name)?.extensions ?? []).map((e) => [e.name, e.isEnabled]));
const putsTo = (subscriptionId: string) => lab.standIns.arm.requestsMatching('PUT', new RegExp(`/subscriptions/${subscriptionId}/providers/Microsoft.Security/pricings/AI$`, 'i'));
const govern = (engine: EngineUnderTest, subscriptionId: string) => governSubscription(engine.ports, engine.config, { subscriptionId, trigger: 'cli' });
const recordsOf = async (engine: EngineUnderTest, subscriptionId: string) => (await engine.ports.records.list(subscriptionId, 10)).records;

describe('1. write-ahead audit: no change without a record', () => {
  it('a store that does not accept writes stops a sweep before any ARM or Resource Graph request', async () => {
    const { engine } = setUp({}, 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:1/devstoreaccount1;');
    await expect(sweep(engine.ports, engine.config, { trigger: 'cli' })).rejects.toThrow(RecordStoreUnavailable);
    await expect(sweep(engine.ports, engine.config, { trigger: 'cli' })).rejects.toThrow(/Azure Table Storage table .* from D4AI_RECORDS_CONNECTION\) does not accept writes.*Nothing was changed/);
    expect(lab.standIns.arm.requests).toEqual([]);
  });

  it('when the intent cannot be stored, no PUT is sent; the decision is logged as an error the alert catches', async () => {
    const { zone, engine } = setUp({}, 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:1/devstoreaccount1;');
    const result = await govern(engine, zone.ids['corp-ai-prod']);
    expect(putsTo(zone.ids['corp-ai-prod'])).toHaveLength(0);
    expect(pricingOf(zone, 'corp-ai-prod')?.pricingTier).toBe('Free');
    expect(result.stored).toBe(false);
    expect(result.record).toMatchObject({ action: 'enable', outcome: 'failed', error: { code: expect.stringMatching(/^IntentNotRecorded:/) } });
    const line = engine.logs.find((l) => l.message === 'D4AI decision');
    expect(line).toMatchObject({ level: 'error', fields: { errorCode: expect.stringMatching(/^RecordWriteFailed:/), subscriptionId: zone.ids['corp-ai-prod'] } });
  });

  it('stores the intent (action, before-state, the exact body) before the PUT; the outcome replaces it', async () => {
    const { zone, engine } = setUp();
    const sub = zone.ids['corp-ai-prod'];
    let seenAtPut: Array<{ outcome: string; desired?: unknown; pricingBefore?: unknown; pricingAfter?: unknown }> = [];
    // Look at the store while the PUT is in flight.
    lab.standIns.arm.faults.latency(300, { method: 'PUT', subscriptionId: sub, count: 1 });
    const running = govern(engine, sub);
    await new Promise((r) => setTimeout(r, 150));
    for (let i = 0; i < 20 && seenAtPut.length === 0; i++) {
      seenAtPut = await recordsOf(engine, sub);
      if (!seenAtPut.length) await new Promise((r) => setTimeout(r, 20));
    }
    await running;
    expect(seenAtPut).toHaveLength(1);
    expect(seenAtPut[0]).toMatchObject({ outcome: 'intent', pricingBefore: { tier: 'Free' }, desired: { pricingTier: 'Standard', extensions: expect.arrayContaining([{ name: 'AIPromptSharingWithPurview', isEnabled: 'False' }]) } });
    expect(seenAtPut[0]).not.toHaveProperty('pricingAfter');
    const after = await recordsOf(engine, sub);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ outcome: 'applied', pricingAfter: { tier: 'Standard' } });
  });

  it('when the outcome cannot be stored after the PUT, the result says so and the decision is an error-level log', async () => {
    const own = await startAzuriteTable();
    try {
      const { zone, engine } = setUp({}, own.connectionString);
      const sub = zone.ids['ml-platform'];
      lab.standIns.arm.faults.latency(400, { method: 'PUT', subscriptionId: sub, count: 1 });
      const running = govern(engine, sub);
      // The intent is stored before the PUT; the store goes away while the PUT is in flight.
      for (let i = 0; i < 100 && !(await recordsOf(engine, sub)).some((r) => r.outcome === 'intent'); i++) await new Promise((r) => setTimeout(r, 10));
      await own.close();
      const result = await running;
      expect(pricingOf(zone, 'ml-platform')?.pricingTier).toBe('Standard');
      expect(result.stored).toBe(false);
      expect(result.record.outcome).toBe('applied');
      expect(engine.logs.filter((l) => l.message === 'D4AI decision')).toEqual([
        expect.objectContaining({ level: 'error', fields: expect.objectContaining({ outcome: 'applied', errorCode: expect.stringMatching(/^RecordWriteFailed:/) }) }),
      ]);
    } finally {
      await own.close();
    }
  });
});

describe('2. no lost update, nothing switched off', () => {
  it('a 409 from another writer that switched Purview on is retried from a fresh read: Purview stays on', async () => {
    const { zone, engine } = setUp();
    const sub = zone.ids['corp-ai-prod'];
    lab.standIns.arm.faults.conflict(1, { method: 'PUT', subscriptionId: sub }, () => {
      lab.standIns.arm.state.setPricing(sub, 'AI', { pricingTier: 'Standard', extensions: [{ name: 'AIPromptSharingWithPurview', isEnabled: 'True' }] });
    });
    const { record } = await govern(engine, sub);
    expect(record).toMatchObject({ outcome: 'applied' });
    expect(extensionsOf(zone, 'corp-ai-prod')).toEqual({ AIPromptEvidence: 'True', AIPromptSharingWithPurview: 'True', AIModelScanner: 'True' });
    const bodies = putsTo(sub).map((r) => r.body as { properties: { extensions: Array<{ name: string; isEnabled: string }> } });
    expect(bodies).toHaveLength(2);
    expect(bodies[1]?.properties.extensions).toContainEqual({ name: 'AIPromptSharingWithPurview', isEnabled: 'True' });
  });

  it('a 409 while another writer enables the plan: the retry finds it compliant, and the record does not claim that change (revert leaves it)', async () => {
    const { zone, engine } = setUp();
    const sub = zone.ids['corp-ai-prod'];
    lab.standIns.arm.faults.conflict(1, { method: 'PUT', subscriptionId: sub }, () => {
      lab.standIns.arm.state.setPricing(sub, 'AI', { pricingTier: 'Standard', extensions: [{ name: 'AIPromptEvidence', isEnabled: 'True' }, { name: 'AIPromptSharingWithPurview', isEnabled: 'False' }, { name: 'AIModelScanner', isEnabled: 'True' }] });
    });
    const { record } = await govern(engine, sub);
    expect(putsTo(sub)).toHaveLength(1);
    // Answered 409, our PUT changed nothing: the other writer's change is not recorded as ours.
    expect(record.outcome).toBe('no-op');
    expect(record.pricingBefore?.tier).toBe('Standard');
    expect(record.reasons.join(' ')).not.toContain('earlier PUT was lost');
    await expect(revertRun(engine.ports, engine.config, { run: record.runId })).rejects.toThrow(/has no applied record/);
    expect(pricingOf(zone, 'corp-ai-prod')?.pricingTier).toBe('Standard');
  });

  it('revert: a 409 while another writer switches Purview on is not retried over it: the revert plan is stale, Purview stays on', async () => {
    const { zone, engine } = setUp();
    const sub = zone.ids['corp-ai-prod'];
    const { record: applied } = await govern(engine, sub);
    lab.standIns.arm.faults.conflict(1, { method: 'PUT', subscriptionId: sub }, () => {
      lab.standIns.arm.state.setPricing(sub, 'AI', { extensions: [{ name: 'AIPromptEvidence', isEnabled: 'True' }, { name: 'AIPromptSharingWithPurview', isEnabled: 'True' }, { name: 'AIModelScanner', isEnabled: 'True' }] });
    });
    const puts = putsTo(sub).length;
    const { records } = await revertRun(engine.ports, engine.config, { run: applied.runId });
    expect(putsTo(sub)).toHaveLength(puts + 1);
    expect(records[0]).toMatchObject({ action: 'revert', outcome: 'plan-stale' });
    expect(records[0]?.reasons.join(' ')).toContain('AIPromptSharingWithPurview is on, was off');
    expect(extensionsOf(zone, 'corp-ai-prod')).toEqual({ AIPromptEvidence: 'True', AIPromptSharingWithPurview: 'True', AIModelScanner: 'True' });
    expect(pricingOf(zone, 'corp-ai-prod')?.pricingTier).toBe('Standard');
  });

  it.each([
    ['429 with Retry-After', (sub: string) => lab.standIns.arm.faults.throttle(1, 1, { method: 'PUT', subscriptionId: sub })],
    ['503', (sub: string) => lab.standIns.arm.faults.serverError(1, 503, { method: 'PUT', subscriptionId: sub })],
  ])('a PUT answered %s is resent only after a fresh read, with a body computed from it', async (_label, inject) => {
    const { zone, engine } = setUp();
    const sub = zone.ids['corp-ai-prod'];
    inject(sub);
    const gets = () => lab.standIns.arm.requestsMatching('GET', new RegExp(`/subscriptions/${sub}/providers/Microsoft.Security/pricings/AI$`, 'i')).length;
    const { record } = await govern(engine, sub);
    expect(record.outcome).toBe('applied');
    expect(putsTo(sub)).toHaveLength(2);
    // loadContext, fresh read, fresh read again after the failed PUT, read-back.
    expect(gets()).toBe(4);
    expect(engine.sleeps.some((ms) => ms >= 1000)).toBe(true);
  });

  it('an extension that was on and is off after the PUT fails the write (ExtensionSwitchedOff), at error level', async () => {
    const { zone, engine } = setUp();
    const sub = zone.ids['purview-already-on'];
    // Another writer switches Purview off right after our PUT lands.
    lab.standIns.arm.faults.rewrite(
      1,
      (body) => {
        lab.standIns.arm.state.setPricing(sub, 'AI', {
          pricingTier: 'Standard',
          extensions: [
            { name: 'AIPromptEvidence', isEnabled: 'True' },
            { name: 'AIPromptSharingWithPurview', isEnabled: 'False' },
            { name: 'AIModelScanner', isEnabled: 'True' },
          ],
        });
        return body;
      },
      { method: 'PUT', subscriptionId: sub },
    );
    const { record } = await govern(engine, sub);
    expect(record).toMatchObject({ outcome: 'failed', error: { code: 'ExtensionSwitchedOff', message: expect.stringContaining('AIPromptSharingWithPurview') } });
    expect(record.pricingAfter?.extensions.AIPromptSharingWithPurview).toBe(false);
    expect(engine.logs.find((l) => l.message === 'D4AI decision')?.level).toBe('error');
    // Our own body never asked for it off.
    const body = putsTo(sub)[0]?.body as { properties: { extensions: Array<{ name: string; isEnabled: string }> } };
    expect(body.properties.extensions).toContainEqual({ name: 'AIPromptSharingWithPurview', isEnabled: 'True' });
  });

  it('a 200 PUT whose body cannot be read records the state read back, not the before-state', async () => {
    const { zone, engine } = setUp();
    const sub = zone.ids['corp-ai-prod'];
    lab.standIns.arm.faults.unreadableBody(1, '{"properties": ', { method: 'PUT', subscriptionId: sub });
    const { record } = await govern(engine, sub);
    expect(pricingOf(zone, 'corp-ai-prod')?.pricingTier).toBe('Standard');
    expect(record).toMatchObject({ outcome: 'failed', error: { code: 'UnreadablePutResponse' }, pricingBefore: { tier: 'Free' }, pricingAfter: { tier: 'Standard' } });
  });

  it('when the read-back fails too, the after-state is unknown (absent), never the before-state', async () => {
    const { zone, engine } = setUp();
    const sub = zone.ids['corp-ai-prod'];
    lab.standIns.arm.faults.unreadableBody(1, 'not json', { method: 'PUT', subscriptionId: sub });
    // Every read once the PUT has landed fails: the read-back cannot say what the plan is.
    const landed = () => pricingOf(zone, 'corp-ai-prod')?.pricingTier === 'Standard';
    lab.standIns.arm.faults.serverError(Infinity, 500, { method: 'GET', path: /pricings\/AI$/, subscriptionId: sub, when: landed });
    const { record } = await govern(engine, sub);
    expect(pricingOf(zone, 'corp-ai-prod')?.pricingTier).toBe('Standard');
    expect(record.outcome).toBe('failed');
    expect(record.error?.code).toBe('UnreadablePutResponse');
    expect(record.error?.message).toMatch(/state is unknown/);
    expect(record.pricingBefore?.tier).toBe('Free');
    expect(record).not.toHaveProperty('pricingAfter');
    lab.standIns.arm.faults.clear();
  });
});

describe('2b. a PUT whose answer is lost but which went through', () => {
  const lost = '{"error":{"code":"ServiceUnavailable","message":"The service is temporarily unavailable."}}';

  it('governing: the retry\u2019s fresh read shows it applied, and the record says applied, not "nothing written"', async () => {
    const { zone, engine } = setUp();
    const sub = zone.ids['corp-ai-prod'];
    // The PUT is applied, then answered 503: the client cannot know it went through.
    lab.standIns.arm.faults.unreadableBody(1, lost, { method: 'PUT', subscriptionId: sub }, 503);
    const { record } = await governSubscription(engine.ports, engine.config, { subscriptionId: sub, trigger: 'cli' });
    expect(putsTo(sub)).toHaveLength(1);
    expect(record).toMatchObject({ action: 'enable', outcome: 'applied', pricingBefore: { tier: 'Free' }, pricingAfter: { tier: 'Standard' } });
    expect(record.reasons.join(' ')).toContain('The answer to an earlier PUT was lost');
  });

  it('revert: the same, never recorded as "changed since, nothing written"', async () => {
    const { zone, engine } = setUp();
    const sub = zone.ids['corp-ai-prod'];
    const { record: applied } = await governSubscription(engine.ports, engine.config, { subscriptionId: sub, trigger: 'cli' });
    lab.standIns.arm.faults.unreadableBody(1, lost, { method: 'PUT', subscriptionId: sub }, 503);
    const { records } = await revertRun(engine.ports, engine.config, { run: applied.runId });
    expect(pricingOf(zone, 'corp-ai-prod')?.pricingTier).toBe('Free');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ action: 'revert', outcome: 'applied', pricingBefore: { tier: 'Standard' }, pricingAfter: { tier: 'Free' } });
  });

  it('revert: a plan another system manages now is left alone', async () => {
    const { zone, engine } = setUp();
    const sub = zone.ids['corp-ai-prod'];
    const { record: applied } = await governSubscription(engine.ports, engine.config, { subscriptionId: sub, trigger: 'cli' });
    lab.standIns.arm.state.setPricing(sub, 'AI', { managedBy: 'M365 security rule: /management/rules/x', originatedFrom: 'M365' });
    const puts = putsTo(sub).length;
    const { records } = await revertRun(engine.ports, engine.config, { run: applied.runId });
    expect(putsTo(sub)).toHaveLength(puts);
    expect(records[0]).toMatchObject({ action: 'skip', skipReason: 'changed-since' });
    expect(records[0]?.reasons.join(' ')).toContain('managed by M365 security rule');
  });
});

describe('5. advisory reads degrade, protective reads fail closed', () => {
  it('a 403 on policy assignments is a warning naming the read and the role; the decision goes ahead', async () => {
    const { zone, engine } = setUp();
    const sub = zone.ids['corp-ai-prod'];
    lab.standIns.arm.faults.error(5, 403, 'AuthorizationFailed', "The client 'bob@contoso.com' with object id '7d1e0c2b-5a4f-4e3d-8c2b-1a0f9e8d7c6b' does not have authorization to perform action 'Microsoft.Authorization/policyAssignments/read'.", {
      method: 'GET',
      path: /policyAssignments$/,
      subscriptionId: sub,
    });
    const { record } = await govern(engine, sub);
    expect(record).toMatchObject({ action: 'enable', outcome: 'applied' });
    expect(record.warnings.join(' ')).toMatch(/Policy assignments could not be read \(AuthorizationFailed.*Microsoft\.Authorization\/policyAssignments\/read \(role Reader\)/);
    expect(JSON.stringify(record)).not.toMatch(/bob@|7d1e0c2b/);
  });

  it('a 403 on policy exemptions writes nothing and names the permission and the role', async () => {
    const { zone, engine } = setUp();
    const sub = zone.ids['corp-ai-prod'];
    lab.standIns.arm.faults.error(5, 403, 'AuthorizationFailed', 'denied', { method: 'GET', path: /policyExemptions$/, subscriptionId: sub });
    const { record } = await govern(engine, sub);
    expect(putsTo(sub)).toHaveLength(0);
    expect(record).toMatchObject({ action: 'undecided', outcome: 'failed', error: { code: 'ExemptionsReadFailed:AuthorizationFailed' } });
    expect(record.error?.message).toMatch(/Microsoft\.Authorization\/policyExemptions\/read \(role Reader/);
  });
});

describe('4. one pass over the tenant at a time, one cap', () => {
  it('two concurrent sweeps with D4AI_MAX_ENABLEMENTS_PER_RUN=1: the second is refused naming the holder and expiry; one enablement', async () => {
    const { engine } = setUp({ D4AI_MAX_ENABLEMENTS_PER_RUN: '1' });
    lab.standIns.arm.faults.latency(300, { method: 'PUT' });
    const results = await Promise.allSettled([sweep(engine.ports, engine.config, { trigger: 'cli', holder: 'first' }), sweep(engine.ports, engine.config, { trigger: 'cli', holder: 'second' })]);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect(refused[0]?.reason).toBeInstanceOf(PassInProgress);
    expect(String((refused[0]?.reason as Error).message)).toMatch(/holds the lease: (first|second) sweep .*, until \d{4}-\d{2}-\d{2}T/);
    expect(lab.standIns.arm.requestsMatching('PUT')).toHaveLength(1);
    // The lease is given back at the end: the next sweep runs.
    await expect(sweep(engine.ports, engine.config, { trigger: 'cli' })).resolves.toMatchObject({ summary: { kind: 'sweep-summary' } });
  });

  it('a CLI watch pass while a sweep holds the lease is refused naming it; a finished watch pass leaves no lease', async () => {
    const { engine } = setUp();
    await watchPass(engine.ports, engine.config, { trigger: 'cli' });
    expect(await engine.ports.records.currentLease(TENANT_PASS_LEASE)).toBeUndefined();
    // The sweep takes the lease before its first (slow) Resource Graph request.
    lab.standIns.arm.faults.latency(300, { method: 'POST' });
    const sweeping = sweep(engine.ports, engine.config, { trigger: 'cli', holder: 'nightly' });
    await new Promise((r) => setTimeout(r, 150));
    await expect(watchPass(engine.ports, engine.config, { trigger: 'cli' })).rejects.toThrow(/holds the lease: nightly sweep/);
    await sweeping;
  });
});

describe('6. everything bounded', () => {
  it('a PUT that never answers ends at D4AI_HTTP_TIMEOUT_SECONDS and is retried from a fresh read', async () => {
    const { zone, engine } = setUp({ D4AI_HTTP_TIMEOUT_SECONDS: '1' });
    const sub = zone.ids['corp-ai-prod'];
    lab.standIns.arm.faults.hang(1, { method: 'PUT', subscriptionId: sub });
    const started = Date.now();
    const { record } = await govern(engine, sub);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(record.outcome).toBe('applied');
    expect(record.reasons.join(' ')).toMatch(/The PUT failed \(Timeout\); read again and retried/);
  });

  it('a PUT that never answers at all fails with Timeout after a bounded number of tries', async () => {
    const { zone, engine } = setUp({ D4AI_HTTP_TIMEOUT_SECONDS: '1' });
    const sub = zone.ids['corp-ai-prod'];
    lab.standIns.arm.faults.hang(Infinity, { method: 'PUT', subscriptionId: sub });
    const { record } = await govern(engine, sub);
    lab.standIns.arm.faults.clear();
    expect(record).toMatchObject({ outcome: 'failed', error: { code: 'Timeout' } });
    expect(putsTo(sub).length).toBeLessThanOrEqual(4);
    // Nothing was applied, and the read after the failure says so.
    expect(record.pricingAfter?.tier).toBe('Free');
  });

  it('an exemptions nextLink that points at itself stops with PagingLoop; nothing is written', async () => {
    const { zone, engine } = setUp();
    const sub = zone.ids['corp-ai-prod'];
    lab.standIns.arm.faults.rewrite(Infinity, (body, url) => ({ ...(body as object), nextLink: url }), { method: 'GET', path: /policyExemptions$/, subscriptionId: sub });
    const { record } = await govern(engine, sub);
    lab.standIns.arm.faults.clear();
    expect(record).toMatchObject({ outcome: 'failed', error: { code: expect.stringMatching(/PagingLoop/) } });
    expect(putsTo(sub)).toHaveLength(0);
    expect(lab.standIns.arm.requestsMatching('GET', /policyExemptions$/).length).toBeLessThanOrEqual(3);
  });

  it('a nextLink to another origin is refused and that origin never receives a request (nor the token)', async () => {
    const tls = await ensureTestTls();
    const received: Array<{ url?: string; authorization?: string }> = [];
    const foreign = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
      received.push({ url: req.url, authorization: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"value": []}');
    });
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    try {
      const port = (foreign.address() as AddressInfo).port;
      const { zone, engine } = setUp();
      const sub = zone.ids['corp-ai-prod'];
      lab.standIns.arm.faults.rewrite(1, (body) => ({ ...(body as object), nextLink: `https://localhost:${port}/steal?x=1` }), { method: 'GET', path: /policyExemptions$/, subscriptionId: sub });
      const { record } = await govern(engine, sub);
      expect(received).toEqual([]);
      expect(record).toMatchObject({ outcome: 'failed', error: { code: expect.stringMatching(/ForeignOrigin/) } });
      expect(putsTo(sub)).toHaveLength(0);
    } finally {
      foreign.closeAllConnections();
      await new Promise<void>((resolve) => foreign.close(() => resolve()));
    }
  });
});

describe('7. nothing personal or secret in records and logs', () => {
  it('an ARM 403 naming the caller is stored and logged without the e-mail, object id or IP', async () => {
    const { zone, engine } = setUp();
    const sub = zone.ids['corp-ai-prod'];
    lab.standIns.arm.faults.error(
      1,
      403,
      'AuthorizationFailed',
      `The client 'alice@contoso.com' with object id '0b3c1f6e-2a4d-4c6b-9e1f-2d3c4b5a6f70' from 198.51.100.23 does not have authorization to perform action 'Microsoft.Security/pricings/write' over scope '/subscriptions/${sub}/providers/Microsoft.Security/pricings/AI'.`,
      { method: 'PUT', subscriptionId: sub },
    );
    const { record } = await govern(engine, sub);
    const stored = await recordsOf(engine, sub);
    for (const text of [JSON.stringify(record), JSON.stringify(stored), JSON.stringify(engine.logs)]) {
      expect(text).toContain('Microsoft.Security/pricings/write');
      expect(text).toContain(`/subscriptions/${sub}/providers`);
      expect(text).not.toMatch(/alice|contoso\.com|0b3c1f6e-2a4d-4c6b-9e1f-2d3c4b5a6f70|198\.51\.100\.23/);
    }
    // A 403 changed nothing: the after-state is the before-state.
    expect(record).toMatchObject({ outcome: 'failed', pricingAfter: { tier: 'Free' } });
  });
});

describe('10. an extension that fails in a region: partial, backed off, alerted once', () => {
  it('holds back even when a lagging Resource Graph still shows the plan Free (the snapshot nominates enable)', async () => {
    const { zone, engine } = setUp();
    const sub = zone.ids['flaky-scanner'];
    lab.standIns.arm.graph.freeze(lab.standIns.arm.state);
    try {
      const scope = { subscriptions: [sub] };
      await sweep(engine.ports, engine.config, { trigger: 'sweep', scope });
      expect(putsTo(sub)).toHaveLength(1);
      const [first] = await recordsOf(engine, sub);
      expect(first).toMatchObject({ outcome: 'partial', partialAttempts: 1 });
      await sweep(engine.ports, engine.config, { trigger: 'sweep', scope });
      // The fresh read shows Standard without the scanner: the back-off holds, no second PUT.
      expect(putsTo(sub)).toHaveLength(1);
      const [second] = await recordsOf(engine, sub);
      expect(second).toMatchObject({ action: 'skip', skipReason: 'extension-backoff', partialAttempts: 1, retryAfter: first?.retryAfter });
    } finally {
      lab.standIns.arm.graph.thaw();
    }
  });

  it('is retried only after retryAfter, and the back-off doubles while it keeps failing', async () => {
    const { zone, engine } = setUp();
    const sub = zone.ids['flaky-scanner'];
    let now = Date.now();
    engine.ports.clock = () => new Date(now);
    const first = (await govern(engine, sub)).record;
    expect(first).toMatchObject({ outcome: 'partial', failedExtensions: ['AIModelScanner'], partialAttempts: 1 });
    expect(engine.logs.filter((l) => l.message === 'D4AI decision').map((l) => [l.level, l.fields.newFailure])).toEqual([['warn', true]]);

    now += 30 * 60_000;
    const waiting = (await govern(engine, sub)).record;
    expect(waiting).toMatchObject({ action: 'skip', skipReason: 'extension-backoff', outcome: 'no-op', partialAttempts: 1, retryAfter: first.retryAfter });
    expect(putsTo(sub)).toHaveLength(1);

    now += 31 * 60_000;
    const second = (await govern(engine, sub)).record;
    expect(second).toMatchObject({ outcome: 'partial', partialAttempts: 2 });
    expect(Date.parse(second.retryAfter ?? '') - now).toBe(2 * 60 * 60_000);
    expect(putsTo(sub)).toHaveLength(2);
    // Alerted once: only the first failure is a new one.
    expect(engine.logs.filter((l) => l.message === 'D4AI decision' && l.fields.newFailure === true)).toHaveLength(1);
  });
});
