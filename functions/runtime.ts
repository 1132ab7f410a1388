import type { InvocationContext } from '@azure/functions';
import type { TokenCredential } from '@azure/identity';
import { createCredential } from '../shared/azure/credential';
import { createPorts } from '../shared/composition';
import { loadConfig, type Config } from '../shared/config';
import type { Ports } from '../shared/engine/ports';
import { functionsLogger, type TraceSink } from '../shared/observability/functions.logger';
import { silentLogger, type LogFields, type Logger } from '../shared/observability/log';
import { startTelemetry } from './telemetry';

/**
 * The Functions app's composition root. Settings come from loadConfig(process.env) without a file
 * fallback, so records always go to Table Storage (AzureWebJobsStorage or D4AI_RECORDS_CONNECTION)
 * and a bad setting fails the invocation with the ConfigError that names it.
 */
export function functionsConfig(): Config {
  return loadConfig(process.env);
}

/** The app's configuration, in report mode when the run asked for a dry run. */
export function effectiveConfig(dryRun: boolean): Config {
  const config = functionsConfig();
  return dryRun ? { ...config, mode: 'report' } : config;
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
    credential ??= createCredential(config);
    cachedPorts = { key, ports: createPorts(config, silentLogger, credential) };
  }
  return { ...cachedPorts.ports, logger };
}

export function loggerFor(context: InvocationContext, base: LogFields = {}): Logger {
  return functionsLogger(context, base, telemetrySink());
}

/**
 * The OpenTelemetry sink for customDimensions, or undefined when the app has no
 * APPLICATIONINSIGHTS_CONNECTION_STRING (local runs, tests): then logs go to the invocation log.
 * Started once per process; functions/index.ts starts it before anything else loads.
 */
export function telemetrySink(): TraceSink | undefined {
  return startTelemetry();
}

/** Sends buffered telemetry now (tests, and the end of a sweep). */
export async function flushTelemetry(): Promise<void> {
  await telemetrySink()?.flush();
}
