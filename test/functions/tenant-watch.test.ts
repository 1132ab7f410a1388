/**
 * tenantWatch: the timer takes a Resource Graph snapshot and starts (or coalesces into) the real
 * governSubscription singleton only where a write is due, through the real durable client and the
 * webhook stand-in; the runs then read ARM afresh and write under the write lock.
 */
import './registrations';
import '../../functions';
import { TableClient } from '@azure/data-tables';
import type { Timer } from '@azure/functions';
import { tenantWatch } from '../../functions/tenant-watch';
import type { GovernInput } from '../../functions/govern-run';
import { FN, governInstanceId } from '../../functions/names';
import { useLandingZone, useWorld, type World } from './world';
import { TableRecordStore } from '../../shared/azure/records.table';
import { TENANT_PASS_LEASE, TENANT_PASS_TTL_MS } from '../../shared/engine/tenant-lease';
import { KEPT_OUT_ALERT_MS } from '../../shared/engine/kept-out';
import { LOG_MESSAGES } from '../../shared/observability/log';

let world: World;
useWorld((started) => {
  world = started;
});
const lz = useLandingZone(() => world, ['D4AI_MODE', 'D4AI_MAX_ENABLEMENTS_PER_RUN']);

const timer: Timer = { isPastDue: false, schedule: { adjustForDST: true }, scheduleStatus: { last: '', next: '', lastUpdated: '' } };
const starts = () => world.webhook.callsTo('POST', /^\/durabletask\/orchestrators\//);

async function watchRows(): Promise<Array<Record<string, unknown>>> {
  const table = TableClient.fromConnectionString(world.azurite.connectionString, process.env.D4AI_RECORDS_TABLE ?? '', { allowInsecureConnection: true });
  const rows: Array<Record<string, unknown>> = [];
  for await (const row of table.listEntities<Record<string, unknown>>({ queryOptions: { filter: "PartitionKey eq 'watches'" } })) rows.push(row);
  return rows;
}

async function pass(): Promise<void> {
  await tenantWatch(timer, world.invocation(FN.tenantWatch));
  await world.host.idle();
}

it('starts governSubscription only for the subscriptions whose decision is a write, and writes one watch summary', async () => {
  await pass();
  const started = starts().map((c) => c.path.split('/').pop());
  const writers = ['corp-ai-prod', 'corp-ai-dev', 'ml-platform', 'purview-already-on', 'flaky-scanner'] as const;
  expect(started.sort()).toEqual(writers.map((n) => governInstanceId(lz.zone.ids[n])).sort());
  const input = starts()[0]?.body as GovernInput;
  expect(input.ask.request.trigger).toBe('watch');
  expect(input.ask.request.detail).toMatchObject({ watchId: expect.any(String), resourceId: expect.stringContaining('/providers/Microsoft.') });
  // The runs wrote; nothing else got a record.
  for (const n of writers.filter((w) => w !== 'flaky-scanner')) expect(world.standIns.arm.state.getPricing(lz.zone.ids[n], 'AI')?.pricingTier).toBe('Standard');
  expect(await world.records(lz.zone.ids.identity)).toHaveLength(0);
  expect(await world.records(lz.zone.ids['ai-compliant'])).toHaveLength(0);
  const rows = await watchRows();
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ kind: 'watch-summary', subscriptions: 17, candidates: 5, byOutcome: '{"started":5}' });
  expect(world.logLines('D4AI watch summary')[0]?.fields).toMatchObject({ governed: 17, candidates: 5 });
  // all-opted-out looks like a write on the snapshot; its account, read for that reason alone, says no.
  expect(started).not.toContain(governInstanceId(lz.zone.ids['all-opted-out']));
});

it('a pass with nothing to do sends only Resource Graph requests and writes only its summary', async () => {
  await pass();
  // The region fixed the scanner: flaky-scanner has every component now, so nothing is left to do.
  world.standIns.arm.state.setPricing(lz.zone.ids['flaky-scanner'], 'AI', {
    pricingTier: 'Standard',
    extensions: ['AIPromptEvidence', 'AIPromptSharingWithPurview', 'AIModelScanner'].map((name) => ({ name, isEnabled: name === 'AIPromptSharingWithPurview' ? ('False' as const) : ('True' as const) })),
  });
  world.standIns.arm.requests.length = 0;
  world.webhook.calls.length = 0;
  world.resetHost();
  await pass();
  expect(starts()).toHaveLength(0);
  // 17 subscriptions, one page: the listing, their AI plans, their AI resources, the policy view;
  // and, for the two subscriptions whose snapshot decision is a write, their plans refreshed from
  // ARM and the 3 reads of their accounts: all-opted-out's accounts make it a skip, and the index
  // does not say that managed-elsewhere's plan is managed by another system (ARM does).
  const requests = world.standIns.arm.requests.map((r) => `${r.method} ${r.path}`);
  expect(requests.filter((r) => r.includes('ResourceGraph'))).toEqual(Array(4).fill('POST /providers/Microsoft.ResourceGraph/resources'));
  expect(requests.filter((r) => !r.includes('ResourceGraph')).map((r) => r.split('/').slice(-2).join('/')).sort()).toEqual(['defenderForAISettings/Default', 'defenderForAISettings/Default', 'oai-m365/deployments', 'oai-m365/raiPolicies', 'oai-optout/deployments', 'oai-optout/raiPolicies', 'pricings/AI', 'pricings/AI'].sort());
  const rows = await watchRows();
  expect(rows.map((r) => r.candidates).sort()).toEqual([0, 5]);
});

