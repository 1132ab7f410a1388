import { isWrite, type Action, type Decision, type SkipReason } from '../domain/decide';
import type { GovernContext, GovernRequest, PricingSnapshot, TriggerDetail, TriggerKind } from '../domain/model';
import type { Mode } from '../config';
import { VERSION } from '../version';

/**
 * The audit artefact: exactly one per decision, failures included. It holds what was seen, what
 * was decided and why, what was written and what came back; never claims, e-mails, IPs or tokens
 * (TriggerDetail has no field that could carry them).
 */

export type Outcome = 'applied' | 'dry-run' | 'failed' | 'no-op';

/** `undecided`: the run failed before a decision could be made (e.g. ARM unreachable). */
export type RecordAction = Action | 'undecided';

export interface PricingSummary {
  tier: 'Free' | 'Standard';
  subPlan?: string;
  /** Extension name -> enabled. */
  extensions: Record<string, boolean>;
  inherited?: boolean;
}

export interface RemediationRecord {
  subscriptionId: string;
  runId: string;
  recordedAt: string;
  trigger: TriggerKind;
  triggerDetail?: TriggerDetail;
  mode: Mode;
  action: RecordAction;
  skipReason?: SkipReason;
  outcome: Outcome;
  pricingBefore?: PricingSummary;
  pricingAfter?: PricingSummary;
  aiResourceCount: number;
  /** At most MAX_RESOURCE_IDS, enough to explain the decision without bloating the row. */
  aiResourceIds: string[];
  reasons: string[];
  warnings: string[];
  error?: { code: string; message: string };
  durationMs: number;
  version: string;
}

export const MAX_RESOURCE_IDS = 10;

export function summarisePricing(pricing: PricingSnapshot | undefined): PricingSummary | undefined {
  if (!pricing) return undefined;
  const extensions: Record<string, boolean> = {};
  for (const e of pricing.extensions) extensions[e.name] = e.enabled;
  return {
    tier: pricing.tier,
    ...(pricing.subPlan ? { subPlan: pricing.subPlan } : {}),
    extensions,
    ...(pricing.inherited ? { inherited: true } : {}),
  };
}

export interface RecordInput {
  request: GovernRequest & { runId: string };
  mode: Mode;
  context?: GovernContext;
  decision?: Decision;
  outcome: Outcome;
  pricingAfter?: PricingSnapshot;
  extraReasons?: string[];
  error?: { code: string; message: string };
  startedAt: Date;
  finishedAt: Date;
}

export function buildRecord(input: RecordInput): RemediationRecord {
  const { request, context, decision } = input;
  const before = summarisePricing(context?.pricing);
  const after = summarisePricing(input.pricingAfter) ?? before;
  return {
    subscriptionId: request.subscriptionId.toLowerCase(),
    runId: request.runId,
    recordedAt: input.finishedAt.toISOString(),
    trigger: request.trigger,
    ...(request.detail ? { triggerDetail: request.detail } : {}),
    mode: input.mode,
    action: decision?.action ?? 'undecided',
    ...(decision?.skipReason ? { skipReason: decision.skipReason } : {}),
    outcome: input.outcome,
    ...(before ? { pricingBefore: before } : {}),
    ...(after ? { pricingAfter: after } : {}),
    aiResourceCount: context?.aiResourceTotal ?? context?.aiResources.length ?? 0,
    aiResourceIds: (context?.aiResources ?? []).slice(0, MAX_RESOURCE_IDS).map((r) => r.id),
    reasons: [...(decision?.reasons ?? []), ...(input.extraReasons ?? [])],
    warnings: decision?.warnings ?? [],
    ...(input.error ? { error: input.error } : {}),
    durationMs: Math.max(0, input.finishedAt.getTime() - input.startedAt.getTime()),
    version: VERSION,
  };
}

/** Outcome for a decision that was not written (none, skip, or report mode). */
export function outcomeWithoutWrite(action: Action): Outcome {
  return isWrite({ action }) ? 'dry-run' : 'no-op';
}

/** What a sweep or a watch pass looked at: a management group, explicit subscriptions, or everything the identity can read. */
export interface RunScope {
  managementGroup?: string;
  subscriptions?: string[];
}

/** The stored summary of one sweep (its per-subscription records are stored on their own). */
export interface SweepSummaryRecord {
  kind: 'sweep-summary';
  sweepId: string;
  trigger: TriggerKind;
  mode: Mode;
  scope: RunScope;
  startedAt: string;
  finishedAt: string;
  subscriptions: number;
  byAction: Record<string, number>;
  byOutcome: Record<string, number>;
  capReached: number;
  failed: number;
  version: string;
}

/**
 * The stored summary of one tenant watch pass. A pass records only the subscriptions it acted on
 * (their own records); this one small row says what it looked at, every few minutes.
 */
export interface WatchSummaryRecord {
  kind: 'watch-summary';
  watchId: string;
  trigger: TriggerKind;
  mode: Mode;
  scope: RunScope;
  startedAt: string;
  finishedAt: string;
  /** Subscriptions in the snapshot. */
  subscriptions: number;
  /** Subscriptions whose decision was a write (acted on, within the cap). */
  candidates: number;
  byOutcome: Record<string, number>;
  capReached: number;
  failed: number;
  version: string;
}

export type RunSummaryRecord = SweepSummaryRecord | WatchSummaryRecord;
