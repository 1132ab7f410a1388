import type { PassProblem } from '../engine/snapshot-pass';
import { escapeControl } from '../observability/redact';
import type { RemediationRecord, RunSummaryRecord } from '../records/record';

/** Human-readable tables for the terminal; --json bypasses all of this. */

export function recordsTable(records: readonly RemediationRecord[]): string {
  const rows = records.map((r) => [
    r.subscriptionId,
    r.action + (r.skipReason ? ` (${r.skipReason})` : ''),
    r.outcome,
    pricingText(r.pricingBefore),
    pricingText(r.pricingAfter),
    String(r.aiResourceCount),
    r.error ? `${r.error.code}: ${r.error.message}` : (r.reasons[r.reasons.length - 1] ?? ''),
  ]);
  return table(['SUBSCRIPTION', 'ACTION', 'OUTCOME', 'BEFORE', 'AFTER', 'AI', 'WHY / ERROR'], rows);
}

export function runSummaryText(summary: RunSummaryRecord, unrecorded: readonly PassProblem[] = []): string {
  const counts = (m: Record<string, number>): string =>
    Object.entries(m)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ') || 'none';
  const head =
    summary.kind === 'sweep-summary'
      ? [`Sweep ${summary.sweepId} (${summary.mode}): ${summary.subscriptions} subscription(s)`, `  actions:  ${counts(summary.byAction)}`]
      : [`Watch pass ${summary.watchId} (${summary.mode}): ${summary.subscriptions} subscription(s), ${summary.candidates} needing a write`];
  return [
    ...head,
    `  outcomes: ${counts(summary.byOutcome)}`,
    ...(summary.capReached ? [`  cap reached for ${summary.capReached} subscription(s)`] : []),
    ...unrecorded.map((u) => `  NOT RECORDED ${u.subscriptionId === '*' ? '(snapshot)' : u.subscriptionId}: ${u.code} ${escapeControl(u.message)}`),
  ].join('\n');
}

function pricingText(p: RemediationRecord['pricingBefore']): string {
  if (!p) return '-';
  const on = Object.entries(p.extensions)
    .filter(([, enabled]) => enabled)
    .map(([name]) => name.replace(/^AI/, ''));
  return `${p.tier}${p.inherited ? '*' : ''}${on.length ? ` [${on.join(',')}]` : ''}`;
}

export function table(header: string[], rows: string[][]): string {
  const maxWidth = 60;
  // Cells can hold text that came from input (event ids, notes, service messages): escape controls.
  const cell = (raw: string): string => {
    const s = escapeControl(raw);
    return s.length > maxWidth ? `${s.slice(0, maxWidth - 1)}…` : s;
  };
  const all = [header, ...rows].map((r) => r.map(cell));
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}
