import * as df from 'durable-functions';
import type { Config, Mode, RetrySettings } from '../shared/config';
import type { SkipReason } from '../shared/domain/decide';
import type { GovernRequest, SubscriptionInfo, TriggerKind } from '../shared/domain/model';
import type { Outcome, RecordAction, RemediationRecord } from '../shared/records/record';

/**
 * What travels between the triggers, the orchestrations and the activities. Everything here is
 * JSON and lands in the Durable Task history, so it holds no secrets: the settings snapshot leaves
 * out the records connection (activities re-read it from the app settings).
 */

/** Config without where records go. Taken by the trigger, so a replay always decides with the same settings. */
export type GovernSettings = Omit<Config, 'records'>;

export function settingsOf(config: Config): GovernSettings {
  const { records: _records, ...settings } = config;
  return settings;
}

/** The snapshot plus a records target: the shape decide/loadContext/createPorts take. */
export function configFrom(settings: GovernSettings, records: Config['records'], mode: Mode = settings.mode): Config {
  return { ...settings, mode, records };
}

/** One trigger's wish to govern a subscription: the first pass of a run, or a `recheck` event. */
export interface GovernAsk {
  /** Lets a trigger see whether its ask was handled (output.handledRequestIds). */
  requestId: string;
  request: GovernRequest;
  /** Report mode for this pass whatever D4AI_MODE says: the admin API's per-request dry run. */
  dryRun: boolean;
  settings: GovernSettings;
}

export interface GovernInput {
  ask: GovernAsk;
  /** Asks merged into the first pass (after a continue-as-new); defaults to [ask.requestId]. */
  requestIds?: string[];
  /** Writes the caller already counts against D4AI_MAX_ENABLEMENTS_PER_RUN (sweep children). */
  writesSoFar?: number;
  /** The subscription as the sweep listed it; the first pass decides from it instead of reading it again. */
  listed?: SubscriptionInfo;
  /** true for the per-subscription singleton: wait for `recheck` events before finishing. */
  coalesce: boolean;
}

export interface GovernOutput {
  records: RemediationRecord[];
  handledRequestIds: string[];
}

/** The decision as shown in the run's custom status (GET /api/runs/{instanceId}). */
export interface DecisionStatus {
  runId: string;
  subscriptionId: string;
  trigger: TriggerKind;
  mode: Mode;
  action: RecordAction;
  outcome: Outcome;
  skipReason?: SkipReason;
  errorCode?: string;
}

export interface GovernStatus {
  phase: 'waiting-for-write-lock' | 'governing' | 'settling' | 'done';
  subscriptionId: string;
  passes: number;
  decision?: DecisionStatus;
  handledRequestIds: string[];
}

export function decisionStatus(record: RemediationRecord): DecisionStatus {
  return {
    runId: record.runId,
    subscriptionId: record.subscriptionId,
    trigger: record.trigger,
    mode: record.mode,
    action: record.action,
    outcome: record.outcome,
    ...(record.skipReason ? { skipReason: record.skipReason } : {}),
    ...(record.error ? { errorCode: record.error.code } : {}),
  };
}

/**
 * Several asks that arrived while a pass ran become ONE more pass (that is the coalescing). The pass
 * writes unless every ask was a dry run: a real trigger needs the write anyway, and a dry run never
 * causes one by itself. The freshest settings win; the first real ask names the trigger.
 */
export function mergeAsks(asks: readonly GovernAsk[]): { ask: GovernAsk; requestIds: string[] } {
  const first = asks[0];
  if (!first) throw new Error('mergeAsks needs at least one ask');
  const lead = asks.find((a) => !a.dryRun) ?? first;
  const latest = asks[asks.length - 1] ?? first;
  const others = asks.length - 1;
  const note = others > 0 ? `coalesced with ${others} other trigger(s)` : undefined;
  const detail = note ? { ...(lead.request.detail ?? {}), note: lead.request.detail?.note ? `${lead.request.detail.note}; ${note}` : note } : lead.request.detail;
  const { runId: _runId, ...request } = lead.request;
  return {
    ask: {
      requestId: lead.requestId,
      request: { ...request, ...(detail ? { detail } : {}) },
      dryRun: asks.every((a) => a.dryRun),
      settings: latest.settings,
    },
    requestIds: asks.map((a) => a.requestId),
  };
}

/**
 * Activity failures cross the Durable Task boundary as text (the host wraps the message in its own
 * "Function failed" wording). The code is carried in a marker so records keep the ARM error code.
 */
const MARKER = /d4ai-error\[([^\]\s]{1,100})\]: ([^\n]*)/;

export function activityError({ code, message }: { code: string; message: string }): Error {
  const error = new Error(`d4ai-error[${code}]: ${message.split('\n')[0] ?? ''}`);
  error.name = 'ActivityError';
  return error;
}

export function failureFrom(error: unknown): { code: string; message: string } {
  const text = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
  const match = MARKER.exec(text);
  if (match?.[1]) return { code: match[1], message: (match[2] ?? '').trim() };
  const firstLine = (error instanceof Error ? error.message : text).split('\n')[0] ?? '';
  return { code: 'ActivityFailed', message: firstLine.slice(0, 1000) };
}

/** D4AI_RETRY_* as the Durable Task retry policy of every activity call. */
export function retryOptions(settings: RetrySettings): df.RetryOptions {
  const options = new df.RetryOptions(settings.firstRetryIntervalMs, settings.maxAttempts);
  options.backoffCoefficient = settings.backoffCoefficient;
  return options;
}
