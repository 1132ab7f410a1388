import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import { decideRevert } from '../domain/decide';
import { ExtensionSet } from '../domain/extension-set';
import type { GovernContext, GovernRequest, PricingSnapshot } from '../domain/model';
import type { Plan, PlanDecision } from '../domain/plan';
import { summarisePricing, type PricingSummary } from '../domain/pricing-summary';
import { buildRecord, type RemediationRecord } from '../records/record';
import { applyPlan } from './apply';
import { logDecision } from './decision-log';
import { GovernError, errorInfo } from './errors';
import { storeWithRetry, writtenFields } from './govern';
import { recordOfPass } from './pass-record';
import type { Ports } from './ports';
import type { PassProblem } from './snapshot-pass';
import { leasedPass } from './tenant-lease';

/**
 * `d4ai revert --run RUN_ID`: for each record of that run that wrote (`applied` or `partial`), a
 * plan that puts back the state it found (`pricingBefore`), made only where the plan is still
 * exactly what that run left (`pricingAfter`); anywhere else something changed since, and the
 * revert skips it saying what. The plan then goes through the one write path (apply.ts) like any
 * reviewed plan: a change between planning and the PUT makes it stale, and it is not written.
 * Revert is the one path that may switch something off, only from the CLI, only on explicit
 * request; it keeps every other rule: the store proven writable and the tenant-pass lease first,
 * one write at a time, a fresh read before each PUT, an intent record, a read-back, and a record
 * of its own for every subscription (trigger `revert`, pointing at the reverted run).
 */

export interface RevertOptions {
  /** A record's run id, or a sweep, watch or revert id. */
  run: string;
  subscriptionId?: string;
  onRecord?: (record: RemediationRecord) => void;
  /** The plan only: decided as a dry run, nothing stored, no lease (what the CLI shows before it asks). */
  preview?: boolean;
  /** Interruption (issue 16): once aborted, no further subscription is reverted; the one in flight finishes. */
  signal?: AbortSignal;
}

export interface RevertResult {
  revertId: string;
  records: RemediationRecord[];
  unrecorded: PassProblem[];
}

/** Records of a run that changed a plan, and so can be reverted. */
export function revertible(record: RemediationRecord): record is RemediationRecord & { pricingBefore: PricingSummary; pricingAfter: PricingSummary } {
  return (record.outcome === 'applied' || record.outcome === 'partial') && record.pricingBefore !== undefined && record.pricingAfter !== undefined;
}

export async function revertRun(ports: Ports, config: Config, options: RevertOptions): Promise<RevertResult> {
  const { records: found } = await ports.records.listRun(options.run, 10_000);
  const targets = found.filter(revertible).filter((r) => !options.subscriptionId || r.subscriptionId === options.subscriptionId.toLowerCase());
  if (targets.length === 0) {
    const scope = options.subscriptionId ? ` for subscription ${options.subscriptionId}` : '';
    throw new GovernError('NothingToRevert', `Run ${options.run} has no applied record${scope} in ${ports.records.description} (${found.length} record(s) of that run found).`);
  }
  const revertId = randomUUID();
  const ordered = [...targets].sort((a, b) => a.recordedAt.localeCompare(b.recordedAt));
  const requestFor = (target: RemediationRecord): GovernRequest & { runId: string } => ({ subscriptionId: target.subscriptionId, trigger: 'revert', runId: randomUUID(), detail: { revertId, revertOf: options.run } });
  if (options.preview) {
    const planConfig: Config = { ...config, mode: 'report' };
    const records: RemediationRecord[] = [];
    for (const target of ordered) records.push(await revertOne(ports, planConfig, target, requestFor(target)));
    return { revertId, records, unrecorded: [] };
  }
  return leasedPass(ports, `d4ai revert of ${options.run}`, async (renew) => {
    const records: RemediationRecord[] = [];
    const unrecorded: PassProblem[] = [];
    // Oldest first, one at a time: at most one write in flight per subscription (and per run).
    for (const target of ordered) {
      if (options.signal?.aborted) break; // interrupted: no new write
      await renew();
      const record = await revertOne(ports, config, target, requestFor(target));
      try {
        await storeWithRetry(ports, () => ports.records.write(record));
        logDecision(ports.logger, record);
      } catch (error) {
        const { code, message } = errorInfo(error);
        logDecision(ports.logger, record, { errorCode: `RecordWriteFailed:${code}`, errorMessage: message });
        unrecorded.push({ subscriptionId: record.subscriptionId, code: `RecordWriteFailed:${code}`, message });
      }
      records.push(record);
      options.onRecord?.(record);
    }
    return { revertId, records, unrecorded };
  });
}

