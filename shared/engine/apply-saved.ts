import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import type { Decision } from '../domain/decide';
import type { GovernContext } from '../domain/model';
import type { Plan } from '../domain/plan';
import type { SavedPlan } from '../domain/saved-plan';
import type { RemediationRecord, SweepSummaryRecord } from '../records/record';
import { logSweepSummary } from './decision-log';
import { errorInfo } from './errors';
import { carryOut, savedPlanScopeIds, storeWithRetry, withRunId } from './govern';
import { readAncestry } from './load-context';
import type { Ports } from './ports';
import { eachLimited, runScope, type PassProblem } from './snapshot-pass';
import { Tally, sweepSummary } from './tally';
import { leasedPass } from './tenant-lease';

/**
 * `d4ai apply plan.json`: a checked saved plan (domain/saved-plan.ts) applied exactly, subscription
 * by subscription, through the one write path as a reviewed plan: under the tenant-pass lease,
 * each body is written only where the fresh read still shows the plan's before-state; anywhere else
 * the subscription is recorded `plan-stale`, naming what changed, and nothing is written there.
 * Every record carries the plan's digest and the apply's id (`sweepId`), so `revert --run <id>`
 * undoes exactly this apply; one summary row closes it.
 */
export interface ApplySavedResult {
  applyId: string;
  summary: SweepSummaryRecord;
  summaryStored: boolean;
  unrecorded: PassProblem[];
}

export async function applySavedPlan(ports: Ports, config: Config, saved: SavedPlan, options: { onRecord?: (record: RemediationRecord) => void; holder?: string } = {}): Promise<ApplySavedResult> {
  return leasedPass(ports, `${options.holder ?? 'd4ai CLI'} apply of plan ${saved.digest.slice(0, 19)}`, async (renew) => {
    const applyId = randomUUID();
    const startedAt = ports.clock();
    const tally = new Tally();
    const unrecorded: PassProblem[] = [];
    tally.subscriptions = saved.subscriptions.length;
    // Scope read again for every write up front, not once per entry (shared/engine/govern.ts).
    const ancestry = await readAncestry(ports, savedPlanScopeIds(config, saved.subscriptions));
    let done = 0;
    await eachLimited(saved.subscriptions, config.sweepConcurrency, async (plan) => {
      // Renewed as the apply goes, like a sweep's pages: a long apply keeps its lease.
      if (++done % 100 === 0) await renew();
      const request = withRunId({ subscriptionId: plan.subscriptionId, trigger: 'cli', detail: { sweepId: applyId, note: `apply of plan ${saved.digest}` } });
      try {
        const result = await carryOut(ports, config, request, contextOfPlan(plan, ancestry), { decision: plan.decision as Decision, slot: 0 }, { reviewed: { plan, digest: saved.digest } });
        tally.add(result.record);
        if (!result.stored) {
          tally.unrecorded++;
          unrecorded.push({ subscriptionId: plan.subscriptionId, ...(result.storeError ?? { code: 'RecordWriteFailed', message: 'The record could not be stored.' }) });
        }
        options.onRecord?.(result.record);
      } catch (error) {
        tally.unrecorded++;
        unrecorded.push({ subscriptionId: plan.subscriptionId, ...errorInfo(error) });
      }
    });
    const summary = sweepSummary({ id: applyId, trigger: 'cli', mode: config.mode, scope: runScope(saved.scope), startedAt, finishedAt: ports.clock() }, tally);
    logSweepSummary(ports.logger, summary);
    let summaryStored = true;
    try {
      await storeWithRetry(ports, () => ports.records.writeRunSummary(summary));
    } catch {
      summaryStored = false;
    }
    return { applyId, summary, summaryStored, unrecorded };
  });
}

/**
 * What a saved plan tells of its subscription, as the context its record is made from; with the
 * ancestry read for the plan's writes up front (savedPlanScopeIds), its management groups too (the
 * write's scope check then reads nothing more).
 */
export function contextOfPlan(plan: Plan, ancestry?: Readonly<Record<string, string[]>>): GovernContext {
  const ancestors = ancestry?.[plan.subscriptionId.toLowerCase()];
  return {
    subscription: { subscriptionId: plan.subscriptionId, ...(plan.subscriptionName ? { displayName: plan.subscriptionName } : {}), state: 'Enabled', tags: {}, ...(ancestors ? { managementGroupAncestors: ancestors } : {}) },
    aiResources: plan.aiResources.ids.map((id) => ({ id, type: '' })),
    aiResourceTotal: plan.aiResources.count,
    policyAssignments: [],
  };
}
