/**
 * The request bounds of the tenant-scale engine, counted (not timed) at N = 2,500 subscriptions
 * (10% with an Azure OpenAI account on Free, 5% missing a component): for W subscriptions that
 * need a write and A Azure OpenAI / AI Services accounts, a sweep makes at most 4·⌈N/1000⌉ + 2
 * Resource Graph requests and 3·A + 4·W ARM requests (per account: its Defender-for-AI setting,
 * deployments, content filters; per write: the plan's refresh GET, the fresh GET under the lock,
 * PUT, verification GET); a dry run makes 3·A + C (C write candidates: one refresh GET each, so
 * the plan it shows rests on ARM, not on the lagging index); a watch pass with
 * nothing to do stays within the Resource Graph bound with no ARM request at all, and reads
 * accounts only for its writes. `npm run bench` measures the same at 1,000 and 10,000 with latency.
 */
import { startAzuriteTable, type AzuriteTable } from '../../sim/azurite';
import { startStandIns, type StandIns } from '../../sim/stand-ins';
import { sweep, watchPass } from '../../shared/engine/snapshot-pass';
import { engineFor, type EngineUnderTest } from './engine-harness';
import { isAccountRead } from '../support/arm-requests';

const N = 2500;
const BOUND = 4 * Math.ceil(N / 1000) + 2;
let standIns: StandIns;
let azurite: AzuriteTable;
let engine: EngineUnderTest;
let writers = 0;
/** Azure OpenAI accounts (one per writer here). */
let accounts = 0;

beforeAll(async () => {
  [standIns, azurite] = await Promise.all([startStandIns(), startAzuriteTable()]);
  const { state } = standIns.arm;
  state.addManagementGroup('scale');
  for (let i = 0; i < N; i++) {
    const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    state.addSubscription({ subscriptionId: id, displayName: `scale-${i}`, managementGroupId: 'scale' });
    if (i % 20 < 3) {
      state.addResource(id, { name: `oai-${i}`, type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI' });
      if (i % 20 === 2) state.setPricing(id, 'AI', { pricingTier: 'Standard', extensions: [{ name: 'AIPromptEvidence', isEnabled: 'True' }] });
      writers++;
      accounts++;
    }
  }
  standIns.arm.graph.quota = { limit: 1000, windowMs: 5000 };
  engine = engineFor(standIns.arm.endpoint, azurite.connectionString, standIns.credential, { D4AI_MANAGEMENT_GROUP: 'scale', D4AI_MAX_ENABLEMENTS_PER_RUN: '100000', D4AI_SWEEP_CONCURRENCY: '16' });
}, 120_000);
afterAll(async () => {
  await Promise.all([standIns?.close(), azurite?.close()]);
});

const graph = (from: number) => standIns.arm.requests.slice(from).filter((r) => r.path.includes('Microsoft.ResourceGraph')).length;
const arm = (from: number) => standIns.arm.requests.slice(from).filter((r) => !r.path.includes('Microsoft.ResourceGraph'));

it(`a dry-run sweep: at most ${BOUND} Resource Graph requests, the 3 reads per AI account and one refresh GET per write candidate`, async () => {
  const from = standIns.arm.requests.length;
  const { summary } = await sweep(engine.ports, { ...engine.config, mode: 'report' }, { trigger: 'cli' });
  expect(summary.subscriptions).toBe(N);
  expect(summary.byOutcome['dry-run']).toBe(writers);
  expect(graph(from)).toBeLessThanOrEqual(BOUND);
  const requests = arm(from);
  expect(requests.filter(isAccountRead)).toHaveLength(3 * accounts);
  const refreshes = requests.filter((r) => !isAccountRead(r));
  expect(refreshes).toHaveLength(writers);
  expect(refreshes.every((r) => r.method === 'GET' && r.path.endsWith('/providers/Microsoft.Security/pricings/AI'))).toBe(true);
}, 120_000);

it(`an enforcing sweep: at most ${BOUND} Resource Graph requests and 4 ARM requests per write`, async () => {
  const from = standIns.arm.requests.length;
  const { summary } = await sweep(engine.ports, engine.config, { trigger: 'sweep' });
  expect(summary.byOutcome.applied).toBe(writers);
  expect(graph(from)).toBeLessThanOrEqual(BOUND);
  const requests = arm(from);
  expect(requests.filter(isAccountRead)).toHaveLength(3 * accounts);
  expect(requests.filter((r) => !isAccountRead(r)).length).toBeLessThanOrEqual(4 * writers);
  expect(requests.filter((r) => r.method === 'PUT')).toHaveLength(writers);
}, 120_000);

it(`a watch pass with nothing to do: at most ${BOUND} requests in all`, async () => {
  const from = standIns.arm.requests.length;
  const { summary } = await watchPass(engine.ports, engine.config, { trigger: 'cli' });
  expect(summary).toMatchObject({ subscriptions: N, candidates: 0 });
  expect(standIns.arm.requests.length - from).toBeLessThanOrEqual(BOUND);
}, 120_000);

it('a watch pass that finds one new AI account: the snapshot, that account\'s 3 reads, the plan\'s refresh and 3 ARM requests for the write', async () => {
  standIns.arm.state.addResource('00000000-0000-4000-8000-000000000010', { name: 'oai-new', type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI' });
  const from = standIns.arm.requests.length;
  const { summary } = await watchPass(engine.ports, engine.config, { trigger: 'cli' });
  expect(summary).toMatchObject({ candidates: 1, byOutcome: { applied: 1 } });
  expect(graph(from)).toBeLessThanOrEqual(BOUND);
  expect(arm(from).filter(isAccountRead)).toHaveLength(3);
  expect(arm(from).filter((r) => !isAccountRead(r)).map((r) => r.method)).toEqual(['GET', 'GET', 'PUT', 'GET']);
}, 120_000);
