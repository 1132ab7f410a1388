/**
 * Resource Graph's subscription cap as the stand-in emulates it (a tenant- or management-group-scoped
 * query over more than the cap answers for the first subscriptions only, with
 * `x-ms-tenant-subscription-limit-hit: true`), here with the cap lowered to 500 so that a
 * 2,500-subscription tenant is five times over it in seconds (the CLI test runs the real 10,000 cap
 * at 12,000).
 * The snapshot partitions the scope by ARM's subscription list; every subscription is covered, the
 * durable sweep's page(scope, skipToken) contract pages through the partition, and without an
 * enumeration the run fails naming the cap, the scope and the subscriptions left out.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startAzuriteTable, type AzuriteTable } from '../../sim/azurite';
import { startStandIns, type StandIns } from '../../sim/stand-ins';
import { sweep } from '../../shared/engine/snapshot-pass';
import { TenantSnapshotAdapter } from '../../shared/azure/tenant-snapshot.adapter';
import { ResourceGraphAdapter } from '../../shared/azure/resource-graph.adapter';
import { SubscriptionsAdapter } from '../../shared/azure/subscriptions.adapter';
import { armConnection } from '../../shared/azure/credential';
import { LOG_MESSAGES } from '../../shared/observability/log';
import { engineFor, type EngineUnderTest } from './engine-harness';

const N = 2500;
const CAP = 500;
let standIns: StandIns;
let azurite: AzuriteTable;
let engine: EngineUnderTest;
let ai = 0;

beforeAll(async () => {
  [standIns, azurite] = await Promise.all([startStandIns(), startAzuriteTable()]);
  const { state } = standIns.arm;
  state.addManagementGroup('capped');
  state.addManagementGroup('capped-child', { parent: 'capped' });
  state.addManagementGroup('elsewhere');
  for (let i = 0; i < N; i++) {
    const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    state.addSubscription({ subscriptionId: id, displayName: `cap-${i}`, managementGroupId: i % 10 === 9 ? 'elsewhere' : i % 10 === 8 ? 'capped-child' : 'capped' });
    if (i % 100 === 0 || i === N - 2) {
      state.addResource(id, { name: `oai-${i}`, type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI' });
      ai++;
    }
  }
  standIns.arm.graph.quota = { limit: 1000, windowMs: 5000 };
  standIns.arm.graph.subscriptionLimit = CAP;
  engine = engineFor(standIns.arm.endpoint, azurite.connectionString, standIns.credential, { D4AI_MAX_ENABLEMENTS_PER_RUN: '100000', D4AI_SWEEP_CONCURRENCY: '16' });
}, 120_000);
afterAll(async () => {
  await Promise.all([standIns?.close(), azurite?.close()]);
});

const graphRequests = (from: number) => standIns.arm.requests.slice(from).filter((r) => r.path.includes('Microsoft.ResourceGraph'));
const enumerations = (from: number) => standIns.arm.requests.slice(from).filter((r) => r.method === 'GET' && /^\/subscriptions$/i.test(r.path));
const descendantReads = (from: number) => standIns.arm.requests.slice(from).filter((r) => r.method === 'GET' && /^\/providers\/Microsoft\.Management\/managementGroups\/capped\/descendants$/i.test(r.path));

it('the stand-in answers a tenant-scoped query over the cap for the first subscriptions only, and says so', async () => {
  const graph = new ResourceGraphAdapter(armConnection(engine.config, standIns.credential), async () => undefined);
  const page = await graph.page("resourcecontainers | where type =~ 'microsoft.resources/subscriptions' | project id, subscriptionId", {});
  expect(page).toMatchObject({ limitHit: true, total: CAP });
  const explicit = await graph.page("resourcecontainers | where type =~ 'microsoft.resources/subscriptions' | project id, subscriptionId", { subscriptions: ['00000000-0000-4000-8000-000000002499'] });
  expect(explicit.limitHit).toBeUndefined();
  expect(explicit.rows).toHaveLength(1);
}, 60_000);

it(`a dry-run sweep of the tenant covers all ${N} subscriptions within 4·⌈N/1000⌉ + 2·⌈N/cap⌉ + 10 Resource Graph requests`, async () => {
  const from = standIns.arm.requests.length;
  const { summary } = await sweep(engine.ports, { ...engine.config, mode: 'report' }, { trigger: 'cli' });
  expect(summary.subscriptions).toBe(N);
  expect(summary.byOutcome['dry-run']).toBe(ai);
  const budget = 4 * Math.ceil(N / 1000) + 2 * Math.ceil(N / CAP) + 10;
  expect(graphRequests(from).length).toBeLessThanOrEqual(budget);
  // Exactly: the two set-aside answers (the listing's and the policy read's), then per 1,000
  // subscriptions the listing, the plans (one row per subscription: the CloudPosture tier is joined
  // onto the AI row), the AI resources and the policy.
  expect(graphRequests(from).length).toBe(2 + 4 * Math.ceil(N / 1000));
  // Every Resource Graph request after the two set-aside answers names its subscriptions (≤ 1,000).
  const scoped = graphRequests(from).filter((r) => Array.isArray((r.body as { subscriptions?: unknown }).subscriptions));
  expect(graphRequests(from).length - scoped.length).toBe(2);
  expect(scoped.every((r) => ((r.body as { subscriptions: string[] }).subscriptions.length) <= 1000)).toBe(true);
  // Enumeration: ARM Subscriptions_List pages (100 a page in the stand-in), read for the listing and once more for the policy.
  expect(enumerations(from).length).toBe(2 * Math.ceil(N / 100));
}, 180_000);

it("a management-group scope over the cap enumerates the group's descendants, not the tenant, and keeps exactly the subscriptions under it", async () => {
  const from = standIns.arm.requests.length;
  const { summary } = await sweep(engine.ports, { ...engine.config, managementGroup: 'capped', mode: 'report' }, { trigger: 'cli' });
  const inGroup = N - N / 10; // 'capped' and, at depth 2, 'capped-child'
  expect(summary.subscriptions).toBe(inGroup);
  // ManagementGroups_GetDescendants (the group's 2,250 subscriptions and its one child group, 100 a
  // page in the stand-in), read for the listing and once more for the policy, a page read again
  // where a batch of 1,000 ends inside it; no Subscriptions_List.
  expect(descendantReads(from).length).toBeGreaterThanOrEqual(2 * Math.ceil((inGroup + 1) / 100));
  expect(descendantReads(from).length).toBeLessThanOrEqual(2 * (Math.ceil((inGroup + 1) / 100) + Math.ceil(inGroup / 1000)));
  expect(enumerations(from)).toHaveLength(0);
  // The Resource Graph listings name the group's subscriptions only (the tenant's other 250 never).
  const listed = graphRequests(from)
    .filter((r) => /resourcecontainers/i.test(String((r.body as { query?: unknown }).query)) && Array.isArray((r.body as { subscriptions?: unknown }).subscriptions))
    .flatMap((r) => (r.body as { subscriptions: string[] }).subscriptions);
  expect(new Set(listed).size).toBe(inGroup);
  expect(listed).toHaveLength(inGroup);
}, 180_000);

it("the durable sweep's page(scope, skipToken) contract pages through the partition", async () => {
  let token: string | undefined;
  const seen = new Set<string>();
  let pages = 0;
  let entries = 0;
  do {
    const page = await engine.ports.snapshot.page({}, token);
    entries += page.entries.length;
    for (const e of page.entries) seen.add(e.subscription.subscriptionId);
    token = page.skipToken;
    pages++;
  } while (token);
  expect(seen.size).toBe(N);
  expect(entries).toBe(N);
  expect(pages).toBe(Math.ceil(N / 1000));
}, 180_000);

it('without an enumeration the run fails naming the cap, the scope and the subscriptions left out', async () => {
  const graph = new ResourceGraphAdapter(armConnection(engine.config, standIns.credential), async () => undefined);
  const snapshot = new TenantSnapshotAdapter(graph);
  await expect(snapshot.page({})).rejects.toMatchObject({ code: 'ResourceGraphSubscriptionLimit', message: expect.stringMatching(/first 10,000 subscriptions only \(x-ms-tenant-subscription-limit-hit: true\) for the tenant .*all but 500 subscriptions were left out/) });
  await expect(snapshot.policy({ managementGroup: 'capped' }, undefined)).rejects.toMatchObject({ code: 'ResourceGraphSubscriptionLimit', message: expect.stringContaining('management group capped') });
  // With one, the same adapter covers the scope.
  const partitioned = new TenantSnapshotAdapter(graph, new SubscriptionsAdapter(armConnection(engine.config, standIns.credential)));
  const first = await partitioned.page({});
  expect(first.entries).toHaveLength(1000);
}, 60_000);

it('the failed-remediation alert catches a pass that could not cover its scope', () => {
  const query = fs.readFileSync(path.join(__dirname, '..', '..', 'infra', 'queries', 'failed-remediations.kql'), 'utf8');
  expect(query).toContain(`message == "${LOG_MESSAGES.armError}" and tostring(customDimensions.errorCode) == "ResourceGraphSubscriptionLimit"`);
});
