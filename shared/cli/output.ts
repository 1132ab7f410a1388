import type { PassProblem } from '../engine/snapshot-pass';
import { changeText } from '../domain/plan';
import type { Actor } from '../domain/model';
import { scopeText } from '../domain/scope-text';
import { escapeControl } from '../observability/redact';
import type { PricingSummary, RemediationRecord, RunSummaryRecord } from '../records/record';
import { NO_PAINT, type Paint, type Tone } from './colour';

/**
 * What the CLI prints, in its three formats: a table for people (cells wrapped to the terminal
 * width, never cut; full reasons, warnings and errors under the table), CSV for spreadsheets, and
 * JSON (printed by the commands themselves). Everything that came from outside is escaped.
 */

export type OutputFormat = 'table' | 'json' | 'csv';

/** Width a table is fitted to when stdout is not a terminal. */
export const DEFAULT_WIDTH = 160;

/** "corp-ai-prod (00000000-…)" when the name is known, the id alone otherwise. */
export function subscriptionText(r: Pick<RemediationRecord, 'subscriptionId' | 'subscriptionName'>): string {
  return r.subscriptionName ? `${r.subscriptionName} (${r.subscriptionId})` : r.subscriptionId;
}

export function pricingText(p: PricingSummary | undefined): string {
  if (!p) return '?';
  const on = Object.entries(p.extensions)
    .filter(([, enabled]) => enabled)
    .map(([name]) => name.replace(/^AI/, ''));
  return `${p.tier}${p.inherited ? '*' : ''}${on.length && p.tier === 'Standard' ? ` [${on.join(',')}]` : ''}`;
}

/** The CHANGE cell: what the write does (or would do, or did not do), else the state it found. */
export function changeCell(r: RemediationRecord): string {
  if (r.change && r.outcome !== 'no-op') return changeText(r.change);
  if (r.outcome === 'failed' && !r.pricingBefore) return '-';
  return `${pricingText(r.pricingBefore)} (unchanged)`;
}

function actionCell(r: RemediationRecord): string {
  return r.action + (r.skipReason ? ` (${r.skipReason})` : '');
}

/** Sorted for people: by display name, then id. */
export function byName(a: Pick<RemediationRecord, 'subscriptionId' | 'subscriptionName'>, b: Pick<RemediationRecord, 'subscriptionId' | 'subscriptionName'>): number {
  return (a.subscriptionName ?? '\uffff').localeCompare(b.subscriptionName ?? '\uffff') || a.subscriptionId.localeCompare(b.subscriptionId);
}

/** The tone of a row: failed (error), a change written or planned (added), warnings, else none. */
export function rowTone(r: RemediationRecord): Tone | undefined {
  if (r.outcome === 'failed' || r.error) return 'error';
  if (r.outcome === 'partial' || r.outcome === 'plan-stale' || r.warnings.length) return 'warning';
  if (r.change && r.outcome !== 'no-op' && r.outcome !== 'intent') return r.change.switchOff.length ? 'kept' : 'added';
  return undefined;
}

/** What the default table shows of a pass: changes (written, planned or failed), failures and warnings. */
export function notable(r: RemediationRecord): boolean {
  return rowTone(r) !== undefined || r.outcome === 'partial';
}

/** The one line that stands for the rows a default table leaves out. */
export function restLine(hidden: readonly RemediationRecord[]): string {
  const by = new Map<string, number>();
  for (const r of hidden) by.set(r.skipReason ? `skip (${r.skipReason})` : r.action, (by.get(r.skipReason ? `skip (${r.skipReason})` : r.action) ?? 0) + 1);
  const parts = [...by].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ');
  return `${hidden.length} other subscription(s) with nothing to change (${parts}): --all shows every row.`;
}

/** The decisions of a run: one row each, then the reasons, warnings and errors in full. */
export function recordsTable(records: readonly RemediationRecord[], width = DEFAULT_WIDTH, paint: Paint = NO_PAINT): string {
  const rows = records.map((r) => [subscriptionText(r), actionCell(r), r.outcome, changeCell(r)]);
  return [table(['SUBSCRIPTION', 'ACTION', 'OUTCOME', 'CHANGE'], rows, width, toner(records, paint)), ...details(records, paint)].join('\n');
}

/**
 * Who started a manual run, as an id an auditor resolves in Entra ID: the object id (a person's or
 * an application's service principal). '-' for runs nobody started by hand (events, timers). The
 * app id of an application is in --json and --csv; a table cell keeps to one id so rows stay one line.
 */
export function actorText(actor: Actor | undefined): string {
  return actor ? actor.objectId : '-';
}

