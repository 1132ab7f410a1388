import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { scrub } from '../observability/redact';
import { passIdOf, RecordStoreUnavailable, type RecordFilter, type RecordList, type RecordStore } from './record-store';
import type { LeaseBreakRecord, LeaseOwner, LeaseResult, LeaseState, RemediationRecord, RunSummaryRecord } from './record';
import { readJsonLines } from './records.jsonl';
import { sqliteModule } from './sqlite-module';

/**
 * The CLI's embedded store: one SQLite file (`.d4ai/d4ai.db`) with the records, the run summaries,
 * the leases and the lease breaks (node:sqlite, in Node.js since 22.13: no native package to build,
 * and the same engine every platform ships). The extension back-off is the latest record of a
 * subscription, which the (subscription, time) index answers in one step.
 *
 *  - WAL: readers never wait for a writer, and a commit is one append, not a rewrite.
 *  - busy_timeout: a second process on the same file (two terminals, a pipeline beside a person)
 *    waits for the other's write instead of failing.
 *  - A record is written with one upsert keyed by subscription, start and run id, so the outcome
 *    replaces its intent atomically; a lease is read and taken in one IMMEDIATE transaction, so two
 *    processes never both get it.
 *
 * The database opens on first use, so `d4ai config` or `--help` never creates it. A
 * `records.jsonl` beside it (the JSON-lines store of earlier versions) is imported once.
 */

/** How long a statement waits for another process's write before it fails (SQLITE_BUSY). */
export const BUSY_TIMEOUT_MS = 15_000;
/** Lines imported per transaction: another process waits at most one batch, never the whole import. */
const IMPORT_BATCH = 5_000;
const SCHEMA_VERSION = '1';

export class SqliteRecordStore implements RecordStore {
  readonly description: string;
  readonly setting = 'the CLI default (D4AI_RECORDS_CONNECTION unset)';
  private opening: Promise<DatabaseSync> | undefined;
  private db: DatabaseSync | undefined;

  /** `notice`: told once when an earlier records.jsonl is imported (the CLI prints it). */
  constructor(
    readonly file: string,
    private readonly notice: (message: string) => void = () => undefined,
  ) {
    this.description = `SQLite database ${file}`;
  }

