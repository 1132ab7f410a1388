/**
 * nightlySweep: the timer starts that UTC day's sweepTenant singleton once; a second firing the
 * same day does not start another, a failed one is replaced, and none starts while another pass
 * holds the tenant-pass lease. Real InvocationContext and durable client against the webhook
 * stand-in, the lease in a real Azurite table; sweepTenant is a stub here (tested on its own).
 */
import './registrations';
import '../../functions';
import { randomUUID } from 'node:crypto';
import * as df from 'durable-functions';
import { InvocationContext, type Timer } from '@azure/functions';
import { nightlySweep } from '../../functions/nightly-sweep';
import { FN, nightlySweepInstanceId } from '../../functions/names';
import type { SweepInput } from '../../functions/sweep-tenant.orchestrator';
import { TableRecordStore } from '../../shared/azure/records.table';
import { TENANT_PASS_LEASE, TENANT_PASS_TTL_MS } from '../../shared/engine/tenant-lease';
import { LOG_MESSAGES } from '../../shared/observability/log';
import { startAzuriteTable, type AzuriteTable } from '../../sim/azurite';
import { DurableTestHost } from '../../sim/durable-host';
import { startDurableWebhookStandIn, type DurableWebhookStandIn } from './durable-webhook-stand-in';
import { clientInputOf, registered } from './registrations';

let outcome: 'complete' | 'fail' | 'wait' = 'complete';
df.app.orchestration('stubSweep', function* (context: df.OrchestrationContext): Generator<df.Task, unknown, unknown> {
  if (outcome === 'fail') throw new Error('sweep failed');
  if (outcome === 'wait') yield context.df.waitForExternalEvent('never');
  return 'swept';
});

const timer: Timer = { isPastDue: false, schedule: { adjustForDST: true }, scheduleStatus: { last: '', next: '', lastUpdated: '' } };
let host: DurableTestHost;
let webhook: DurableWebhookStandIn;
let azurite: AzuriteTable;
const saved = { connection: process.env.D4AI_RECORDS_CONNECTION, table: process.env.D4AI_RECORDS_TABLE };

beforeAll(async () => {
  azurite = await startAzuriteTable();
  process.env.D4AI_RECORDS_CONNECTION = azurite.connectionString;
}, 60_000);
afterAll(async () => {
  for (const [name, value] of [['D4AI_RECORDS_CONNECTION', saved.connection], ['D4AI_RECORDS_TABLE', saved.table]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await azurite?.close();
});

beforeEach(async () => {
  process.env.D4AI_RECORDS_TABLE = `Leases${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const stub = registered.get('stubSweep')?.options.handler;
  if (!stub) throw new Error('stub not registered');
  host = new DurableTestHost({ orchestrators: new Map([[FN.sweepTenant, stub]]), activities: new Map(), entities: new Map() });
  webhook = await startDurableWebhookStandIn(host);
});
afterEach(() => webhook.close());

function context(): InvocationContext {
  const input = clientInputOf(FN.nightlySweep);
  const ctx = new InvocationContext({ functionName: FN.nightlySweep, invocationId: randomUUID(), options: { extraInputs: [input] }, logHandler: () => undefined });
  ctx.extraInputs.set(input, webhook.clientData);
  return ctx;
}

const starts = () => webhook.callsTo('POST', /^\/durabletask\/orchestrators\//);

it.each([
  ['completed', 'complete'],
  ['running', 'wait'],
] as const)('starts sweep-<UTC date> once; a second firing while it is %s does not start another', async (_label, state) => {
  outcome = state;
  const id = nightlySweepInstanceId(new Date());
  expect(id).toMatch(/^sweep-\d{4}-\d{2}-\d{2}$/);
  await nightlySweep(timer, context());
  await host.idle();
  expect(starts().map((c) => c.path)).toEqual([`/durabletask/orchestrators/${FN.sweepTenant}/${id}`]);
  const input = starts()[0]?.body as SweepInput;
  // Ids and flags only: the sweep's activities decide with the app's own settings, none travel in the history.
  expect(input).toEqual({ trigger: 'sweep', dryRun: false });

  await nightlySweep(timer, context());
  await host.idle();
  expect(starts()).toHaveLength(1);
});

it('replaces a failed sweep of the day', async () => {
  outcome = 'fail';
  await nightlySweep(timer, context());
  await host.idle();
  expect(host.instances.get(nightlySweepInstanceId(new Date()))?.status).toBe('Failed');
  outcome = 'complete';
  await nightlySweep(timer, context());
  await host.idle();
  expect(starts()).toHaveLength(2);
  expect(host.instances.get(nightlySweepInstanceId(new Date()))?.status).toBe('Completed');
});

it('does not start while a manual sweep holds the tenant-pass lease, and says who holds it until when', async () => {
  outcome = 'complete';
  const store = new TableRecordStore(azurite.connectionString, process.env.D4AI_RECORDS_TABLE ?? '', { getToken: async () => null }, 'D4AI_RECORDS_CONNECTION');
  const taken = await store.acquireLease(TENANT_PASS_LEASE, 'sweep-manual-0000', TENANT_PASS_TTL_MS, new Date());
  expect(taken.acquired).toBe(true);
  const logs: string[] = [];
  const ctx = context();
  const input = clientInputOf(FN.nightlySweep);
  const logged = new InvocationContext({ functionName: FN.nightlySweep, invocationId: randomUUID(), options: { extraInputs: [input] }, logHandler: (_level, ...args) => logs.push(args.map(String).join(' ')) });
  logged.extraInputs.set(input, ctx.extraInputs.get(input));

  await nightlySweep(timer, logged);
  await host.idle();
  expect(starts()).toHaveLength(0);
  expect(logs.join('\n')).toMatch(/D4AI nightly sweep not started.*sweep-manual-0000, until \d{4}-\d{2}-\d{2}T/);

  await store.releaseLease(TENANT_PASS_LEASE, 'sweep-manual-0000');
  await nightlySweep(timer, logged);
  await host.idle();
  expect(starts()).toHaveLength(1);
});

it('kept out by a CLI holder (a lease held from outside the app): gives up for the day with an error-level line the alert counts', async () => {
  outcome = 'complete';
  const store = new TableRecordStore(azurite.connectionString, process.env.D4AI_RECORDS_TABLE ?? '', { getToken: async () => null }, 'D4AI_RECORDS_CONNECTION');
  const holder = 'd4ai CLI sweep (pid 4242, started earlier)';
  const owner = { host: 'laptop-7', pid: 4242, since: new Date(Date.now() - 60_000).toISOString() };
  expect((await store.acquireLease(TENANT_PASS_LEASE, holder, 120_000, new Date(), owner)).acquired).toBe(true);
  const logs: Array<{ level: string; text: string }> = [];
  const ctx = context();
  const input = clientInputOf(FN.nightlySweep);
  const logged = new InvocationContext({ functionName: FN.nightlySweep, invocationId: randomUUID(), options: { extraInputs: [input] }, logHandler: (level, ...args) => logs.push({ level, text: args.map(String).join(' ') }) });
  logged.extraInputs.set(input, ctx.extraInputs.get(input));

  await nightlySweep(timer, logged);
  await host.idle();
  expect(starts()).toHaveLength(0);
  const errors = logs.filter((l) => l.level === 'error');
  expect(errors).toHaveLength(1);
  expect(errors[0]?.text).toMatch(new RegExp(`${LOG_MESSAGES.keptOut}.*KeptOutByLease.*process 4242 on laptop-7`));
  await store.releaseLease(TENANT_PASS_LEASE, holder);
});