/** The audit trail: when, the run (the id revert takes), what triggered it and who, in which mode, then the decision; details below. */
export function historyTable(records: readonly RemediationRecord[], width = DEFAULT_WIDTH, paint: Paint = NO_PAINT): string {
  const rows = records.map((r) => [r.recordedAt.slice(0, 19).replace('T', ' '), subscriptionText(r), r.runId, r.trigger, actorText(r.actor), r.mode, actionCell(r), r.outcome, changeCell(r)]);
  return [table(['TIME (UTC)', 'SUBSCRIPTION', 'RUN', 'TRIGGER', 'ACTOR', 'MODE', 'ACTION', 'OUTCOME', 'CHANGE'], rows, width, toner(records, paint)), ...details(records, paint)].join('\n');
}

function toner(records: readonly RemediationRecord[], paint: Paint): ((row: number, line: string) => string) | undefined {
  if (!paint.on) return undefined;
  return (row, line) => {
    const record = records[row];
    const tone = record ? rowTone(record) : undefined;
    return tone ? paint(tone, line) : line;
  };
}

/**
 * Under the table: every record's reasons, warnings (DINE conflicts, advisory reads) and error,
 * uncut, each block headed by its row (subscription and time), so it is found again among thousands.
 */
export function details(records: readonly RemediationRecord[], paint: Paint = NO_PAINT): string[] {
  const lines: string[] = [];
  for (const r of records) {
    const said = [
      ...r.reasons.map((x) => `    ${escapeControl(x)}`),
      ...r.warnings.map((w) => paint('warning', `    warning: ${escapeControl(w)}`)),
      ...(r.error ? [paint('error', `    error: ${escapeControl(`${r.error.code}: ${r.error.message}`)}`)] : []),
      ...(r.failedExtensions?.length ? [paint('warning', `    tried again after ${r.retryAfter ?? '?'} (attempt ${r.partialAttempts ?? 1}): ${escapeControl(r.failedExtensions.join(', '))}`)] : []),
    ];
    if (said.length) lines.push('', `  ${escapeControl(subscriptionText(r))}, ${r.recordedAt.slice(0, 19).replace('T', ' ')} UTC:`, ...said);
  }
  return lines;
}

