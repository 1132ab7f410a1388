/**
 * The structured log contract. Every field name here becomes a customDimensions key in Application
 * Insights; the workbook and the saved KQL queries in infra/ may only use names from LOG_FIELDS
 * (a test checks it), so renaming a field here is a deliberate, visible change.
 */
export const LOG_FIELDS = [
  'subscriptionId',
  'runId',
  'instanceId',
  'trigger',
  'eventId',
  'eventType',
  /** Why an event was ignored or how it was accepted (started / coalesced); free text, no personal data. */
  'reason',
  'action',
  'skipReason',
  'outcome',
  'mode',
  'aiResourceCount',
  'tierBefore',
  'tierAfter',
  'extensionsAfter',
  'errorCode',
  'errorMessage',
  /** Outcome partial: true on the first failure of these extensions (the alert fires once, not on every retry). */
  'newFailure',
  /** When extensions that failed are tried again (outcome partial). */
  'retryAfter',
  /** The finding types of the decision (domain/findings.ts), comma-separated: the workbook's findings section. */
  'findings',
  'durationMs',
  'eventToAppliedMs',
  'sweepId',
  'watchId',
  'governed',
  'candidates',
  'applied',
  'failed',
  'skipped',
  'capReached',
  'version',
] as const;

export type LogField = (typeof LOG_FIELDS)[number];
export type LogFields = Partial<Record<LogField, string | number | boolean | undefined>>;

/** Stable message templates: queries match on these exact strings. */
export const LOG_MESSAGES = {
  decision: 'D4AI decision',
  sweepSummary: 'D4AI sweep summary',
  watchSummary: 'D4AI watch summary',
  eventIgnored: 'D4AI event ignored',
  eventAccepted: 'D4AI event accepted',
  armError: 'D4AI ARM error',
  /** The tenant watch or nightly sweep kept out by a lease held from outside the app (engine/kept-out.ts). */
  keptOut: 'D4AI kept out by a lease',
} as const;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** One JSON object per line on a stream; used by the CLI (stderr) and as the fallback sink. */
export function jsonLinesLogger(write: (line: string) => void, base: LogFields = {}): Logger {
  const emit = (level: string) => (message: string, fields: LogFields = {}) =>
    write(JSON.stringify({ time: new Date().toISOString(), level, message, ...base, ...fields }) + '\n');
  return { info: emit('info'), warn: emit('warn'), error: emit('error') };
}

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