type Target = RemediationRecord & { pricingBefore: PricingSummary; pricingAfter: PricingSummary };

/** Plans the revert of one subscription on a fresh read and, in enforce mode, applies the plan. */
async function revertOne(ports: Ports, config: Config, target: Target, request: GovernRequest & { runId: string }): Promise<RemediationRecord> {
  const startedAt = ports.clock();
  const context: GovernContext = { subscription: { subscriptionId: target.subscriptionId, ...(target.subscriptionName ? { displayName: target.subscriptionName } : {}), state: 'Enabled', tags: {} }, aiResources: [], policyAssignments: [] };
  const origin = `Reverts what run ${request.detail?.revertOf ?? target.runId} did here on ${target.recordedAt} (${target.trigger}, record ${target.runId}): back to ${summaryText(target.pricingBefore)}.`;
  const record = (fields: Omit<Parameters<typeof recordOfPass>[0], 'request' | 'mode' | 'context' | 'startedAt' | 'finishedAt'>): RemediationRecord =>
    recordOfPass({ request, mode: config.mode, context, ...fields, startedAt, finishedAt: ports.clock() });
  const skip = (reason: string, current?: PricingSnapshot): RemediationRecord => {
    const before = summarisePricing(current);
    const decision: PlanDecision = { action: 'skip', skipReason: 'changed-since', missingComponents: [], reasons: [origin, reason], warnings: [] };
    return record({ decision, ...(before ? { before } : {}) });
  };

  let current: PricingSnapshot | undefined;
  const readAt = ports.clock();
  try {
    current = await ports.pricing.get(target.subscriptionId);
  } catch (error) {
    const info = errorInfo(error);
    return record({ decision: { action: 'revert', missingComponents: [], reasons: [origin], warnings: [] }, failure: { ...info, code: `FreshReadFailed:${info.code}` } });
  }
  if (!current) return skip('The service has no AI plan for this subscription any more: nothing to revert.');
  if (current.managedBy) return skip(`The plan is managed by ${current.managedBy} now; the governor never writes a plan another system manages.`, current);
  if (current.inherited) return skip(`The plan is inherited from ${current.inheritedFrom ?? 'a parent scope'} now; it is changed there.`, current);
  const changedSince = differencesBetween(summarisePricing(current), target.pricingAfter);
  if (changedSince.length) return skip(`Changed since that run: ${changedSince.join('; ')}. Nothing was written.`, current);

  const before = summarisePricing(current);
  const plan: Plan = {
    subscriptionId: target.subscriptionId,
    ...(target.subscriptionName ? { subscriptionName: target.subscriptionName } : {}),
    decision: decideRevert(target.pricingBefore, current, origin),
    ...(before ? { before } : {}),
    basis: { source: 'arm', readAt: readAt.toISOString() },
    aiResources: { count: target.aiResourceCount, ids: target.aiResourceIds },
  };
  if (config.mode !== 'enforce') return record({ decision: plan.decision, ...(before ? { before } : {}), planBasis: plan.basis });
  const beforePut = async (p: Plan, b: PricingSummary | undefined): Promise<void> => {
    const intent = buildRecord({ request, mode: config.mode, context, decision: p.decision, ...(b ? { before: b } : {}), planBasis: p.basis, outcome: 'intent', startedAt, finishedAt: ports.clock() });
    await storeWithRetry(ports, () => ports.records.write(intent));
  };
  // No replan: a revert is a reviewed plan; a change between planning and the PUT makes it stale.
  const written = await applyPlan(ports, config, plan, { beforePut });
  return record({ decision: written.plan.decision, ...writtenFields(written), notes: written.notes, planBasis: plan.basis });
}

/** What differs between the plan now and the state that run left (tier, subPlan, each extension on/off; extension states do not matter on Free). */
export function differencesBetween(now: PricingSummary | undefined, then: PricingSummary): string[] {
  if (!now) return ['the plan is gone'];
  if (now.tier !== then.tier) return [`the plan is ${now.tier}, that run left it ${then.tier}`];
  if (now.tier === 'Free') return [];
  const out: string[] = [];
  if ((now.subPlan ?? '') !== (then.subPlan ?? '')) out.push(`subPlan is ${now.subPlan ?? 'none'}, was ${then.subPlan ?? 'none'}`);
  out.push(...ExtensionSet.ofSummary(now).differencesFrom(ExtensionSet.ofSummary(then), { now: 'is', then: 'that run left it' }));
  return out;
}

function summaryText(p: PricingSummary): string {
  const on = ExtensionSet.ofSummary(p).on();
  return `${p.tier}${p.tier === 'Standard' ? ` with ${on.join(', ') || 'no extensions'}` : ''}`;
}
