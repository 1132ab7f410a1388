import * as fs from 'node:fs';
import * as readline from 'node:readline';
import type { RemediationRecord, RunSummaryRecord } from './record';

/**
 * The portable form of the audit trail: one JSON object per line, records and run summaries
 * alike. It was the CLI's store before SQLite (`.d4ai/records.jsonl`, imported once by
 * records.sqlite.ts) and is what `d4ai records --export jsonl` writes. A line cut short (a crash,
 * a full disk) is skipped and named, never fatal; a record written again (its outcome after its
 * intent) is a later line with the same subscription, start and run id, and the later line wins.
 */
export type JsonLine = { kind: 'record'; record: RemediationRecord } | { kind: 'summary'; summary: RunSummaryRecord } | { kind: 'problem'; problem: string };

/** Reads `file` line by line (never whole): a large history imports in flat memory. */
export async function* readJsonLines(file: string): AsyncGenerator<JsonLine> {
  const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (!line.trim()) continue;
    yield parseLine(line, `line ${n} of ${file}`);
  }
}

export function parseLine(line: string, where: string): JsonLine {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return { kind: 'problem', problem: `Skipped ${where}: it is not a complete JSON record (cut short by a crash or a full disk?).` };
  }
  const value = parsed as Partial<RemediationRecord & RunSummaryRecord> | null;
  if (value && (value.kind === 'sweep-summary' || value.kind === 'watch-summary')) return { kind: 'summary', summary: value as RunSummaryRecord };
  if (value && typeof value.subscriptionId === 'string' && typeof value.runId === 'string' && typeof value.startedAt === 'string') {
    if (typeof value.recordedAt !== 'string' || typeof value.outcome !== 'string' || !Array.isArray(value.reasons) || !Array.isArray(value.warnings)) {
      return { kind: 'problem', problem: `Skipped ${where}: a record without recordedAt, outcome, reasons or warnings.` };
    }
    return { kind: 'record', record: value as RemediationRecord };
  }
  return { kind: 'problem', problem: `Skipped ${where}: neither a record nor a run summary.` };
}

/** One line of the export: the object as stored, nothing added. */
export function toJsonLine(value: RemediationRecord | RunSummaryRecord): string {
  return `${JSON.stringify(value)}\n`;
}
