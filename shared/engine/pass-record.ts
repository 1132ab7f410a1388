import type { Mode } from '../config';
import { isWrite } from '../domain/decide';
import type { GovernContext, GovernRequest, PricingSnapshot } from '../domain/model';
import type { PlanBasis, PlanDecision } from '../domain/plan';
import type { PricingSummary } from '../domain/pricing-summary';
import { carriedBackoff, nextBackoff } from '../domain/extension-backoff';
import { buildRecord, outcomeWithoutWrite, type RemediationRecord } from '../records/record';
import type { ApplyResult } from './apply';

/**
 * The record of one governing pass, from what the pass got to: the context it loaded, its decision,
 * the write's result, or the failure that stopped it. The CLI engine (govern.ts) and the
 * governSubscription orchestration both end a pass here, so a decision reads the same whoever made it.
 */
export interface PassResult {
  request: GovernRequest & { runId: string };
  mode: Mode;
  context?: GovernContext;
  decision?: PlanDecision;
  applied?: ApplyResult;
  /** What the write path noted beyond the decision (e.g. the fresh read found nothing to do). */
  notes?: string[];
  failure?: { code: string; message: string };
  /** The record's before-state when it is not the context's pricing (the write path's, or a saved plan's). */
  before?: PricingSummary;
  /** A reviewed plan the fresh read showed stale: what changed (outcome plan-stale, nothing written). */
  stale?: string[];
  /** What the fresh read showed when nothing was written. */
  seen?: PricingSnapshot;
  planBasis?: PlanBasis;
  planDigest?: string;
  /** Report mode was asked for by this run (a per-request dry run), not by D4AI_MODE. */
  dryRunRequested?: boolean;
  startedAt: Date;
  finishedAt: Date;
}

export function recordOfPass(pass: PassResult): RemediationRecord {
  const { decision, applied, failure } = pass;
  const unwritten = decision !== undefined && isWrite(decision) && pass.mode === 'report';
  const error = failure ?? applied?.error;
  return buildRecord({
    request: pass.request,
    mode: pass.mode,
    ...(pass.context ? { context: pass.context } : {}),
    ...(decision ? { decision } : {}),
    outcome: failure ? 'failed' : pass.stale ? 'plan-stale' : (applied?.outcome ?? outcomeWithoutWrite(decision?.action ?? 'none')),
    ...(applied?.pricingAfter ? { pricingAfter: applied.pricingAfter } : pass.seen ? { pricingAfter: pass.seen } : {}),
    ...(pass.before ? { before: pass.before } : {}),
    ...(pass.planBasis ? { planBasis: pass.planBasis } : {}),
    ...(pass.planDigest ? { planDigest: pass.planDigest } : {}),
    ...(applied?.wrote ? { wrote: true } : {}),
    ...partialOf(pass),
    extraReasons: [
      ...(pass.stale ? [`Not written: the plan is stale, the plan changed since it was made (${pass.stale.join('; ')}). Plan again from the new state.`] : []),
      ...(pass.notes ?? []),
      ...(applied?.notes ?? []),
      ...(unwritten ? [pass.dryRunRequested ? 'Dry run requested for this run: nothing was written.' : 'Report mode (dry run): nothing was written.'] : []),
    ],
    ...(error ? { error } : {}),
    startedAt: pass.startedAt,
    finishedAt: pass.finishedAt,
  });
}

/** The back-off state the record carries: a new or longer one after a partial write, the same one after a skip for it. */
function partialOf(pass: PassResult): { partial?: NonNullable<Parameters<typeof buildRecord>[0]['partial']> } {
  const { applied, decision, context } = pass;
  if (applied?.outcome === 'partial' && applied.failedExtensions?.length) return { partial: nextBackoff(applied.failedExtensions, context?.extensionBackoff, pass.finishedAt) };
  if (decision?.skipReason === 'extension-backoff' && context?.extensionBackoff) return { partial: carriedBackoff(context.extensionBackoff) };
  return {};
}
