import type { InvocationContext } from '@azure/functions';
import { LOG_FIELDS, type LogField, type LogFields, type Logger } from './log';

/**
 * The Logger for the Azure Functions app. A line goes one of two ways:
 *  - with telemetry configured (APPLICATIONINSIGHTS_CONNECTION_STRING), to the OpenTelemetry log
 *    sink (functions/telemetry.ts) as one log record: body = the stable message template alone
 *    (e.g. exactly "D4AI decision"), attributes = the structured fields. Azure Monitor stores it
 *    in `traces` (AppTraces in the workspace) with the attributes as `customDimensions`, so KQL
 *    matches on `message` and reads `customDimensions.subscriptionId`, ... without parsing text;
 *  - otherwise (`func start` without Application Insights, tests), to the invocation log
 *    (`context.info/warn/error`) as the message followed by the fields as JSON.
 * Never both: with OpenTelemetry on, the Functions instrumentation forwards invocation-log lines to
 * Application Insights too, and a decision must be exactly one record there.
 * Only LOG_FIELDS keys leave (the type allows nothing else; unknown keys are dropped).
 */

export type LogLevel = 'info' | 'warn' | 'error';

export interface TraceLine {
  message: string;
  level: LogLevel;
  /** customDimensions: strings, as Application Insights stores them. */
  attributes: Record<string, string>;
  /** The invocation's W3C traceparent, to correlate the line with the host's telemetry. */
  traceParent?: string;
}

/** Where structured lines go when telemetry is on; keeps the OpenTelemetry SDK out of the engine's types. */
export interface TraceSink {
  emit(line: TraceLine): void;
  /** Sends what is buffered now (the end of a sweep, tests). */
  flush(): Promise<void>;
}

const KNOWN = new Set<string>(LOG_FIELDS);

export function functionsLogger(context: InvocationContext, base: LogFields = {}, sink?: TraceSink): Logger {
  const emit =
    (level: LogLevel) =>
    (message: string, fields: LogFields = {}): void => {
      const all = definedFields({ ...base, ...fields });
      if (sink) {
        const traceParent = context.traceContext?.traceParent;
        sink.emit({ message, level, attributes: asAttributes(all), ...(traceParent ? { traceParent } : {}) });
      } else {
        context[level](`${message} ${JSON.stringify(all)}`);
      }
    };
  return { info: emit('info'), warn: emit('warn'), error: emit('error') };
}

function definedFields(fields: LogFields): LogFields {
  const result: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && KNOWN.has(key)) result[key as LogField] = value;
  }
  return result;
}

/** customDimensions are strings; numbers and booleans are written as their text. */
function asAttributes(fields: LogFields): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, String(value)]));
}
