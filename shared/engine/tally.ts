import type { TriggerKind } from '../domain/model';
import { changeKinds, type PlannedChange } from '../domain/plan';
import type { Mode } from '../config';
import type { RemediationRecord, RunScope, SweepSummaryRecord, WatchSummaryRecord } from '../records/record';
import { VERSION } from '../version';

/**
 * Counts of a pass, kept as records are stored instead of holding the records: a sweep of 10,000
 * subscriptions keeps a few numbers, not 10,000 records. Summaries are derived from it.
 */
export class Tally {
  subscriptions = 0;
  readonly byAction: Record<string, number> = {};
  readonly byOutcome: Record<string, number> = {};
  /** Writes applied (or shown by a dry run) by kind of change. */
  readonly byChange: Record<string, number> = {};
  capReached = 0;
  /** Decisions that were not stored (their record could not be written, or the pass stopped early). */
  unrecorded = 0;

  add(record: Pick<RemediationRecord, 'action' | 'outcome' | 'skipReason' | 'failedExtensions'> & { change?: PlannedChange; changeKinds?: string[] }): void {
    this.byAction[record.action] = (this.byAction[record.action] ?? 0) + 1;
    this.byOutcome[record.outcome] = (this.byOutcome[record.outcome] ?? 0) + 1;
    if (record.skipReason === 'cap-reached') this.capReached++;
    if (['applied', 'partial', 'dry-run'].includes(record.outcome)) {
      // A partial write's failed extensions were not switched on: they are not counted as added.
      const failed = new Set((record.failedExtensions ?? []).map((name) => `+${name}`));
      for (const kind of record.changeKinds ?? (record.change ? changeKinds(record.change) : [])) if (!failed.has(kind)) this.byChange[kind] = (this.byChange[kind] ?? 0) + 1;
    }
  }

  /** Adds counts that came from elsewhere (a page activity, a child orchestration). */
  merge(counts: TallyCounts): void {
    this.subscriptions += counts.subscriptions;
    for (const [k, v] of Object.entries(counts.byAction)) this.byAction[k] = (this.byAction[k] ?? 0) + v;
    for (const [k, v] of Object.entries(counts.byOutcome)) this.byOutcome[k] = (this.byOutcome[k] ?? 0) + v;
    for (const [k, v] of Object.entries(counts.byChange ?? {})) this.byChange[k] = (this.byChange[k] ?? 0) + v;
    this.capReached += counts.capReached;
    this.unrecorded += counts.unrecorded;
  }

  counts(): TallyCounts {
    return { subscriptions: this.subscriptions, byAction: { ...this.byAction }, byOutcome: { ...this.byOutcome }, byChange: { ...this.byChange }, capReached: this.capReached, unrecorded: this.unrecorded };
  }

  static from(counts: TallyCounts | undefined): Tally {
    const tally = new Tally();
    if (counts) tally.merge(counts);
    return tally;
  }

  get failed(): number {
    return (this.byOutcome.failed ?? 0) + this.unrecorded;
  }
}

/** A tally as plain JSON (it crosses activity and continue-as-new boundaries in Functions). */
export interface TallyCounts {
  subscriptions: number;
  byAction: Record<string, number>;
  byOutcome: Record<string, number>;
  /** Absent in counts carried by a sweep started before it existed. */
  byChange?: Record<string, number>;
  capReached: number;
  unrecorded: number;
}

export interface PassIdentity {
  id: string;
  trigger: TriggerKind;
  mode: Mode;
  scope: RunScope;
  startedAt: Date;
  finishedAt: Date;
}

/** What every run summary says: who ran, in which mode, over what, when, and how it went. */
function common(pass: PassIdentity, tally: Tally) {
  return {
    trigger: pass.trigger,
    mode: pass.mode,
    scope: pass.scope,
    startedAt: pass.startedAt.toISOString(),
    finishedAt: pass.finishedAt.toISOString(),
    subscriptions: tally.subscriptions,
    byOutcome: { ...tally.byOutcome },
    byChange: { ...tally.byChange },
    capReached: tally.capReached,
    failed: tally.failed,
    version: VERSION,
  };
}

export function sweepSummary(pass: PassIdentity, tally: Tally): SweepSummaryRecord {
  return { kind: 'sweep-summary', sweepId: pass.id, ...common(pass, tally), byAction: { ...tally.byAction } };
}

export function watchSummary(pass: PassIdentity, tally: Tally, candidates: number): WatchSummaryRecord {
  return { kind: 'watch-summary', watchId: pass.id, ...common(pass, tally), candidates };
}
