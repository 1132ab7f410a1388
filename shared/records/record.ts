import { isWrite, type Action, type SkipReason } from '../domain/decide';
import type { Actor, GovernContext, GovernRequest, PricingBody, PricingSnapshot, TriggerDetail, TriggerKind } from '../domain/model';
import type { PlanBasis, PlanDecision, PlannedChange } from '../domain/plan';
import { optedOutAccounts } from '../domain/accounts';
import type { Finding } from '../domain/findings';
import type { Mode } from '../config';
import { scrub } from '../observability/redact';
import { summarisePricing, type PricingSummary } from '../domain/pricing-summary';

export { summarisePricing, type PricingSummary };
import { VERSION } from '../version';

/**
 * The audit artefact: exactly one per decision, failures included. It holds what was seen, what
 * was decided and why, what was written and what came back; never claims, e-mails, IPs or tokens
 * (TriggerDetail has no field that could carry them). The one personal identifier is `actor` on
 * manual runs: object and app ids of the caller, never a name (docs/safety.md, "Who did it").
 */

/**
 * `intent`: stored before a PUT, with the exact body; the outcome record replaces it (same row),
 * so an intent that stays means the outcome of that PUT was never recorded.
 * `partial`: the plan is Standard but an extension the service could not enable (e.g. not
 * offered in the region) is off; retried later with back-off, not on every pass.
 * `plan-stale`: a reviewed plan (a saved plan, or one confirmed on a terminal) was not written
 * because the fresh read under the lock differs from the state the plan was made from; the
 * record's reasons name what changed. The next plan starts from the new state.
 * `not-applied`: an intent whose process died before its outcome was stored, reconciled later
 * (engine/reconcile.ts): the pricing read then does not show the intent's body. Where it does, the
 * intent becomes `applied` with `recovered: true`.
 */
export type Outcome = 'applied' | 'partial' | 'dry-run' | 'failed' | 'no-op' | 'intent' | 'plan-stale' | 'not-applied';

/** `undecided`: the run failed before a decision could be made (e.g. ARM unreachable); `revert`: `d4ai revert` restored an earlier state. */
export type RecordAction = Action | 'undecided' | 'revert';

export interface RemediationRecord {
  subscriptionId: string;
  /** The subscription's display name when it was read (for people; the id identifies it). */
  subscriptionName?: string;
  runId: string;
  /** When the pass began; with runId it identifies the row, so the outcome replaces the intent. */
  startedAt: string;
  recordedAt: string;
  trigger: TriggerKind;
  triggerDetail?: TriggerDetail;
  /** Who started a manual run (admin API, CLI, revert); absent on event, sweep and watch runs. */
  actor?: Actor;
  mode: Mode;
  action: RecordAction;
  skipReason?: SkipReason;
  outcome: Outcome;
  pricingBefore?: PricingSummary;
  /** Absent after an attempted write whose result could not be read: unknown, never assumed. */
  pricingAfter?: PricingSummary;
  /** The exact PUT body the decision wants (sent in enforce mode, shown in report mode); a revert's is any tier. */
  desired?: PricingBody;
  /** What `desired` changes against the plan as read, extension by extension. */
  change?: PlannedChange;
  /** Where the before-state was read: an ARM GET (and when), or the Resource Graph snapshot. */
  planBasis?: PlanBasis;
  /** The digest of the saved or confirmed plan this record applied (`d4ai apply`, POST /api/plans, a terminal confirmation). */
  planDigest?: string;
  /** What stands between the plan and protection: opted-out accounts, prompt shields off, expiring exemptions, ... */
  findings?: Finding[];
  /** Azure OpenAI / AI Services accounts that opted out of Defender for AI (defenderForAISettings Disabled). */
  optedOutAccounts?: string[];
  /** Extensions the service failed to enable (outcome partial), and when to try them again. */
  failedExtensions?: string[];
  retryAfter?: string;
  /** How many passes in a row found these extensions failing (for the back-off). */
  partialAttempts?: number;
  aiResourceCount: number;
  /** At most MAX_RESOURCE_IDS, enough to explain the decision without bloating the row. */
  aiResourceIds: string[];
  reasons: string[];
  warnings: string[];
  error?: { code: string; message: string };
  durationMs: number;
  version: string;
  /** The outcome was not seen by the run that wrote the intent (it died): it was read afterwards (engine/reconcile.ts). */
  recovered?: true;
}