export function runSummaryText(summary: RunSummaryRecord, unrecorded: readonly PassProblem[] = []): string {
  const counts = (m: Record<string, number> | undefined): string =>
    Object.entries(m ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(' ') || 'none';
  const scope = scopeText(summary.scope);
  const head =
    summary.kind === 'sweep-summary'
      ? [`Sweep ${summary.sweepId} (${summary.mode}, ${scope}): ${summary.subscriptions} subscription(s)`, `  actions:  ${counts(summary.byAction)}`]
      : [`Watch pass ${summary.watchId} (${summary.mode}, ${scope}): ${summary.subscriptions} subscription(s), ${summary.candidates} needing a write`];
  if (summary.interrupted) head.push('  INTERRUPTED: stopped before every subscription was reached; the writes in flight were waited for and recorded.');
  return [
    ...head,
    `  outcomes: ${counts(summary.byOutcome)}`,
    ...(summary.byChange && Object.keys(summary.byChange).length ? [`  changes ${summary.mode === 'report' ? 'planned (nothing written)' : 'applied'}: ${counts(summary.byChange)}`] : []),
    ...(summary.capReached ? [`  cap reached for ${summary.capReached} subscription(s)`] : []),
    ...unrecorded.map((u) => `  NOT RECORDED ${u.subscriptionId === '*' ? '(snapshot)' : u.subscriptionId}: ${u.code} ${escapeControl(u.message)}`),
  ].join('\n');
}

/** Recent sweeps and watch passes. */
export function runsTable(summaries: readonly RunSummaryRecord[], width = DEFAULT_WIDTH): string {
  const rows = summaries.map((s) => [
    s.startedAt.slice(0, 19).replace('T', ' '),
    `${s.kind === 'sweep-summary' ? 'sweep' : 'watch'}${s.interrupted ? ' (interrupted)' : ''}`,
    s.kind === 'sweep-summary' ? s.sweepId : s.watchId,
    s.trigger,
    actorText(s.actor),
    s.mode,
    scopeText(s.scope),
    String(s.subscriptions),
    Object.entries(s.byOutcome)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ') || '-',
    String(s.failed),
  ]);
  return table(['STARTED (UTC)', 'KIND', 'ID', 'TRIGGER', 'ACTOR', 'MODE', 'SCOPE', 'SUBSCRIPTIONS', 'OUTCOMES', 'FAILED'], rows, width);
}

export const RECORD_CSV_COLUMNS = [
  'recordedAt',
  'subscriptionName',
  'subscriptionId',
  'runId',
  'trigger',
  'mode',
  'action',
  'skipReason',
  'outcome',
  'change',
  'before',
  'after',
  'aiResourceCount',
  'errorCode',
  'errorMessage',
  'reasons',
  'warnings',
  'actorObjectId',
  'actorAppId',
] as const;

export function recordCsv(r: RemediationRecord): string {
  return csvLine([
    r.recordedAt,
    r.subscriptionName ?? '',
    r.subscriptionId,
    r.runId,
    r.trigger,
    r.mode,
    r.action,
    r.skipReason ?? '',
    r.outcome,
    r.change ? changeText(r.change) : '',
    r.pricingBefore ? pricingText(r.pricingBefore) : '',
    r.pricingAfter ? pricingText(r.pricingAfter) : '',
    String(r.aiResourceCount),
    r.error?.code ?? '',
    r.error?.message ?? '',
    r.reasons.join(' '),
    r.warnings.join(' '),
    r.actor?.objectId ?? '',
    r.actor?.appId ?? '',
  ]);
}

export const RUN_CSV_COLUMNS = ['kind', 'id', 'trigger', 'mode', 'scope', 'startedAt', 'finishedAt', 'subscriptions', 'byOutcome', 'failed', 'capReached', 'interrupted', 'actorObjectId', 'actorAppId'] as const;

export function runCsv(s: RunSummaryRecord): string {
  return csvLine([
    s.kind === 'sweep-summary' ? 'sweep' : 'watch',
    s.kind === 'sweep-summary' ? s.sweepId : s.watchId,
    s.trigger,
    s.mode,
    scopeText(s.scope),
    s.startedAt,
    s.finishedAt,
    String(s.subscriptions),
    Object.entries(s.byOutcome)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
    String(s.failed),
    String(s.capReached),
    s.interrupted ? 'true' : 'false',
    s.actor?.objectId ?? '',
    s.actor?.appId ?? '',
  ]);
}

/** RFC 4180: quoted when needed, quotes doubled; control characters escaped (a cell never breaks a line). */
/**
 * One CSV line. Cells come partly from outside (subscription names, ARM error text): one that a
 * spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) gets a leading '.
 */
export function csvLine(values: readonly string[]): string {
  return values
    .map((raw) => {
      const text = escapeControl(raw);
      const v = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
      return /[",]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
    })
    .join(',');
}

/**
 * Columns padded to their widest cell and separated by two spaces. When the table is wider than
 * `width`, the widest columns are narrowed and their cells wrapped onto more lines, at spaces where
 * possible: nothing is ever cut off.
 */
export function table(header: string[], rows: string[][], width = DEFAULT_WIDTH, style?: (row: number, line: string) => string): string {
  const all = [header, ...rows].map((r) => header.map((_, i) => escapeControl(r[i] ?? '')));
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  // A column is not narrowed below its header, nor below its longest word up to 48 characters (a
  // subscription id in parentheses stays whole; a longer resource id may break).
  const minimum = header.map((h, i) => Math.max(h.length, 8, ...all.map((r) => Math.min(48, Math.max(0, ...(r[i] ?? '').split(' ').map((w) => w.length))))));
  const total = (): number => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  // The last column is free text (a change, a reason): it wraps first, down to 30 characters (or
  // its longest word); only then are the widest other columns narrowed.
  const last = widths.length - 1;
  if (total() > width && last > 0) widths[last] = Math.max(Math.min(widths[last] ?? 0, 30), minimum[last] ?? 0, (widths[last] ?? 0) - (total() - width));
  while (total() > width) {
    const widest = widths.reduce((best, w, i) => (w - (minimum[i] ?? 0) > (widths[best] ?? 0) - (minimum[best] ?? 0) ? i : best), 0);
    if ((widths[widest] ?? 0) <= (minimum[widest] ?? 0)) break;
    widths[widest] = Math.max(minimum[widest] ?? 0, (widths[widest] ?? 0) - Math.min(total() - width, 8));
  }
  const lines: string[] = [];
  all.forEach((row, index) => {
    const wrapped = row.map((cell, i) => wrap(cell, widths[i] ?? cell.length));
    const height = Math.max(...wrapped.map((w) => w.length));
    for (let line = 0; line < height; line++) {
      const text = wrapped
        .map((w, i) => (w[line] ?? '').padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd();
      // Styled after the layout (row 0 is the header): escape codes never count towards a width.
      lines.push(style && index > 0 ? style(index - 1, text) : text);
    }
  });
  return lines.join('\n');
}

/** Lines of at most `width` characters, broken at spaces where possible. */
export function wrap(text: string, width: number): string[] {
  if (text.length <= width) return [text];
  const out: string[] = [];
  let rest = text;
  while (rest.length > width) {
    const space = rest.lastIndexOf(' ', width);
    const at = space > 0 ? space : width;
    out.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  if (rest) out.push(rest);
  return out;
}
