import { AzureFunctionsInstrumentation } from '@azure/functions-opentelemetry-instrumentation';
import { ManagedIdentityCredential } from '@azure/identity';
import { useAzureMonitor } from '@azure/monitor-opentelemetry';
import { ROOT_CONTEXT, trace, TraceFlags, type Context } from '@opentelemetry/api';
import { logs, SeverityNumber } from '@opentelemetry/api-logs';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { loadTelemetrySettings, type TelemetrySettings } from '../shared/config';
import type { TraceSink, TraceLine } from '../shared/observability/functions.logger';
import { VERSION } from '../shared/version';

/**
 * The Functions worker's telemetry, on the path the Functions docs give for the Node.js v4 model
 * with host.json `"telemetryMode": "OpenTelemetry"`: the Azure Monitor OpenTelemetry distro
 * (`useAzureMonitor`) plus `@azure/functions-opentelemetry-instrumentation`, which tells the host
 * that the worker exports its own logs and carries the host's trace context into each invocation.
 *
 * Ingestion authenticates with Entra ID through the exporter's own `credential` option: the managed
 * identity named in APPLICATIONINSIGHTS_AUTHENTICATION_STRING ("Authorization=AAD;ClientId=<id>"),
 * the setting the host reads too. No instrumentation-key (local) auth: infra/ disables it.
 *
 * Sampling never drops a decision: logs are not sampled with their trace
 * (`enableTraceBasedSamplingForLogs: false`) and spans, which carry exceptions, are kept at 100%
 * (`samplingRatio: 1`, no per-second rate limit). The governor's volume is small (a few thousand
 * ARM calls a night), so there is nothing to save by sampling and an audit trail to lose.
 *
 * Must run before `@azure/functions` is loaded (functions/index.ts imports this module first), so
 * the instrumentation sees the module load.
 */

const SEVERITY: Record<TraceLine['level'], { number: SeverityNumber; text: string }> = {
  info: { number: SeverityNumber.INFO, text: 'INFO' },
  warn: { number: SeverityNumber.WARN, text: 'WARN' },
  error: { number: SeverityNumber.ERROR, text: 'ERROR' },
};

let started: TraceSink | null | undefined;

/** Starts telemetry once per process (a no-op without APPLICATIONINSIGHTS_CONNECTION_STRING). */
export function startTelemetry(env: NodeJS.ProcessEnv = process.env): TraceSink | undefined {
  if (started === undefined) {
    const settings = loadTelemetrySettings(env);
    started = settings ? start(settings) : null;
  }
  return started ?? undefined;
}

function start(settings: TelemetrySettings): TraceSink {
  useAzureMonitor({
    azureMonitorExporterOptions: {
      connectionString: settings.connectionString,
      ...(settings.entra ? { credential: new ManagedIdentityCredential(settings.entra.clientId ? { clientId: settings.entra.clientId } : {}) } : {}),
    },
    samplingRatio: 1,
    tracesPerSecond: 0,
    enableTraceBasedSamplingForLogs: false,
    enableLiveMetrics: false,
  });
  registerInstrumentations({
    tracerProvider: trace.getTracerProvider(),
    loggerProvider: logs.getLoggerProvider(),
    instrumentations: [new AzureFunctionsInstrumentation()],
  });
  const logger = logs.getLogger('defender-ai-governor', VERSION);
  return {
    emit(line: TraceLine): void {
      logger.emit({
        body: line.message,
        severityNumber: SEVERITY[line.level].number,
        severityText: SEVERITY[line.level].text,
        attributes: line.attributes,
        context: invocationContext(line.traceParent),
      });
    },
    async flush(): Promise<void> {
      // The distro registers an SDK LoggerProvider globally; its batch processor holds the lines.
      const provider = logs.getLoggerProvider() as { forceFlush?: () => Promise<void> };
      await provider.forceFlush?.();
    },
  };
}

/**
 * The invocation's trace (W3C traceparent `00-<trace id>-<span id>-<flags>`) as the log's parent,
 * so "D4AI decision" is in the same operation as the host's request and dependency telemetry.
 * Taken from the invocation itself rather than the active context: the orchestrations and the
 * activities log from code that the Functions instrumentation's hook does not wrap.
 */
function invocationContext(traceParent: string | undefined): Context {
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/i.exec(traceParent ?? '');
  if (!match?.[1] || !match[2] || !match[3]) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: match[1].toLowerCase(),
    spanId: match[2].toLowerCase(),
    traceFlags: Number.parseInt(match[3], 16) & TraceFlags.SAMPLED,
    isRemote: true,
  });
}
