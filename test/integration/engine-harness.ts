import type { TokenCredential } from '@azure/identity';
import { loadConfig, type Config } from '../../shared/config';
import { createPorts } from '../../shared/composition';
import type { Ports } from '../../shared/engine/ports';
import type { LogFields, Logger } from '../../shared/observability/log';
import { startAzuriteTable, type AzuriteTable } from '../../sim/azurite';
import { buildLandingZone, type LandingZone } from '../../sim/landing-zone';
import { startStandIns, type StandIns } from '../../sim/stand-ins';

/**
 * Real ports (official SDK clients, Table Storage via Azurite) wired to the stand-ins, with a
 * logger that keeps every line and a sleep that does not wait, so 409 back-off stays fast.
 */
export interface LoggedLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  fields: LogFields;
}

export interface EngineUnderTest {
  config: Config;
  ports: Ports;
  logs: LoggedLine[];
  sleeps: number[];
}

export function engineFor(
  armEndpoint: string,
  recordsConnection: string,
  credential: TokenCredential,
  env: Record<string, string> = {},
  table = `Records${Math.random().toString(36).slice(2, 10)}`,
): EngineUnderTest {
  const config = loadConfig({
    D4AI_ARM_ENDPOINT: armEndpoint,
    D4AI_RECORDS_CONNECTION: recordsConnection,
    D4AI_RECORDS_TABLE: table,
    ...env,
  });
  const logs: LoggedLine[] = [];
  const sleeps: number[] = [];
  const keep =
    (level: LoggedLine['level']) =>
    (message: string, fields: LogFields = {}): void => {
      logs.push({ level, message, fields });
    };
  const logger: Logger = { info: keep('info'), warn: keep('warn'), error: keep('error') };
  const ports: Ports = {
    ...createPorts(config, logger, credential),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
  return { config, ports, logs, sleeps };
}

/** The stand-ins the engine tests share: ARM and Resource Graph with small pages (every list is followed across pages), and Azurite. */
export async function startEngineStandIns(): Promise<{ standIns: StandIns; azurite: AzuriteTable }> {
  const [standIns, azurite] = await Promise.all([startStandIns({ pageSize: 5, graphPageSize: 5 }), startAzuriteTable()]);
  return { standIns, azurite };
}

/** A fresh simulated landing zone in the stand-ins and an engine configured for it (records in `recordsConnection`). */
export function landingZoneEngine(standIns: StandIns, recordsConnection: string, env: Record<string, string> = {}): { zone: LandingZone; engine: EngineUnderTest } {
  standIns.arm.reset();
  // The per-user quota is tested on its own; elsewhere it would only make tests wait.
  standIns.arm.graph.quota = { limit: 1000, windowMs: 5000 };
  const zone = buildLandingZone(standIns.arm.state);
  return { zone, engine: engineFor(standIns.arm.endpoint, recordsConnection, standIns.credential, { ...zone.env, ...env }) };
}

/** Starts the shared stand-ins before the file's tests and stops them after; read them through the returned object. */
export function useEngineStandIns(): { readonly standIns: StandIns; readonly azurite: AzuriteTable } {
  let started: { standIns: StandIns; azurite: AzuriteTable } | undefined;
  beforeAll(async () => {
    started = await startEngineStandIns();
  });
  afterAll(async () => {
    await Promise.all([started?.standIns.close(), started?.azurite.close()]);
  });
  const get = (): { standIns: StandIns; azurite: AzuriteTable } => {
    if (!started) throw new Error('The engine stand-ins are not started (use them inside a test).');
    return started;
  };
  return {
    get standIns() {
      return get().standIns;
    },
    get azurite() {
      return get().azurite;
    },
  };
}
