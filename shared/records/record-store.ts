import type { RemediationRecord, RunSummaryRecord } from './record';

/** Where records go: Table Storage in Azure, a JSON-lines file for a CLI without one. */
export interface RecordStore {
  /** Human-readable target for logs and the CLI ("Azure Table Storage table ... at ...", a file path). */
  readonly description: string;
  write(record: RemediationRecord): Promise<void>;
  /** One row per sweep or watch pass, beside the per-subscription records. */
  writeRunSummary(summary: RunSummaryRecord): Promise<void>;
  /** Newest first. */
  list(subscriptionId: string, limit: number): Promise<RemediationRecord[]>;
}
