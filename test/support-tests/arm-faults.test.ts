/**
 * Fault injection on the ARM stand-in, seen through the real SDK pipeline: a 429 with
 * Retry-After and a 503 are retried by core-rest-pipeline; injected 409s and latency are
 * scoped by method, path and subscription and fire only `count` times.
 */
import { SubscriptionClient } from '@azure/arm-resources-subscriptions';
import { armCall, armErrorOf } from '../support/arm-http';
import { startStandIns, type StandIns } from '../../sim/stand-ins';

const SUB_A = '33333333-3333-3333-3333-33333333333a';
const SUB_B = '33333333-3333-3333-3333-33333333333b';

describe('ARM stand-in: fault injection', () => {
  let s: StandIns;

  beforeAll(async () => {
    s = await startStandIns();
  });
  afterAll(() => s.close());
  beforeEach(() => {
    s.arm.reset();
    s.arm.state.addSubscription({ subscriptionId: SUB_A });
    s.arm.state.addSubscription({ subscriptionId: SUB_B });
  });

  it('throttles with 429 + Retry-After, and the SDK waits and retries', async () => {
    s.arm.faults.throttle(1, 1, { path: /^\/subscriptions$/ });
    const client = new SubscriptionClient(s.credential, s.clientOptions);
    const started = Date.now();
    const subs: string[] = [];
    for await (const sub of client.subscriptions.list()) subs.push(sub.subscriptionId ?? '');
    expect(subs.sort()).toEqual([SUB_A, SUB_B]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(s.arm.requests.map((r) => r.status)).toEqual([429, 200]);
  });

  it('sends Retry-After and the TooManyRequests envelope on the wire', async () => {
    s.arm.faults.throttle(1, 7);
    const res = await armCall(s.arm, s.identity, 'GET', `/subscriptions/${SUB_A}?api-version=2022-12-01`);
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    expect(armErrorOf(res)?.code).toBe('TooManyRequests');
  });

  it('returns 503 once, which the SDK retries', async () => {
    s.arm.faults.serverError(1, 503, { method: 'GET' });
    const client = new SubscriptionClient(s.credential, s.clientOptions);
    expect((await client.subscriptions.get(SUB_B)).subscriptionId).toBe(SUB_B);
    expect(s.arm.requests.map((r) => r.status)).toEqual([503, 200]);
  });

  it('injects 500 InternalServerError only for the matching subscription', async () => {
    s.arm.faults.serverError(Infinity, 500, { subscriptionId: SUB_A });
    const a = await armCall(s.arm, s.identity, 'GET', `/subscriptions/${SUB_A}?api-version=2022-12-01`);
    const b = await armCall(s.arm, s.identity, 'GET', `/subscriptions/${SUB_B}?api-version=2022-12-01`);
    expect([a.status, armErrorOf(a)?.code, b.status]).toEqual([500, 'InternalServerError', 200]);
    s.arm.faults.clear();
    expect((await armCall(s.arm, s.identity, 'GET', `/subscriptions/${SUB_A}?api-version=2022-12-01`)).status).toBe(200);
  });

  it('injects a 409 conflict on PUT a given number of times', async () => {
    s.arm.faults.conflict(1, { method: 'PUT', path: /pricings\/AI$/ });
    const path = `/subscriptions/${SUB_A}/providers/Microsoft.Security/pricings/AI?api-version=2024-01-01`;
    const body = { properties: { pricingTier: 'Standard', extensions: [{ name: 'AIPromptEvidence', isEnabled: 'True' }] } };
    const first = await armCall(s.arm, s.identity, 'PUT', path, { body });
    expect(first.status).toBe(409);
    expect(armErrorOf(first)?.message).toBe('Another update operation is in progress');
    expect(s.arm.state.getPricing(SUB_A, 'AI')?.pricingTier).toBe('Free');
    expect((await armCall(s.arm, s.identity, 'PUT', path, { body })).status).toBe(200);
    expect(s.arm.state.getPricing(SUB_A, 'AI')?.pricingTier).toBe('Standard');
  });

  it('delays only as many requests as the latency rule says', async () => {
    s.arm.faults.latency(250, { count: 1 });
    const path = `/subscriptions/${SUB_A}?api-version=2022-12-01`;
    let t = Date.now();
    await armCall(s.arm, s.identity, 'GET', path);
    expect(Date.now() - t).toBeGreaterThanOrEqual(240);
    t = Date.now();
    await armCall(s.arm, s.identity, 'GET', path);
    expect(Date.now() - t).toBeLessThan(200);
  });
});
