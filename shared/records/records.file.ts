import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { RecordStore } from './record-store';
import type { RemediationRecord, RunSummaryRecord } from './record';

/** JSON lines on disk: the CLI's store when no Table Storage is configured. */
export class FileRecordStore implements RecordStore {
  readonly description: string;

  constructor(private readonly file: string) {
    this.description = `JSON lines file ${file}`;
  }

  async write(record: RemediationRecord): Promise<void> {
    await this.append(record);
  }

  async writeRunSummary(summary: RunSummaryRecord): Promise<void> {
    await this.append(summary);
  }

  async list(subscriptionId: string, limit: number): Promise<RemediationRecord[]> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const wanted = subscriptionId.toLowerCase();
    return text
      .split('\n')
      .filter((line) => line.trim().length > 0)
      .map((line) => JSON.parse(line) as RemediationRecord)
      .filter((r) => (r as Partial<RunSummaryRecord>).kind === undefined && r.subscriptionId === wanted)
      .sort((a, b) => b.recordedAt.localeCompare(a.recordedAt))
      .slice(0, limit);
  }

  private async append(line: object): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    // One appendFile per line: a line is never interleaved with another writer's line.
    await fs.appendFile(this.file, JSON.stringify(line) + '\n', 'utf8');
  }
}