export const MAX_RESOURCE_IDS = 10;

/** A decision as a record holds it: governing's, or a revert's (the one that may write any tier). */
export type RecordedDecision = PlanDecision;

export interface RecordInput {
  request: GovernRequest & { runId: string };
  mode: Mode;
  context?: GovernContext;
  decision?: RecordedDecision;
  outcome: Outcome;
  pricingAfter?: PricingSnapshot;
  /**
   * A PUT was sent (or may have been): the after-state is only what was read back, and absent
   * (unknown) when nothing could be read. Without a write the plan is as it was before.
   */
  wrote?: boolean;
  extraReasons?: string[];
  extraWarnings?: string[];
  error?: { code: string; message: string };
  /** The plan's before-state when it is not the context's pricing (a summary from a saved plan, or an earlier PUT's). */
  before?: PricingSummary;
  planBasis?: PlanBasis;
  planDigest?: string;
  /** The back-off state of extensions that failed (outcome partial). */
  partial?: Pick<RemediationRecord, 'failedExtensions' | 'retryAfter' | 'partialAttempts'>;
  startedAt: Date;
  finishedAt: Date;
}

export function buildRecord(input: RecordInput): RemediationRecord {
  const { request, context, decision } = input;
  const before = input.before ?? summarisePricing(context?.pricing);
  // After a PUT, only what was read back; before one (an intent), nothing yet; otherwise unchanged.
  const after = input.wrote || input.outcome === 'intent' ? summarisePricing(input.pricingAfter) : (summarisePricing(input.pricingAfter) ?? before);
  const name = context?.subscription.displayName;
  const optedOut = optedOutAccounts(context?.accounts);
  return {
    subscriptionId: request.subscriptionId.toLowerCase(),
    ...(name ? { subscriptionName: name } : {}),
    runId: request.runId,
    startedAt: input.startedAt.toISOString(),
    recordedAt: input.finishedAt.toISOString(),
    trigger: request.trigger,
    ...(request.detail ? { triggerDetail: request.detail } : {}),
    ...(request.actor ? { actor: actorOf(request.actor) } : {}),
    mode: input.mode,
    action: decision?.action ?? 'undecided',
    ...(decision?.skipReason ? { skipReason: decision.skipReason } : {}),
    outcome: input.outcome,
    ...(before ? { pricingBefore: before } : {}),
    ...(after ? { pricingAfter: after } : {}),
    ...(decision?.desired ? { desired: decision.desired } : {}),
    ...(decision?.change ? { change: decision.change } : {}),
    ...(input.planBasis ? { planBasis: input.planBasis } : {}),
    ...(input.planDigest ? { planDigest: input.planDigest } : {}),
    ...(decision?.findings?.length ? { findings: decision.findings } : {}),
    ...(optedOut.length ? { optedOutAccounts: optedOut } : {}),
    ...(input.partial ?? {}),
    aiResourceCount: context?.aiResourceTotal ?? context?.aiResources.length ?? 0,
    aiResourceIds: (context?.aiResources ?? []).slice(0, MAX_RESOURCE_IDS).map((r) => r.id),
    reasons: [...(decision?.reasons ?? []), ...(input.extraReasons ?? [])],
    warnings: [...(decision?.warnings ?? []), ...(input.extraWarnings ?? [])],
    ...(input.error ? { error: { code: input.error.code, message: scrub(input.error.message) } } : {}),
    durationMs: Math.max(0, input.finishedAt.getTime() - input.startedAt.getTime()),
    version: VERSION,
  };
}

