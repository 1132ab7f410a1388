import { RecordStoreUnavailable, inRun, matchesFilter, passIdOf, type RecordFilter, type RecordList, type RecordStore } from '../../shared/records/record-store';
import type { LeaseBreakRecord, LeaseResult, LeaseState, RemediationRecord, RunSummaryRecord } from '../../shared/records/record';

/**
 * The RecordStore interface in memory, with the semantics of the file and table stores: a record
 * is identified by subscription + startedAt + runId (writing it again replaces the row), lists are
 * newest first (recordedAt, then the later write), leases are optimistic (another holder's
 * unexpired lease refuses; a free, expired or own lease is taken). Failures are injected per
 * operation. Every call is counted in `calls` (the FakeWorld shares the object).
 */

export interface RecordStoreCalls {
  ensureWritable: number;
  write: number;
  writeRunSummary: number;
  list: number;
  listRun: number;
  listSummaries: number;
  acquireLease: number;
  releaseLease: number;
  currentLease: number;
}

export function emptyRecordStoreCalls(): RecordStoreCalls {
  return { ensureWritable: 0, write: 0, writeRunSummary: 0, list: 0, listRun: 0, listSummaries: 0, acquireLease: 0, releaseLease: 0, currentLease: 0 };
}

/** A write failure rule: the next `times` writes the predicate accepts throw `error`. */
interface WriteFailure {
  times: number;
  when: (record: RemediationRecord) => boolean;
  error: () => unknown;
}

export class FakeRecordStore implements RecordStore {
  readonly description = 'in-memory record store (test fake)';
  readonly setting = 'FakeRecordStore';
  /** Rows in write order (a replaced row moves to the end: it is the latest write). */
  private rows: Array<{ key: string; seq: number; record: RemediationRecord }> = [];
  private summaryRows: Array<{ seq: number; summary: RunSummaryRecord }> = [];
  private leases = new Map<string, LeaseState>();
  private leaseBreaks: LeaseBreakRecord[] = [];
  private seq = 0;
  private writeFailures: WriteFailure[] = [];
  private summaryFailures = 0;
  private readFailures = 0;
  /** ensureWritable throws RecordStoreUnavailable while this is set (the cause). */
  unavailable: string | undefined;
  /** Every record ever written, intents included, in order (the rows keep only the latest per key). */
  readonly history: RemediationRecord[] = [];

  constructor(readonly calls: RecordStoreCalls = emptyRecordStoreCalls()) {}

  // ---- fault injection -------------------------------------------------------------------------

  /** The next `times` record writes (optionally only those `when` accepts, e.g. intents) throw. */
  failNextWrites(times = 1, when: (record: RemediationRecord) => boolean = () => true, error: () => unknown = () => storeError('write')): this {
    this.writeFailures.push({ times, when, error });
    return this;
  }

  /** Every record write throws from now on (`Infinity` times). */
  failAllWrites(): this {
    return this.failNextWrites(Infinity);
  }

  /** The next `times` run-summary writes throw. */
  failNextSummaryWrites(times = 1): this {
    this.summaryFailures += times;
    return this;
  }

  /** The next `times` reads (list, listRun, listSummaries) throw. */
  failNextReads(times = 1): this {
    this.readFailures += times;
    return this;
  }

  // ---- inspection ------------------------------------------------------------------------------

  /** The stored rows (the latest per subscription, startedAt and runId), in write order. */
  all(): RemediationRecord[] {
    return this.rows.map((r) => structuredClone(r.record));
  }

  summaries(): RunSummaryRecord[] {
    return this.summaryRows.map((s) => structuredClone(s.summary));
  }

  /** Puts a record in as if an earlier run had written it (not counted as a call). */
  seed(record: RemediationRecord): this {
    this.store(record);
    return this;
  }

  // ---- RecordStore -----------------------------------------------------------------------------

  async ensureWritable(): Promise<void> {
    this.calls.ensureWritable++;
    if (this.unavailable !== undefined) throw new RecordStoreUnavailable(this.description, this.setting, this.unavailable);
  }

  async write(record: RemediationRecord): Promise<void> {
    this.calls.write++;
    const failure = this.writeFailures.find((f) => f.times > 0 && f.when(record));
    if (failure) {
      failure.times--;
      throw failure.error();
    }
    this.store(record);
  }

  async writeRunSummary(summary: RunSummaryRecord): Promise<void> {
    this.calls.writeRunSummary++;
    if (this.summaryFailures > 0) {
      this.summaryFailures--;
      throw storeError('writeRunSummary');
    }
    this.summaryRows.push({ seq: ++this.seq, summary: structuredClone(summary) });
  }

  async list(subscriptionId: string, limit: number, filter: RecordFilter = {}): Promise<RecordList> {
    this.calls.list++;
    this.read();
    const wanted = subscriptionId.toLowerCase();
    return this.select(limit, (r) => r.subscriptionId === wanted && matchesFilter(r, filter));
  }

  async listRun(id: string, limit: number, filter: Pick<RecordFilter, 'since'> = {}): Promise<RecordList> {
    this.calls.listRun++;
    this.read();
    return this.select(limit, (r) => matchesFilter(r, { ...filter, run: id }));
  }

