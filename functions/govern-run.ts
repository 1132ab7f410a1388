import * as df from 'durable-functions';
import type { Mode, RetrySettings } from '../shared/config';
import type { SkipReason } from '../shared/domain/decide';
import { changeKinds } from '../shared/domain/plan';
import type { GovernContext, GovernRequest, TriggerDetail, TriggerKind } from '../shared/domain/model';
import type { Nomination } from '../shared/engine/govern';
import type { Plan } from '../shared/domain/plan';
import type { Outcome, RecordAction, RemediationRecord } from '../shared/records/record';

/**
 * What travels between the triggers, the orchestrations and the activities. Everything here is
 * JSON in the Durable Task history, and holds ids, trigger detail and decisions only: never
 * settings. Activities decide with the app's own validated configuration (functionsConfig()), so
 * nothing a trigger, an event or a `recheck` carries can change what the governor does.
 */

/** One trigger's wish to govern a subscription: the first pass of a run, or a `recheck` event. */
export interface GovernAsk {
  /** Lets a trigger see whether its ask was handled (output.handledRequestIds). */
  requestId: string;
  request: GovernRequest;
  /** Report mode for this pass whatever D4AI_MODE says: the admin API's per-request dry run. It can only make a run safer. */
  dryRun: boolean;
}

/**
 * A subscription nominated for a write before its run starts: a sweep page's candidate (its
 * refreshed context and the slot it holds under the cap), or an entry of a saved plan applied
 * through the admin API (`reviewed`: written exactly as reviewed, or recorded stale).
 */
export interface Candidate {
  context: GovernContext;
  nomination: Nomination;
  reviewed?: { plan: Plan; digest: string };
}

export interface GovernInput {
  ask: GovernAsk;
  /** Asks merged into the first pass (after a continue-as-new); defaults to [ask.requestId]. */
  requestIds?: string[];
  /** Sweep children: decided on the snapshot already; the pass goes straight to the write path. */
  candidate?: Candidate;
  /** true for the per-subscription singleton: wait for `recheck` events before finishing. */
  coalesce: boolean;
}

/** What a run returns: the outcome of each pass (not the records, which are in the store). */
export interface GovernOutput {
  outcomes: DecisionStatus[];
  handledRequestIds: string[];
}

/** The decision as shown in the run's custom status (GET /api/runs/{instanceId}) and returned to a sweep. */
export interface DecisionStatus {
  runId: string;
  subscriptionId: string;
  trigger: TriggerKind;
  mode: Mode;
  action: RecordAction;
  outcome: Outcome;
  skipReason?: SkipReason;
  errorCode?: string;
  /** What the write changed (or a dry run would), for the sweep summary's counts. */
  changeKinds?: string[];
  /** The record could not be stored (the decision is only in the logs): counted in the sweep summary. */
  unrecorded?: { code: string; message: string };
}

export interface GovernStatus {
  phase: 'planning' | 'waiting-for-write-lock' | 'writing' | 'recording' | 'settling' | 'done';
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
    // A partial write's failed extensions were not switched on: not counted as added.
    ...(record.change ? { changeKinds: changeKinds(record.change).filter((k) => !(record.failedExtensions ?? []).some((name) => k === `+${name}`)) } : {}),
  };
}

const TRIGGER_KINDS: readonly TriggerKind[] = ['event', 'sweep', 'watch', 'manual', 'cli'];
const DETAIL_FIELDS = ['eventId', 'eventType', 'eventTime', 'operationName', 'resourceId', 'resourceKind', 'instanceId', 'sweepId', 'watchId', 'note'] as const;

export function isTriggerKind(value: unknown): value is TriggerKind {
  return typeof value === 'string' && (TRIGGER_KINDS as readonly string[]).includes(value);
}

/** Trigger detail from outside input: the known fields, as strings of bounded length; anything else is dropped. */
export function triggerDetailFrom(value: unknown): TriggerDetail | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const raw = value as Record<string, unknown>;
  const detail: TriggerDetail = {};
  for (const field of DETAIL_FIELDS) {
    const v = raw[field];
    if (typeof v === 'string' && v.length > 0) detail[field] = v.slice(0, 1000);
  }
  return Object.keys(detail).length ? detail : undefined;
}

/**
 * Several asks that arrived while a pass ran become ONE more pass (that is the coalescing). The pass
 * writes unless every ask was a dry run: a real trigger needs the write anyway, and a dry run never
 * causes one by itself. The first real ask names the trigger.
 */
export function mergeAsks(asks: readonly GovernAsk[]): { ask: GovernAsk; requestIds: string[] } {
  const first = asks[0];
  if (!first) throw new Error('mergeAsks needs at least one ask');
  const lead = asks.find((a) => !a.dryRun) ?? first;
  const others = asks.length - 1;
  const note = others > 0 ? `coalesced with ${others} other trigger(s)` : undefined;
  const detail = note ? { ...(lead.request.detail ?? {}), note: lead.request.detail?.note ? `${lead.request.detail.note}; ${note}` : note } : lead.request.detail;
  const { runId: _runId, ...request } = lead.request;
  return {
    ask: { requestId: lead.requestId, request: { ...request, ...(detail ? { detail } : {}) }, dryRun: asks.every((a) => a.dryRun) },
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

/** No retry of an activity waits longer than this, whatever D4AI_RETRY_BACKOFF makes of the interval. */
export const RETRY_MAX_INTERVAL_MS = 10 * 60_000;

/** D4AI_RETRY_* as the Durable Task retry policy of every activity call. */
export function retryOptions(settings: RetrySettings): df.RetryOptions {
  const options = new df.RetryOptions(settings.firstRetryIntervalMs, settings.maxAttempts);
  options.backoffCoefficient = settings.backoffCoefficient;
  options.maxRetryIntervalInMilliseconds = RETRY_MAX_INTERVAL_MS;
  return options;
}

/** The wait before retry `n` (0-based) under retryOptions(settings). */
export function retryWaitMs(settings: RetrySettings, n: number): number {
  return Math.min(RETRY_MAX_INTERVAL_MS, settings.firstRetryIntervalMs * Math.pow(settings.backoffCoefficient, n));
}
