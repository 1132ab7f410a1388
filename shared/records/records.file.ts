import * as fs from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { scrub } from '../observability/redact';
import { RecordStoreUnavailable, matchesFilter, type RecordFilter, type RecordList, type RecordStore } from './record-store';
import type { LeaseResult, LeaseState, RemediationRecord, RunSummaryRecord } from './record';

/**
 * JSON lines on disk: the CLI's store when no Table Storage is configured. Lines are only ever
 * appended; a record written again (the outcome after its intent) is a later line with the same
 * subscription, start and run id, and the latest line wins. A line cut short (a crash, a full
 * disk) is skipped and named when reading, never fatal. The lease is a file beside it.
 */
/** A lease mutex older than this was left by a process that died holding it. */
const MUTEX_STALE_MS = 30_000;

export class FileRecordStore implements RecordStore {
  readonly description: string;
  readonly setting = 'the CLI default (D4AI_RECORDS_CONNECTION unset)';

  constructor(private readonly file: string) {
    this.description = `JSON lines file ${file}`;
  }

  async ensureWritable(): Promise<void> {
    try {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      // An empty line: opening for append is not enough on a full disk; writing a byte is.
      await fs.appendFile(this.file, '\n', 'utf8');
    } catch (error) {
      throw new RecordStoreUnavailable(this.description, this.setting, scrub(`${(error as NodeJS.ErrnoException).code ?? 'Error'}: ${(error as Error).message}`));
    }
  }

  async write(record: RemediationRecord): Promise<void> {
    await this.append(record);
  }

  async writeRunSummary(summary: RunSummaryRecord): Promise<void> {
    await this.append(summary);
  }

  async list(subscriptionId: string, limit: number, filter: RecordFilter = {}): Promise<RecordList> {
    const wanted = subscriptionId.toLowerCase();
    return this.select(limit, (r) => r.subscriptionId === wanted && matchesFilter(r, filter));
  }

  async listRun(id: string, limit: number, filter: Pick<RecordFilter, 'since'> = {}): Promise<RecordList> {
    return this.select(limit, (r) => matchesFilter(r, { ...filter, run: id }));
  }

  async listSummaries(limit: number, filter: { since?: Date } = {}): Promise<RunSummaryRecord[]> {
    const { summaries } = await this.readAll();
    return summaries
      .filter((s) => !filter.since || Date.parse(s.finishedAt) >= filter.since.getTime())
      .sort((a, b) => b.finishedAt.localeCompare(a.finishedAt))
      .slice(0, limit);
  }

  private async select(limit: number, keep: (r: RemediationRecord) => boolean): Promise<RecordList> {
    const { records, problems } = await this.readAll();
    return { records: records.filter(keep).sort((a, b) => b.recordedAt.localeCompare(a.recordedAt)).slice(0, limit), problems };
  }

  /** Every record (the latest line per subscription, start and run id) and summary in the file; unreadable lines named. */
  private async readAll(): Promise<{ records: RemediationRecord[]; summaries: RunSummaryRecord[]; problems: string[] }> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], summaries: [], problems: [] };
      throw error;
    }
    const problems: string[] = [];
    const latest = new Map<string, RemediationRecord>();
    const summaries: RunSummaryRecord[] = [];
    text.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        problems.push(`Skipped line ${i + 1} of ${this.file}: it is not a complete JSON record (cut short by a crash or a full disk?).`);
        return;
      }
      const record = parsed as Partial<RemediationRecord & RunSummaryRecord>;
      if (record.kind === 'sweep-summary' || record.kind === 'watch-summary') summaries.push(record as RunSummaryRecord);
      else if (typeof record.subscriptionId === 'string' && typeof record.runId === 'string') {
        if (typeof record.recordedAt !== 'string' || typeof record.outcome !== 'string' || !Array.isArray(record.reasons) || !Array.isArray(record.warnings)) {
          problems.push(`Skipped line ${i + 1} of ${this.file}: a record without recordedAt, outcome, reasons or warnings.`);
          return;
        }
        latest.set(`${record.subscriptionId}|${record.startedAt ?? ''}|${record.runId}`, record as RemediationRecord);
      }
    });
    return { records: [...latest.values()], summaries, problems };
  }

  async acquireLease(name: string, holder: string, ttlMs: number, now: Date): Promise<LeaseResult> {
    const file = this.leaseFile(name);
    const wanted: LeaseState = { name, holder, expiresAt: new Date(now.getTime() + ttlMs).toISOString() };
    await fs.mkdir(path.dirname(file), { recursive: true });
    return this.exclusively(name, async () => {
      const held = await this.readLease(name);
      if (held && held.holder !== holder && Date.parse(held.expiresAt) > now.getTime()) return { acquired: false, held };
      // Free, expired or ours: write it whole, then put it in place atomically.
      const temp = `${file}.${process.pid}.${randomUUID()}`;
      await fs.writeFile(temp, JSON.stringify(wanted));
      await fs.rename(temp, file);
      return { acquired: true, lease: wanted };
    });
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.exclusively(name, async () => {
      const held = await this.readLease(name);
      if (held?.holder === holder) await fs.rm(this.leaseFile(name), { force: true });
    });
  }

  /**
   * Read-decide-write on a lease under a mutex: a directory (mkdir is atomic and fails if it
   * exists), so two processes never both see the lease free. A mutex left by a crashed process is
   * taken over after MUTEX_STALE_MS.
   */
  private async exclusively<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const mutex = `${this.leaseFile(name)}.mutex`;
    for (let attempt = 0; ; attempt++) {
      try {
        await fs.mkdir(mutex);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const stat = await fs.stat(mutex).catch(() => undefined);
        if (stat && Date.now() - stat.mtimeMs > MUTEX_STALE_MS) {
          await fs.rm(mutex, { recursive: true, force: true });
          continue;
        }
        if (attempt >= 400) throw new Error(`The lease file ${this.leaseFile(name)} stayed busy for 10 s.`, { cause: error });
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    try {
      return await fn();
    } finally {
      await fs.rm(mutex, { recursive: true, force: true });
    }
  }

  currentLease(name: string): Promise<LeaseState | undefined> {
    return this.readLease(name);
  }

  private leaseFile(name: string): string {
    return `${this.file}.${name}.lease`;
  }

  private async readLease(name: string): Promise<LeaseState | undefined> {
    try {
      const parsed = JSON.parse(await fs.readFile(this.leaseFile(name), 'utf8')) as Partial<LeaseState>;
      return typeof parsed.holder === 'string' && typeof parsed.expiresAt === 'string' ? { name, holder: parsed.holder, expiresAt: parsed.expiresAt } : undefined;
    } catch {
      return undefined;
    }
  }

  private async append(line: object): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    // One appendFile per line: a line is never interleaved with another writer's line.
    await fs.appendFile(this.file, JSON.stringify(line) + '\n', 'utf8');
  }
}
