/**
 * Everything a Functions test needs running: the ARM and managed identity stand-ins, Azurite, the
 * durable test host (real orchestrators, activities and entity) and the durable webhook stand-in
 * the real durable client talks to. Settings point the app at them through process.env, exactly
 * as app settings would; close() restores the environment.
 */
import { randomUUID } from 'node:crypto';
import { InvocationContext } from '@azure/functions';
import { TableRecordStore } from '../../shared/azure/records.table';
import type { RemediationRecord } from '../../shared/records/record';
import { startAzuriteTable, type AzuriteTable } from '../../sim/azurite';
import { buildLandingZone, type LandingZone } from '../../sim/landing-zone';
import { startStandIns, type StandIns } from '../../sim/stand-ins';
import { DurableTestHost } from '../../sim/durable-host';
import { startDurableWebhookStandIn, type DurableWebhookStandIn } from './durable-webhook-stand-in';
import { clientInputOf, durableHandlers } from './registrations';

export interface LogLine {
  functionName: string;
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

export interface World {
  standIns: StandIns;
  azurite: AzuriteTable;
  host: DurableTestHost;
  webhook: DurableWebhookStandIn;
  table: string;
  /** Logs written through InvocationContexts made by invocation() (triggers, HTTP). */
  triggerLogs: Array<{ functionName: string; level: string; message: string }>;
  /** A real InvocationContext for a registered function, with its durable client binding filled in. */
  invocation(functionName: string, withClient?: boolean): InvocationContext;
  records(subscriptionId: string, limit?: number): Promise<RemediationRecord[]>;
  /** Structured log lines ("<message> {json}") of triggers, activities and entities. */
  logLines(message: string): LogLine[];
  setEnv(values: Record<string, string | undefined>): void;
  /** Points the app (and records()) at a new, empty records table. */
  useNewTable(): string;
  /** A new durable host (fresh instances), wired to the same webhook stand-in. */
  resetHost(options?: { timerScale?: number }): void;
  close(): Promise<void>;
}

export async function startWorld(env: Record<string, string> = {}, options: { timerScale?: number } = {}): Promise<World> {
  const standIns = await startStandIns();
  const azurite = await startAzuriteTable();
  const table = `Records${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const saved = new Map<string, string | undefined>();
  const setEnv = (values: Record<string, string | undefined>): void => {
    for (const [name, value] of Object.entries(values)) {
      if (!saved.has(name)) saved.set(name, process.env[name]);
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  setEnv({
    D4AI_ARM_ENDPOINT: standIns.arm.endpoint,
    D4AI_RECORDS_CONNECTION: azurite.connectionString,
    D4AI_RECORDS_TABLE: table,
    D4AI_RETRY_FIRST_INTERVAL_MS: '100',
    APPLICATIONINSIGHTS_CONNECTION_STRING: undefined,
    ...env,
  });

  const newHost = (timerScale?: number): DurableTestHost =>
    new DurableTestHost({
      orchestrators: durableHandlers('orchestrationTrigger'),
      activities: durableHandlers('activityTrigger'),
      entities: durableHandlers('entityTrigger'),
      // Simulated time starts at the real time, so records of later tests sort as newer.
      startTime: new Date(),
      ...(timerScale !== undefined ? { timerScale } : {}),
    });
  const host = newHost(options.timerScale);
  const hostRef = { current: host };
  const webhook = await startDurableWebhookStandIn(() => hostRef.current);
  let store = new TableRecordStore(azurite.connectionString, table, standIns.credential, 'D4AI_RECORDS_CONNECTION');
  const triggerLogs: World['triggerLogs'] = [];

  const world: World = {
    standIns,
    azurite,
    get host() {
      return hostRef.current;
    },
    webhook,
    table,
    triggerLogs,
    invocation(functionName, withClient = true) {
      const clientInput = withClient ? clientInputOf(functionName) : undefined;
      const context = new InvocationContext({
        functionName,
        invocationId: randomUUID(),
        options: { extraInputs: clientInput ? [clientInput] : [] },
        logHandler: (level, ...args) => triggerLogs.push({ functionName, level, message: args.map(String).join(' ') }),
      });
      if (clientInput) context.extraInputs.set(clientInput, webhook.clientData);
      return context;
    },
    records: async (subscriptionId, limit = 100) => (await store.list(subscriptionId, limit)).records,
    logLines(message) {
      return [...triggerLogs, ...hostRef.current.logs]
        .filter((l) => l.message.startsWith(`${message} {`))
        .map((l) => ({ ...l, fields: JSON.parse(l.message.slice(message.length + 1)) as Record<string, unknown> }));
    },
    setEnv,
    useNewTable() {
      const name = `Records${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      setEnv({ D4AI_RECORDS_TABLE: name });
      store = new TableRecordStore(azurite.connectionString, name, standIns.credential, 'D4AI_RECORDS_CONNECTION');
      return name;
    },
    resetHost(opts = {}) {
      hostRef.current = newHost(opts.timerScale ?? options.timerScale);
      triggerLogs.length = 0;
    },
    async close() {
      await hostRef.current.idle(20000).catch(() => undefined);
      await webhook.close();
      await azurite.close();
      await standIns.close();
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    },
  };
  return world;
}

/**
 * Starts one world for the test file and gives every test a clean slate: ARM state and faults
 * reset, a fresh durable host, no recorded webhook calls. `onReady` receives the world once it is
 * up (assign it to the file's `world` variable); the file's own beforeEach hooks run after this one.
 */
export function useWorld(onReady: (world: World) => void): void {
  let world: World | undefined;
  beforeAll(async () => {
    world = await startWorld();
    onReady(world);
  });
  afterAll(() => world?.close());
  beforeEach(() => {
    if (!world) throw new Error('The test world did not start.');
    world.standIns.arm.reset();
    world.resetHost();
    world.webhook.calls.length = 0;
  });
}

/**
 * The simulated landing zone in the world's stand-ins, its settings applied (with `reset` settings
 * back to their defaults) and a new records table, before each test of the file.
 */
export function useLandingZone(world: () => World, reset: string[] = []): { readonly zone: LandingZone } {
  let zone: LandingZone | undefined;
  beforeEach(() => {
    const w = world();
    zone = buildLandingZone(w.standIns.arm.state);
    w.standIns.arm.graph.quota = { limit: 1000, windowMs: 5000 };
    w.setEnv({ ...zone.env, ...Object.fromEntries(reset.map((name) => [name, undefined])) });
    w.useNewTable();
  });
  return {
    get zone() {
      if (!zone) throw new Error('The landing zone is built before each test.');
      return zone;
    },
  };
}
