/**
 * Microsoft.Security/pricings on the ARM stand-in: the 2024-01-01 shapes, the PUT semantics the
 * product must cope with (omitted extensions switch on, partial failure, inheritance, DELETE
 * refused) and one-write-at-a-time per subscription.
 */
import { SecurityCenter } from '@azure/arm-security';
import { armCall, armErrorOf, type RawResponse } from '../support/arm-http';
import type { PricingExtension, PricingResource } from '../../sim/arm-stand-in';
import { startStandIns, type StandIns } from '../../sim/stand-ins';

const SUB = '22222222-2222-2222-2222-222222222222';
const AI = `/subscriptions/${SUB}/providers/Microsoft.Security/pricings/AI?api-version=2024-01-01`;
const ALL_ON: PricingExtension[] = [
  { name: 'AIPromptEvidence', isEnabled: 'True' },
  { name: 'AIPromptSharingWithPurview', isEnabled: 'True' },
  { name: 'AIModelScanner', isEnabled: 'True' },
];

const pricingOf = (res: RawResponse): PricingResource => res.body as PricingResource;
const extState = (res: RawResponse): Record<string, string> =>
  Object.fromEntries((pricingOf(res).properties.extensions ?? []).map((e) => [e.name, e.isEnabled]));

describe('ARM stand-in: Defender pricings', () => {
  let s: StandIns;
  const put = (body: unknown, path = AI): Promise<RawResponse> => armCall(s.arm, s.identity, 'PUT', path, { body });

  beforeAll(async () => {
    s = await startStandIns();
  });
  afterAll(() => s.close());
  beforeEach(() => {
    s.arm.reset();
    s.arm.state.addSubscription({ subscriptionId: SUB });
  });

  it('lists the plans of a fresh subscription, AI at Free with a 30-day trial', async () => {
    const list = await armCall(s.arm, s.identity, 'GET', `/subscriptions/${SUB}/providers/Microsoft.Security/pricings?api-version=2024-01-01`);
    const value = (list.body as { value: PricingResource[] }).value;
    expect(value.map((p) => p.name)).toEqual(expect.arrayContaining(['AI', 'VirtualMachines', 'StorageAccounts', 'CloudPosture']));
    expect(value.find((p) => p.name === 'AI')).toEqual({
      id: `/subscriptions/${SUB}/providers/Microsoft.Security/pricings/AI`,
      name: 'AI',
      type: 'Microsoft.Security/pricings',
      properties: { pricingTier: 'Free', freeTrialRemainingTime: 'P30D', enforce: 'False', resourcesCoverageStatus: 'NotCovered' },
    });
    const filtered = await armCall(s.arm, s.identity, 'GET', `/subscriptions/${SUB}/providers/Microsoft.Security/pricings?api-version=2024-01-01&$filter=name in (AI,VirtualMachines)`);
    expect((filtered.body as { value: PricingResource[] }).value.map((p) => p.name)).toEqual(['VirtualMachines', 'AI']);
  });

  it('turns AI on with exactly the requested extensions and reports each as Succeeded', async () => {
    const res = await put({ properties: { pricingTier: 'Standard', extensions: [ALL_ON[0], { name: 'AIPromptSharingWithPurview', isEnabled: 'False' }, { name: 'AIModelScanner', isEnabled: 'False' }] } });
    expect(res.status).toBe(200);
    expect(pricingOf(res).properties.extensions?.[0]).toEqual({ name: 'AIPromptEvidence', isEnabled: 'True', operationStatus: { code: 'Succeeded', message: 'Successfully enabled extension' } });
    const stored = s.arm.state.getPricing(SUB, 'AI');
    expect(stored?.pricingTier).toBe('Standard');
    expect(stored?.enablementTime).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(stored?.extensions).toEqual([
      { name: 'AIPromptEvidence', isEnabled: 'True' },
      { name: 'AIPromptSharingWithPurview', isEnabled: 'False' },
      { name: 'AIModelScanner', isEnabled: 'False' },
    ]);
    const got = await armCall(s.arm, s.identity, 'GET', AI);
    expect(extState(got)).toEqual({ AIPromptEvidence: 'True', AIPromptSharingWithPurview: 'False', AIModelScanner: 'False' });
    expect(JSON.stringify(got.body)).not.toContain('operationStatus');
  });

  it('switches every extension on when a Standard PUT omits extensions (the service default)', async () => {
    s.arm.state.setPricing(SUB, 'AI', { pricingTier: 'Standard', extensions: [{ name: 'AIModelScanner', isEnabled: 'False' }] });
    const res = await put({ properties: { pricingTier: 'Standard' } });
    expect(res.status).toBe(200);
    expect(extState(res)).toEqual({ AIPromptEvidence: 'True', AIPromptSharingWithPurview: 'True', AIModelScanner: 'True' });
  });

  it('returns 200 with a Failed extension on partial success and keeps that extension off', async () => {
    s.arm.state.failExtension(SUB, 'AIPromptSharingWithPurview', 'Failed assigning roles to the Purview connector');
    const res = await put({ properties: { pricingTier: 'Standard', extensions: ALL_ON } });
    expect(res.status).toBe(200);
    const failed = pricingOf(res).properties.extensions?.find((e) => e.name === 'AIPromptSharingWithPurview');
    expect(failed).toEqual({ name: 'AIPromptSharingWithPurview', isEnabled: 'True', operationStatus: { code: 'Failed', message: 'Failed assigning roles to the Purview connector' } });
    expect(s.arm.state.getPricing(SUB, 'AI')?.extensions?.map((e) => e.isEnabled)).toEqual(['True', 'False', 'True']);
  });

  it('turns every extension off on Free', async () => {
    await put({ properties: { pricingTier: 'Standard', extensions: ALL_ON } });
    const res = await put({ properties: { pricingTier: 'Free' } });
    expect(pricingOf(res).properties).toMatchObject({ pricingTier: 'Free', resourcesCoverageStatus: 'NotCovered' });
    expect(pricingOf(res).properties.enablementTime).toBeUndefined();
    expect(Object.values(extState(res))).toEqual(['False', 'False', 'False']);
  });

  it.each([
    [{ properties: { pricingTier: 'Premium' } }, /pricingTier/],
    [{ properties: { pricingTier: 'Standard', extensions: [{ name: 'AIPromptEvidence', isEnabled: true }] } }, /isEnabled/],
    [{ properties: { pricingTier: 'Standard', extensions: [{ name: 'AgentlessVmScanning', isEnabled: 'True' }] } }, /not supported for plan 'AI'/],
    [{ pricingTier: 'Standard' }, /properties/],
  ])('rejects an invalid body %j with 400 InvalidInput', async (body, message) => {
    const res = await put(body);
    expect(res.status).toBe(400);
    expect(armErrorOf(res)?.code).toBe('InvalidInput');
    expect(armErrorOf(res)?.message).toMatch(message);
    expect(s.arm.state.getPricing(SUB, 'AI')?.pricingTier).toBe('Free');
  });

  it('refuses to write a pricing inherited from a parent that enforces it', async () => {
    s.arm.state.setPricing(SUB, 'AI', { pricingTier: 'Free', inherited: 'True', inheritedFrom: '/providers/Microsoft.Management/managementGroups/root', enforce: 'True' });
    const res = await put({ properties: { pricingTier: 'Standard', extensions: ALL_ON } });
    expect(res.status).toBe(400);
    expect(armErrorOf(res)?.code).toBe('PricingInherited');
    expect(s.arm.state.getPricing(SUB, 'AI')).toMatchObject({ pricingTier: 'Free', inherited: 'True' });
  });

  it('rejects DELETE at subscription scope and records it', async () => {
    const res = await armCall(s.arm, s.identity, 'DELETE', AI);
    expect(res.status).toBe(400);
    expect(armErrorOf(res)?.code).toBe('DeletePricingNotSupported');
    expect(s.arm.requestsMatching('DELETE')).toHaveLength(1);
  });

  it('answers 409 Conflict to a PUT racing another PUT on the same subscription', async () => {
    s.arm.faults.latency(300, { method: 'PUT' });
    const [a, b] = await Promise.all([put({ properties: { pricingTier: 'Standard', extensions: ALL_ON } }), put({ properties: { pricingTier: 'Standard', extensions: ALL_ON } })]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const loser = a.status === 409 ? a : b;
    expect(armErrorOf(loser)).toEqual({ code: 'Conflict', message: 'Another update operation is in progress' });
    expect(s.arm.maxConcurrentPricingWrites(SUB)).toBe(2);
  });

  it('counts serialised PUTs as one write at a time', async () => {
    s.arm.faults.latency(50, { method: 'PUT' });
    await put({ properties: { pricingTier: 'Standard', extensions: ALL_ON } });
    await put({ properties: { pricingTier: 'Standard', extensions: ALL_ON } });
    expect(s.arm.maxConcurrentPricingWrites(SUB)).toBe(1);
  });

  it('refuses writes on a Disabled subscription and 404s a plan the cloud does not offer', async () => {
    s.arm.state.setSubscriptionState(SUB, 'Disabled');
    expect(armErrorOf(await put({ properties: { pricingTier: 'Standard', extensions: ALL_ON } }))?.code).toBe('ReadOnlyDisabledSubscription');
    s.arm.state.removePricing(SUB, 'AI');
    expect((await armCall(s.arm, s.identity, 'GET', AI)).status).toBe(404);
  });

  it('serves the older 2022-03-01 model (no extensions) to @azure/arm-security, read-only', async () => {
    s.arm.state.setPricing(SUB, 'AI', { pricingTier: 'Standard', extensions: ALL_ON });
    const client = new SecurityCenter(s.credential, SUB, s.clientOptions);
    const ai = await client.pricings.get('AI');
    expect(ai.pricingTier).toBe('Standard');
    expect(s.arm.requests.at(-1)?.query['api-version']).toBe('2022-03-01');
    const raw = await armCall(s.arm, s.identity, 'GET', AI.replace('2024-01-01', '2022-03-01'));
    expect(pricingOf(raw).properties).toEqual({ pricingTier: 'Standard', freeTrialRemainingTime: 'P30D' });
    await expect(client.pricings.update('AI', { pricingTier: 'Free' })).rejects.toMatchObject({ statusCode: 400, code: 'InvalidApiVersionParameter' });
  });
});
