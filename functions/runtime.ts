import type { InvocationContext } from '@azure/functions';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { TelemetryClient } from 'applicationinsights';
import { createPorts } from '../shared/composition';
import { loadConfig, type Config } from '../shared/config';
import type { Ports } from '../shared/engine/ports';
import { functionsLogger, type TraceSink } from '../shared/observability/functions.logger';
import { silentLogger, type LogFields, type Logger } from '../shared/observability/log';
import { createTelemetryClient } from './telemetry';

/**
 * The Functions app's composition root. Settings come from loadConfig(process.env) without a file
 * fallback, so records always go to Table Storage (AzureWebJobsStorage or D4AI_RECORDS_CONNECTION)
 * and a bad setting fails the invocation with the ConfigError that names it.
 */
export function functionsConfig(): Config {
  return loadConfig(process.env);
}

let credential: TokenCredential | undefined;
let cachedPorts: { key: string; ports: Ports } | undefined;

/**
 * Ports for one invocation. The adapters (and the credential's token cache, and the record store's
 * "table exists" check) are reused across invocations of the same settings; only the logger is
 * per invocation, because it writes to that invocation's context.
 */
export function portsFor(config: Config, logger: Logger): Ports {
  const key = JSON.stringify(config);
  if (cachedPorts?.key !== key) {
    credential ??= new DefaultAzureCredential();
    cachedPorts = { key, ports: createPorts(config, silentLogger, credential) };
  }
  return { ...cachedPorts.ports, logger };
}

export function loggerFor(context: InvocationContext, base: LogFields = {}): Logger {
  return functionsLogger(context, base, telemetrySink());
}

let sink: TraceSink | null | undefined;

/**
 * The Application Insights client for customDimensions, or undefined when the app has no
 * APPLICATIONINSIGHTS_CONNECTION_STRING (local runs, tests): then logs go to the invocation log only.
 * This platform setting (the Functions host reads it too) is not a D4AI setting, so config.ts does
 * not own it. No auto-collection is started: the host already reports requests and exceptions.
 */
export function telemetrySink(): TraceSink | undefined {
  if (sink === undefined) {
    const connectionString = process.env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim();
    sink = connectionString ? createTelemetryClient(connectionString, process.env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING?.trim()) : null;
  }
  return sink ?? undefined;
}

/** Sends buffered telemetry now (tests, and the end of a sweep). */
export function flushTelemetry(): Promise<void> {
  const current = sink;
  if (!current || !(current instanceof TelemetryClient)) return Promise.resolve();
  return new Promise((resolve) => current.flush({ callback: () => resolve() }));
}
