import type { TokenCredential } from '@azure/identity';
import { loadConfig, type Config } from '../../shared/config';
import { createPorts } from '../../shared/composition';
import type { Ports } from '../../shared/engine/ports';
import type { LogFields, Logger } from '../../shared/observability/log';

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
