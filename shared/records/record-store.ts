import type { LeaseBreakRecord, LeaseOwner, LeaseResult, LeaseState, RemediationRecord, RunSummaryRecord } from './record';

/**
 * Where records go: Table Storage in Azure, an embedded SQLite file for a CLI without one. A record is
 * identified by its subscription, start time and run id: writing it again (the outcome after the
 * intent, a retried activity) replaces it.
 */
export interface RecordStore {
  /** Human-readable target for logs and the CLI, without keys or signatures. */
  readonly description: string;
  /** The setting that configured it, to name in an error. */
  readonly setting: string;
  /**
   * Proves the store accepts writes (creates the table and writes a probe row / opens the file
   * for append and writes to it); throws RecordStoreUnavailable naming the store and the setting.
   */
  ensureWritable(): Promise<void>;
  write(record: RemediationRecord): Promise<void>;
  /** One row per sweep or watch pass, beside the per-subscription records. */
  writeRunSummary(summary: RunSummaryRecord): Promise<void>;
  /** Newest first; lines or rows that cannot be read are skipped and named in `problems`. */
  list(subscriptionId: string, limit: number, filter?: RecordFilter): Promise<RecordList>;
  /** One run's records across subscriptions: a record's run id, or a sweep, watch or revert id. Newest first. */
  listRun(id: string, limit: number, filter?: Pick<RecordFilter, 'since'>): Promise<RecordList>;
  /** Sweep and watch summaries, newest first. */
  listSummaries(limit: number, filter?: Pick<RecordFilter, 'since'>): Promise<RunSummaryRecord[]>;
  /** One summary by its sweep or watch id. */
  summary(id: string): Promise<RunSummaryRecord | undefined>;
  /**
   * Stores `record` over its intent (same subscription, start and run id) only while that row is
   * still an intent: a reconciliation never overwrites the outcome its live writer stored meanwhile.
   * False when the row is no longer an intent (or is gone).
   */
  replaceIntent(record: RemediationRecord): Promise<boolean>;
  /** Records still `intent` (their outcome never stored), oldest first: what engine/reconcile.ts settles. */
  listIntents(limit: number, filter?: { subscriptionId?: string; run?: string }): Promise<RecordList>;
  /** Pass ids (sweep, watch or revert) of records made since `since`, newest first: finds a pass that died before its summary. */
  recentPassIds(since: Date, limit: number): Promise<string[]>;
  /** Every record and summary, for `d4ai records --export jsonl`; streamed, never held at once. */
  exportAll(): AsyncIterable<RemediationRecord | RunSummaryRecord>;
  /** Deletes records and summaries made before `before` (D4AI_RECORDS_RETENTION_DAYS, `d4ai records prune`). */
  prune(before: Date): Promise<{ records: number; summaries: number }>;
  /**
   * Takes the named lease for `holder` until now + ttlMs, unless someone else holds it unexpired
   * (a transaction or optimistic concurrency: two takers never both get it). `owner`: the CLI's
   * machine and process, stored with it.
   */
  acquireLease(name: string, holder: string, ttlMs: number, now: Date, owner?: LeaseOwner): Promise<LeaseResult>;
  /** Gives the lease up, if `holder` still holds it. */
  releaseLease(name: string, holder: string): Promise<void>;
  /** The lease as stored (expired or not), or undefined when nobody took it. */
  currentLease(name: string): Promise<LeaseState | undefined>;
  /** `d4ai lease --break`: kept so a broken lease is never a silent one. */
  writeLeaseBreak(record: LeaseBreakRecord): Promise<void>;
  listLeaseBreaks(limit: number): Promise<LeaseBreakRecord[]>;
}

/** The sweep, watch or revert a record was part of (its pass id), if any. */
export function passIdOf(record: Pick<RemediationRecord, 'triggerDetail'>): string | undefined {
  const d = record.triggerDetail;
  return d?.sweepId ?? d?.watchId ?? d?.revertId;
}

export interface RecordFilter {
  /** Only records made at or after this time. */
  since?: Date;
  /** Only records of this run (its run id, or its sweep, watch or revert id). */
  run?: string;
}

/** Whether a record belongs to the run `id` (its own run id, or the pass it was part of). */
export function inRun(record: Pick<RemediationRecord, 'runId' | 'triggerDetail'>, id: string): boolean {
  const d = record.triggerDetail;
  return record.runId === id || d?.sweepId === id || d?.watchId === id || d?.revertId === id;
}

export function matchesFilter(record: Pick<RemediationRecord, 'runId' | 'triggerDetail' | 'recordedAt'>, filter: RecordFilter = {}): boolean {
  if (filter.since && !(Date.parse(record.recordedAt) >= filter.since.getTime())) return false;
  return filter.run === undefined || inRun(record, filter.run);
}

export interface RecordList {
  records: RemediationRecord[];
  problems: string[];
}

/** The store cannot be written: nothing that needs a record may happen. */
export class RecordStoreUnavailable extends Error {
  readonly code = 'RecordStoreUnavailable';

  constructor(description: string, setting: string, cause: string) {
    super(`The records store (${description}, from ${setting}) does not accept writes: ${cause}. Nothing was changed: a change is made only where its record can be kept.`);
    this.name = 'RecordStoreUnavailable';
  }
}