  async listSummaries(limit: number, filter: Pick<RecordFilter, 'since'> = {}): Promise<RunSummaryRecord[]> {
    this.calls.listSummaries++;
    this.read();
    return this.summaryRows
      .filter((s) => !filter.since || Date.parse(s.summary.finishedAt) >= filter.since.getTime())
      .sort((a, b) => b.summary.finishedAt.localeCompare(a.summary.finishedAt) || b.seq - a.seq)
      .slice(0, limit)
      .map((s) => structuredClone(s.summary));
  }

  async acquireLease(name: string, holder: string, ttlMs: number, now: Date): Promise<LeaseResult> {
    this.calls.acquireLease++;
    const held = this.leases.get(name);
    if (held && held.holder !== holder && Date.parse(held.expiresAt) > now.getTime()) return { acquired: false, held: { ...held } };
    const lease: LeaseState = { name, holder, expiresAt: new Date(now.getTime() + ttlMs).toISOString() };
    this.leases.set(name, lease);
    return { acquired: true, lease: { ...lease } };
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    this.calls.releaseLease++;
    if (this.leases.get(name)?.holder === holder) this.leases.delete(name);
  }

  async currentLease(name: string): Promise<LeaseState | undefined> {
    this.calls.currentLease++;
    const lease = this.leases.get(name);
    return lease ? { ...lease } : undefined;
  }

  async summary(id: string): Promise<RunSummaryRecord | undefined> {
    const found = this.summaryRows.find((s) => (s.summary.kind === 'sweep-summary' ? s.summary.sweepId : s.summary.watchId) === id);
    return found ? structuredClone(found.summary) : undefined;
  }

  async replaceIntent(record: RemediationRecord): Promise<boolean> {
    const key = `${record.subscriptionId.toLowerCase()}|${record.startedAt}|${record.runId}`;
    if (this.rows.find((r) => r.key === key)?.record.outcome !== 'intent') return false;
    this.store(record);
    return true;
  }

  async listIntents(limit: number, filter: { subscriptionId?: string; run?: string } = {}): Promise<RecordList> {
    this.read();
    const records = this.rows
      .filter((r) => r.record.outcome === 'intent' && (!filter.subscriptionId || r.record.subscriptionId === filter.subscriptionId.toLowerCase()) && (filter.run === undefined || inRun(r.record, filter.run)))
      .sort((a, b) => a.record.recordedAt.localeCompare(b.record.recordedAt) || a.seq - b.seq)
      .slice(0, limit)
      .map((r) => structuredClone(r.record));
    return { records, problems: [] };
  }

  async recentPassIds(since: Date, limit: number): Promise<string[]> {
    const ids = this.rows
      .filter((r) => Date.parse(r.record.recordedAt) >= since.getTime())
      .sort((a, b) => b.record.recordedAt.localeCompare(a.record.recordedAt) || b.seq - a.seq)
      .map((r) => passIdOf(r.record))
      .filter((id): id is string => id !== undefined);
    return [...new Set(ids)].slice(0, limit);
  }

  async *exportAll(): AsyncIterable<RemediationRecord | RunSummaryRecord> {
    for (const r of this.rows) yield structuredClone(r.record);
    for (const s of this.summaryRows) yield structuredClone(s.summary);
  }

  async prune(before: Date): Promise<{ records: number; summaries: number }> {
    const keep = (at: string): boolean => Date.parse(at) >= before.getTime();
    const records = this.rows.length;
    const summaries = this.summaryRows.length;
    // Intents are kept whatever their age: their outcome is still to be settled.
    this.rows = this.rows.filter((r) => r.record.outcome === 'intent' || keep(r.record.recordedAt));
    this.summaryRows = this.summaryRows.filter((s) => keep(s.summary.finishedAt));
    return { records: records - this.rows.length, summaries: summaries - this.summaryRows.length };
  }

  async writeLeaseBreak(record: LeaseBreakRecord): Promise<void> {
    this.leaseBreaks.unshift(structuredClone(record));
  }

  async listLeaseBreaks(limit: number): Promise<LeaseBreakRecord[]> {
    return this.leaseBreaks.slice(0, limit).map((r) => structuredClone(r));
  }

  private store(record: RemediationRecord): void {
    const key = `${record.subscriptionId.toLowerCase()}|${record.startedAt}|${record.runId}`;
    this.rows = this.rows.filter((r) => r.key !== key);
    this.rows.push({ key, seq: ++this.seq, record: structuredClone(record) });
    this.history.push(structuredClone(record));
  }

  private select(limit: number, keep: (r: RemediationRecord) => boolean): RecordList {
    const records = this.rows
      .filter((r) => keep(r.record))
      .sort((a, b) => b.record.recordedAt.localeCompare(a.record.recordedAt) || b.seq - a.seq)
      .slice(0, limit)
      .map((r) => structuredClone(r.record));
    return { records, problems: [] };
  }

  private read(): void {
    if (this.readFailures > 0) {
      this.readFailures--;
      throw storeError('read');
    }
  }
}

function storeError(what: string): Error {
  return Object.assign(new Error(`The fake record store refused the ${what} (injected).`), { code: 'FakeStoreFailure' });
}
