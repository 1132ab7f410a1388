import type { InvocationContext } from '@azure/functions';
import { LOG_FIELDS, type LogField, type LogFields, type Logger } from './log';

/**
 * The Logger for the Azure Functions app. Each line goes two ways:
 *  1. to the invocation log (`context.info/warn/error`), for `func start`, the portal's log stream and
 *     the host's own trace. The Node.js v4 worker hands the host a text line only, so the fields are
 *     appended as JSON there but do NOT become customDimensions;
 *  2. when Application Insights is configured, through the Application Insights SDK's
 *     `trackTrace({ message, properties })`, whose properties land in `customDimensions`. That trace
 *     carries the stable message template alone (e.g. exactly "D4AI decision"), so KQL can match on
 *     `message` and read `customDimensions.subscriptionId`, ... without parsing text.
 * Only LOG_FIELDS keys reach customDimensions (the type allows nothing else; unknown keys are dropped).
 */

/** The part of the Application Insights TelemetryClient used here; keeps the SDK out of the engine's types. */
export interface TraceSink {
  trackTrace(telemetry: {
    message: string;
    severity?: number;
    properties?: Record<string, string>;
    tagOverrides?: Record<string, string>;
  }): void;
}

// Application Insights SeverityLevel: Information = 1, Warning = 2, Error = 3.
const SEVERITY = { info: 1, warn: 2, error: 3 } as const;
type Level = keyof typeof SEVERITY;

const KNOWN = new Set<string>(LOG_FIELDS);

export function functionsLogger(context: InvocationContext, base: LogFields = {}, sink?: TraceSink): Logger {
  const emit =
    (level: Level) =>
    (message: string, fields: LogFields = {}): void => {
      const all = definedFields({ ...base, ...fields });
      context[level](`${message} ${JSON.stringify(all)}`);
      sink?.trackTrace({ message, severity: SEVERITY[level], properties: asProperties(all), tagOverrides: operationTags(context) });
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
function asProperties(fields: LogFields): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, String(value)]));
}

/**
 * Puts the trace in the invocation's operation (W3C traceparent `00-<trace id>-<span id>-<flags>`),
 * so "D4AI decision" shows up beside the host's request and dependency telemetry of the same run.
 */
function operationTags(context: InvocationContext): Record<string, string> | undefined {
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/i.exec(context.traceContext?.traceParent ?? '');
  if (!match?.[1] || !match[2]) return undefined;
  return { 'ai.operation.id': match[1], 'ai.operation.parentId': match[2] };
}