/** A lease on passes over the tenant: one sweep (or watch pass) at a time, with the cap it enforces. */
export interface LeaseState {
  name: string;
  holder: string;
  expiresAt: string;
  /** A CLI holder's machine and process: a dead holder on the same machine is taken over at once. */
  owner?: LeaseOwner;
}

export interface LeaseOwner {
  host: string;
  pid: number;
  /** When this holder first took the lease (renewals keep it): how long it has kept others out. */
  since: string;
}

/** `d4ai lease --break`: who freed which lease held by whom, kept beside the records. */
export interface LeaseBreakRecord {
  kind: 'lease-break';
  name: string;
  /** The holder the lease was taken from, and its expiry then. */
  holder: string;
  expiresAt: string;
  brokenAt: string;
  /** The breaker's machine and process (never a user name). */
  brokenBy: string;
  version: string;
}

export type LeaseResult = { acquired: true; lease: LeaseState } | { acquired: false; held: LeaseState };

/** Outcome for a decision that was not written (none, skip, or report mode). */
export function outcomeWithoutWrite(action: Action | 'revert'): Outcome {
  return isWrite({ action }) ? 'dry-run' : 'no-op';
}

/** What a sweep or a watch pass looked at: a management group, explicit subscriptions, or everything the identity can read. */
export interface RunScope {
  managementGroup?: string;
  subscriptions?: string[];
}

/** What every pass summary holds, sweep or watch. */
interface PassSummaryFields {
  trigger: TriggerKind;
  /** Who started a manual pass (an admin API or CLI sweep, a CLI watch pass). */
  actor?: Actor;
  mode: Mode;
  scope: RunScope;
  startedAt: string;
  finishedAt: string;
  /** Subscriptions in the snapshot. */
  subscriptions: number;
  byOutcome: Record<string, number>;
  /** Writes decided (applied, or shown by a dry run) by kind of change: "Free → Standard", "+AIModelScanner". */
  byChange?: Record<string, number>;
  capReached: number;
  failed: number;
  version: string;
  /**
   * The pass was stopped before it reached every subscription: SIGINT, SIGTERM, SIGHUP or a closed
   * stdout (the CLI stored this summary on its way out), or its process died (the summary was
   * written by the run that reconciled its intents, engine/reconcile.ts).
   */
  interrupted?: true;
}

/** The stored summary of one sweep (its per-subscription records are stored on their own). */
export interface SweepSummaryRecord extends PassSummaryFields {
  kind: 'sweep-summary';
  sweepId: string;
  byAction: Record<string, number>;
}

/**
 * The stored summary of one tenant watch pass. A pass records only the subscriptions it acted on
 * (their own records); this one small row says what it looked at, every few minutes.
 */
export interface WatchSummaryRecord extends PassSummaryFields {
  kind: 'watch-summary';
  watchId: string;
  /** Subscriptions whose decision was a write (acted on, within the cap). */
  candidates: number;
}

export type RunSummaryRecord = SweepSummaryRecord | WatchSummaryRecord;

/** Only the two ids, whatever else the object carried: a record never gains a name by accident. */
export function actorOf(actor: Actor): Actor {
  return { objectId: actor.objectId, ...(actor.appId ? { appId: actor.appId } : {}) };
}

const ACTOR_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|function-key)$/i;

/** An actor from outside input (a recheck event's payload): its two ids if they are ids, else nothing. */
export function parseActor(value: unknown): Actor | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const { objectId, appId } = value as Record<string, unknown>;
  if (typeof objectId !== 'string' || !ACTOR_ID.test(objectId)) return undefined;
  return { objectId, ...(typeof appId === 'string' && ACTOR_ID.test(appId) && appId !== 'function-key' ? { appId } : {}) };
}