it('a new AI account in a subscription nobody wired is enabled by the next pass', async () => {
  await pass();
  world.resetHost();
  world.webhook.calls.length = 0;
  world.standIns.arm.state.addResource(lz.zone.ids.connectivity, { name: 'oai-unwired', type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI', resourceGroup: 'rg-new' });
  await pass();
  expect(starts().map((c) => c.path.split('/').pop())).toContain(governInstanceId(lz.zone.ids.connectivity));
  expect(world.standIns.arm.state.getPricing(lz.zone.ids.connectivity, 'AI')?.pricingTier).toBe('Standard');
  const [record] = await world.records(lz.zone.ids.connectivity);
  expect(record).toMatchObject({ trigger: 'watch', action: 'enable', outcome: 'applied', triggerDetail: { resourceKind: 'OpenAI' } });
});

it('starts at most D4AI_MAX_ENABLEMENTS_PER_RUN runs and counts the rest as cap-reached', async () => {
  world.setEnv({ D4AI_MAX_ENABLEMENTS_PER_RUN: '2' });
  await pass();
  expect(starts()).toHaveLength(2);
  const [row] = await watchRows();
  // 3 more writers had no slot left. all-opted-out looks like a write on the snapshot, but its
  // account is read before slots are handed out: it is a skip and takes none.
  expect(row).toMatchObject({ candidates: 2, capReached: 3 });
});

it('skips its pass while a sweep holds the tenant-pass lease, and never takes the lease itself', async () => {
  const store = new TableRecordStore(world.azurite.connectionString, process.env.D4AI_RECORDS_TABLE ?? '', world.standIns.credential, 'D4AI_RECORDS_CONNECTION');
  await pass();
  // The pass left no lease behind: a nightly sweep firing in the same minute starts.
  expect(await store.currentLease(TENANT_PASS_LEASE)).toBeUndefined();
  world.resetHost();
  world.webhook.calls.length = 0;
  world.standIns.arm.requests.length = 0;
  expect((await store.acquireLease(TENANT_PASS_LEASE, 'sweep-2025-06-01', TENANT_PASS_TTL_MS, new Date())).acquired).toBe(true);
  await pass();
  expect(starts()).toHaveLength(0);
  expect(world.standIns.arm.requests).toHaveLength(0);
  expect(world.triggerLogs.map((l) => l.message).join('\n')).toMatch(/D4AI watch skipped.*sweep-2025-06-01, until/);
  await store.releaseLease(TENANT_PASS_LEASE, 'sweep-2025-06-01');
});

it('kept out by a lease held from outside the app (a d4ai run with its settings): info at first, an error the alert counts after KEPT_OUT_ALERT_MS', async () => {
  const store = new TableRecordStore(world.azurite.connectionString, process.env.D4AI_RECORDS_TABLE ?? '', world.standIns.credential, 'D4AI_RECORDS_CONNECTION');
  const holder = 'd4ai CLI sweep (pid 4242, started earlier)';
  const recent = { host: 'laptop-7', pid: 4242, since: new Date(Date.now() - 60_000).toISOString() };
  expect((await store.acquireLease(TENANT_PASS_LEASE, holder, 120_000, new Date(), recent)).acquired).toBe(true);
  world.triggerLogs.length = 0;
  await pass();
  expect(world.triggerLogs.filter((l) => l.level === 'error')).toEqual([]);
  const long = { ...recent, since: new Date(Date.now() - KEPT_OUT_ALERT_MS - 60_000).toISOString() };
  expect((await store.acquireLease(TENANT_PASS_LEASE, holder, 120_000, new Date(), long)).acquired).toBe(true);
  await pass();
  const errors = world.triggerLogs.filter((l) => l.level === 'error');
  expect(errors).toHaveLength(1);
  expect(errors[0]?.message).toMatch(new RegExp(`^${LOG_MESSAGES.keptOut} .*"errorCode":"KeptOutByLease".*process 4242 on laptop-7`));
  expect(starts()).toHaveLength(0);
  await store.releaseLease(TENANT_PASS_LEASE, holder);
});

it('in report mode counts what it would start but starts no run (the nightly sweep records those once a day)', async () => {
  world.setEnv({ D4AI_MODE: 'report' });
  await pass();
  expect(starts()).toEqual([]);
  for (const name of Object.keys(lz.zone.ids) as Array<keyof typeof lz.zone.ids>) expect(await world.records(lz.zone.ids[name])).toHaveLength(0);
  const rows = await watchRows();
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ kind: 'watch-summary', mode: 'report', candidates: 5, byOutcome: '{"dry-run":5}' });
});