  async ensureWritable(): Promise<void> {
    try {
      const db = await this.ready();
      // A real write: opening a file on a read-only or full disk succeeds; committing a row does not.
      prepared(db, "INSERT INTO meta (key, value) VALUES ('store-check', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(new Date().toISOString());
    } catch (error) {
      throw new RecordStoreUnavailable(this.description, this.setting, scrub(`${(error as NodeJS.ErrnoException).code ?? 'Error'}: ${(error as Error).message}`));
    }
  }

  async write(record: RemediationRecord): Promise<void> {
    upsertRecord(await this.ready(), record);
  }

  /** Many records in transactions of IMPORT_BATCH (an import, a seeded bench store): one commit per batch, not per record. */
  async writeMany(records: Iterable<RemediationRecord>): Promise<number> {
    const db = await this.ready();
    let n = 0;
    let batch: RemediationRecord[] = [];
    const flush = (): void => {
      transaction(db, () => batch.forEach((r) => upsertRecord(db, r)));
      n += batch.length;
      batch = [];
    };
    for (const record of records) {
      batch.push(record);
      if (batch.length >= IMPORT_BATCH) flush();
    }
    flush();
    return n;
  }

  async replaceIntent(record: RemediationRecord): Promise<boolean> {
    const result = prepared(
      await this.ready(),
      `UPDATE records SET pass_id = ?, recorded_at = ?, outcome = ?, body = ? WHERE subscription_id = ? AND started_at = ? AND run_id = ? AND outcome = 'intent'`,
    ).run(passIdOf(record) ?? null, record.recordedAt, record.outcome, JSON.stringify(record), record.subscriptionId.toLowerCase(), record.startedAt, record.runId);
    return Number(result.changes) === 1;
  }

  async writeRunSummary(summary: RunSummaryRecord): Promise<void> {
    const db = await this.ready();
    prepared(db, 
      `INSERT INTO summaries (id, kind, finished_at, body) VALUES (?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, finished_at = excluded.finished_at, body = excluded.body`,
    ).run(summaryId(summary), summary.kind, summary.finishedAt, JSON.stringify(summary));
  }

  async list(subscriptionId: string, limit: number, filter: RecordFilter = {}): Promise<RecordList> {
    const { where, args } = conditions({ subscriptionId, ...filter });
    return this.select(`SELECT body FROM records WHERE ${where} ORDER BY recorded_at DESC LIMIT ?`, [...args, limit]);
  }

  async listRun(id: string, limit: number, filter: Pick<RecordFilter, 'since'> = {}): Promise<RecordList> {
    const { where, args } = conditions({ run: id, ...filter });
    return this.select(`SELECT body FROM records WHERE ${where} ORDER BY recorded_at DESC LIMIT ?`, [...args, limit]);
  }

  async listIntents(limit: number, filter: { subscriptionId?: string; run?: string } = {}): Promise<RecordList> {
    const { where, args } = conditions(filter, ["outcome = 'intent'"]);
    return this.select(`SELECT body FROM records WHERE ${where} ORDER BY recorded_at LIMIT ?`, [...args, limit]);
  }

  async recentPassIds(since: Date, limit: number): Promise<string[]> {
    const rows = prepared(await this.ready(), 'SELECT pass_id, MAX(recorded_at) AS last FROM records WHERE recorded_at >= ? AND pass_id IS NOT NULL GROUP BY pass_id ORDER BY last DESC LIMIT ?').all(since.toISOString(), limit);
    return rows.map((row) => String(row.pass_id));
  }

  async listSummaries(limit: number, filter: Pick<RecordFilter, 'since'> = {}): Promise<RunSummaryRecord[]> {
    const db = await this.ready();
    const since = filter.since ? 'WHERE finished_at >= ?' : '';
    const rows = prepared(db, `SELECT body FROM summaries ${since} ORDER BY finished_at DESC LIMIT ?`).all(...(filter.since ? [filter.since.toISOString()] : []), limit);
    return rows.map((row) => JSON.parse(String(row.body)) as RunSummaryRecord);
  }

  async summary(id: string): Promise<RunSummaryRecord | undefined> {
    const row = prepared(await this.ready(), 'SELECT body FROM summaries WHERE id = ?').get(id);
    return row ? (JSON.parse(String(row.body)) as RunSummaryRecord) : undefined;
  }

  async *exportAll(): AsyncIterable<RemediationRecord | RunSummaryRecord> {
    const db = await this.ready();
    // iterate() steps through the rows one at a time: the export's memory does not grow with the store.
    for (const row of prepared(db, 'SELECT body FROM records ORDER BY recorded_at').iterate()) yield JSON.parse(String(row.body)) as RemediationRecord;
    for (const row of prepared(db, 'SELECT body FROM summaries ORDER BY finished_at').iterate()) yield JSON.parse(String(row.body)) as RunSummaryRecord;
  }

  async prune(before: Date): Promise<{ records: number; summaries: number }> {
    const db = await this.ready();
    const cutoff = before.toISOString();
    return transaction(db, () => ({
      // An intent is never pruned: its outcome is unknown until it is reconciled (engine/reconcile.ts).
      records: Number(prepared(db, "DELETE FROM records WHERE recorded_at < ? AND outcome <> 'intent'").run(cutoff).changes),
      summaries: Number(prepared(db, 'DELETE FROM summaries WHERE finished_at < ?').run(cutoff).changes),
    }));
  }

  async acquireLease(name: string, holder: string, ttlMs: number, now: Date, owner?: LeaseOwner): Promise<LeaseResult> {
    const db = await this.ready();
    const wanted: LeaseState = { name, holder, expiresAt: new Date(now.getTime() + ttlMs).toISOString(), ...(owner ? { owner } : {}) };
    return transaction(db, (): LeaseResult => {
      const held = readLease(db, name);
      if (held && held.holder !== holder && Date.parse(held.expiresAt) > now.getTime()) return { acquired: false, held };
      prepared(db, 
        `INSERT INTO leases (name, holder, expires_at, host, pid, since) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at, host = excluded.host, pid = excluded.pid, since = excluded.since`,
      ).run(name, holder, wanted.expiresAt, owner?.host ?? null, owner?.pid ?? null, owner?.since ?? null);
      return { acquired: true, lease: wanted };
    });
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    this.releaseLeaseNow(name, holder, await this.ready());
  }

  /**
   * Synchronous: a process that must exit at once (a second Ctrl-C) still gives its lease back.
   * Does nothing when the database was never opened (then no lease can have been taken).
   */
  releaseLeaseNow(name: string, holder: string, db: DatabaseSync | undefined = this.db): void {
    if (db) prepared(db, 'DELETE FROM leases WHERE name = ? AND holder = ?').run(name, holder);
  }

  async currentLease(name: string): Promise<LeaseState | undefined> {
    return readLease(await this.ready(), name);
  }

  async writeLeaseBreak(record: LeaseBreakRecord): Promise<void> {
    prepared(await this.ready(), 'INSERT INTO lease_breaks (broken_at, body) VALUES (?, ?)').run(record.brokenAt, JSON.stringify(record));
  }

  async listLeaseBreaks(limit: number): Promise<LeaseBreakRecord[]> {
    const rows = prepared(await this.ready(), 'SELECT body FROM lease_breaks ORDER BY broken_at DESC LIMIT ?').all(limit);
    return rows.map((row) => JSON.parse(String(row.body)) as LeaseBreakRecord);
  }

  /** Closes the file (tests and the bench; the CLI lets the process end, which SQLite's WAL survives). */
  close(): void {
    this.db?.close();
    this.db = undefined;
    this.opening = undefined;
  }

  private async select(sql: string, args: SQLInputValue[]): Promise<RecordList> {
    const rows = prepared(await this.ready(), sql).all(...args);
    const records: RemediationRecord[] = [];
    const problems: string[] = [];
    for (const row of rows) {
      try {
        records.push(JSON.parse(String(row.body)) as RemediationRecord);
      } catch {
        problems.push(`Skipped a record in ${this.file} that is not valid JSON.`);
      }
    }
    return { records, problems };
  }

  private ready(): Promise<DatabaseSync> {
    this.opening ??= this.open().catch((error: unknown) => {
      this.opening = undefined;
      throw error;
    });
    return this.opening;
  }

  private async open(): Promise<DatabaseSync> {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const { DatabaseSync } = sqliteModule();
    const db = new DatabaseSync(this.file, { timeout: BUSY_TIMEOUT_MS });
    try {
      db.exec('PRAGMA journal_mode = WAL');
      // NORMAL in WAL mode: a commit survives a crash of the process (what a Ctrl-C or SIGKILL is);
      // only a power loss can take the last commits, and the intent/outcome pair stays consistent.
      db.exec('PRAGMA synchronous = NORMAL');
      transaction(db, () => db.exec(SCHEMA));
      prepared(db, "INSERT INTO meta (key, value) VALUES ('schema', ?) ON CONFLICT(key) DO NOTHING").run(SCHEMA_VERSION);
      await this.importJsonLinesOnce(db);
    } catch (error) {
      db.close();
      throw error;
    }
    this.db = db;
    return db;
  }

  /**
   * `.d4ai/records.jsonl` from an earlier version, read line by line into the database once; the
   * file is left where it is (a copy of the history the user may still want), and a marker in the
   * database keeps it from being imported again. Two processes importing at once write the same
   * rows (upserts), so the result is the same.
   */
  private async importJsonLinesOnce(db: DatabaseSync): Promise<void> {
    const legacy = path.join(path.dirname(this.file), 'records.jsonl');
    if (!fs.existsSync(legacy) || prepared(db, "SELECT 1 FROM meta WHERE key = 'jsonl-imported'").get()) return;
    let records = 0;
    let summaries = 0;
    let skipped = 0;
    let batch: Array<() => void> = [];
    const flush = (): void => {
      transaction(db, () => batch.forEach((write) => write()));
      batch = [];
    };
    for await (const line of readJsonLines(legacy)) {
      if (line.kind === 'record') {
        records++;
        batch.push(() => upsertRecord(db, line.record));
      } else if (line.kind === 'summary') {
        summaries++;
        const s = line.summary;
        batch.push(() => prepared(db, 'INSERT INTO summaries (id, kind, finished_at, body) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body').run(summaryId(s), s.kind, s.finishedAt, JSON.stringify(s)));
      } else {
        skipped++;
      }
      if (batch.length >= IMPORT_BATCH) flush();
    }
    flush();
    prepared(db, "INSERT INTO meta (key, value) VALUES ('jsonl-imported', ?) ON CONFLICT(key) DO NOTHING").run(new Date().toISOString());
    this.notice(`Imported ${records} record line(s) and ${summaries} run summary(ies) from ${legacy} into ${this.file} (once; ${skipped} unreadable line(s) skipped; the file is left as it was).`);
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
  subscription_id TEXT NOT NULL,
  started_at TEXT NOT NULL,
  run_id TEXT NOT NULL,
  pass_id TEXT,
  recorded_at TEXT NOT NULL,
  outcome TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (subscription_id, started_at, run_id)
);
CREATE INDEX IF NOT EXISTS records_by_subscription ON records (subscription_id, recorded_at);
CREATE INDEX IF NOT EXISTS records_by_run ON records (run_id, recorded_at);
CREATE INDEX IF NOT EXISTS records_by_pass ON records (pass_id, recorded_at) WHERE pass_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_by_time ON records (recorded_at);
CREATE INDEX IF NOT EXISTS records_intents ON records (recorded_at) WHERE outcome = 'intent';
CREATE TABLE IF NOT EXISTS summaries (id TEXT PRIMARY KEY, kind TEXT NOT NULL, finished_at TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS summaries_by_time ON summaries (finished_at);
CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at TEXT NOT NULL, host TEXT, pid INTEGER, since TEXT);
CREATE TABLE IF NOT EXISTS lease_breaks (id INTEGER PRIMARY KEY AUTOINCREMENT, broken_at TEXT NOT NULL, body TEXT NOT NULL);
`;

function upsertRecord(db: DatabaseSync, record: RemediationRecord): void {
  prepared(db, 
    `INSERT INTO records (subscription_id, started_at, run_id, pass_id, recorded_at, outcome, body) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(subscription_id, started_at, run_id) DO UPDATE SET pass_id = excluded.pass_id, recorded_at = excluded.recorded_at, outcome = excluded.outcome, body = excluded.body`,
  ).run(record.subscriptionId.toLowerCase(), record.startedAt, record.runId, passIdOf(record) ?? null, record.recordedAt, record.outcome, JSON.stringify(record));
}

function summaryId(summary: RunSummaryRecord): string {
  return summary.kind === 'sweep-summary' ? summary.sweepId : summary.watchId;
}

function readLease(db: DatabaseSync, name: string): LeaseState | undefined {
  const row = prepared(db, 'SELECT holder, expires_at, host, pid, since FROM leases WHERE name = ?').get(name);
  if (!row) return undefined;
  const owner = typeof row.host === 'string' && typeof row.pid === 'number' && typeof row.since === 'string' ? { owner: { host: row.host, pid: row.pid, since: row.since } } : {};
  return { name, holder: String(row.holder), expiresAt: String(row.expires_at), ...owner };
}

const statements = new WeakMap<DatabaseSync, Map<string, StatementSync>>();

/** Each statement compiled once per connection: a sweep stores thousands of records with the same two. */
function prepared(db: DatabaseSync, sql: string): StatementSync {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map()));
  let statement = cache.get(sql);
  if (!statement) cache.set(sql, (statement = db.prepare(sql)));
  return statement;
}

/** BEGIN IMMEDIATE takes the write lock up front: a read-then-write cannot be overtaken by another process. */
function transaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

/**
 * The WHERE clause of a records query (after any `fixed` conditions) and its arguments: a
 * subscription, a run (a record's run id or the pass it belongs to) and a lower time bound, each
 * only when given. The columns are the indexed ones (see the schema above).
 */
function conditions(filter: { subscriptionId?: string; run?: string; since?: Date }, fixed: string[] = []): { where: string; args: SQLInputValue[] } {
  const where = [...fixed];
  const args: SQLInputValue[] = [];
  if (filter.subscriptionId !== undefined) {
    where.push('subscription_id = ?');
    args.push(filter.subscriptionId.toLowerCase());
  }
  if (filter.run !== undefined) {
    where.push('(run_id = ? OR pass_id = ?)');
    args.push(filter.run, filter.run);
  }
  if (filter.since) {
    where.push('recorded_at >= ?');
    args.push(filter.since.toISOString());
  }
  return { where: where.join(' AND '), args };
}
