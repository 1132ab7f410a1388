import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import type { TriggerKind } from '../domain/model';
import type { RemediationRecord, SweepSummaryRecord } from '../records/record';
import { VERSION } from '../version';
import { logSweepSummary } from './decision-log';
import { errorInfo } from './errors';
import { governSubscription, type WriteBudget } from './govern';
import type { Ports } from './ports';

/**
 * Every visible subscription, a bounded number at a time. A failure on one subscription is that
 * subscription's failed record and never stops the others. The write cap is shared by all
 * workers, so a misconfigured run cannot enable more than D4AI_MAX_ENABLEMENTS_PER_RUN plans.
 */
/** The stored summary's counts, plus this run's records and anything that could not be stored. */
export interface SweepSummary extends Omit<SweepSummaryRecord, 'kind' | 'failed' | 'version'> {
  records: RemediationRecord[];
  /** Subscriptions whose record could not be stored (their decisions are only in the logs). */
  unrecorded: Array<{ subscriptionId: string; code: string; message: string }>;
}

export interface SweepOptions {
  trigger: TriggerKind;
  onProgress?: (done: number, total: number, record: RemediationRecord | undefined) => void;
}

export async function sweep(ports: Ports, config: Config, options: SweepOptions): Promise<SweepSummary> {
  const sweepId = randomUUID();
  const startedAt = ports.clock();
  const subscriptions = await ports.subscriptions.list();
  const budget: WriteBudget = { used: 0 };
  const records: RemediationRecord[] = [];
  const unrecorded: SweepSummary['unrecorded'] = [];
  let next = 0;
  let done = 0;

  const worker = async (): Promise<void> => {
    for (let i = next++; i < subscriptions.length; i = next++) {
      const subscription = subscriptions[i];
      if (!subscription) continue;
      let record: RemediationRecord | undefined;
      try {
        ({ record } = await governSubscription(
          ports,
          config,
          { subscriptionId: subscription.subscriptionId, trigger: options.trigger, detail: { sweepId } },
          { budget, listed: subscription },
        ));
        records.push(record);
      } catch (error) {
        unrecorded.push({ subscriptionId: subscription.subscriptionId, ...errorInfo(error) });
      }
      options.onProgress?.(++done, subscriptions.length, record);
    }
  };
  await Promise.all(Array.from({ length: Math.min(config.sweepConcurrency, Math.max(1, subscriptions.length)) }, worker));

  const summary = summarise(sweepId, options.trigger, config.mode, startedAt, ports.clock(), subscriptions.length, records, unrecorded);
  const stored = toSummaryRecord(summary);
  logSweepSummary(ports.logger, stored);
  await ports.records.writeSweepSummary(stored);
  return summary;
}

export function toSummaryRecord(summary: SweepSummary): SweepSummaryRecord {
  const { records: _records, unrecorded, ...counts } = summary;
  return { kind: 'sweep-summary', ...counts, failed: (counts.byOutcome.failed ?? 0) + unrecorded.length, version: VERSION };
}

export function summarise(
  sweepId: string,
  trigger: TriggerKind,
  mode: Config['mode'],
  startedAt: Date,
  finishedAt: Date,
  subscriptions: number,
  records: RemediationRecord[],
  unrecorded: SweepSummary['unrecorded'] = [],
): SweepSummary {
  const count = (key: (r: RemediationRecord) => string): Record<string, number> =>
    records.reduce<Record<string, number>>((acc, r) => ({ ...acc, [key(r)]: (acc[key(r)] ?? 0) + 1 }), {});
  return {
    sweepId,
    trigger,
    mode,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    subscriptions,
    byAction: count((r) => r.action),
    byOutcome: count((r) => r.outcome),
    capReached: records.filter((r) => r.skipReason === 'cap-reached').length,
    records,
    unrecorded,
  };
}
