import type { LeaseResult, RemediationRecord, RunSummaryRecord } from './record';

/**
 * Where records go: Table Storage in Azure, a JSON-lines file for a CLI without one. A record is
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
  list(subscriptionId: string, limit: number): Promise<RecordList>;
  /** Takes the named lease for `holder` until now + ttlMs, unless someone else holds it unexpired (optimistic concurrency). */
  acquireLease(name: string, holder: string, ttlMs: number, now: Date): Promise<LeaseResult>;
  /** Gives the lease up, if `holder` still holds it. */
  releaseLease(name: string, holder: string): Promise<void>;
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
