import * as fs from 'node:fs/promises';
import { coverageReport, type CoverageReport, type CoverageRow } from '../engine/coverage';
import { escapeControl } from '../observability/redact';
import { coverageHtml, headline } from '../report/coverage-html';
import { EXIT, UsageError, type CliContext } from './context';
import { pageProgress, parseScope, warnUnmatched } from './commands';
import { findingTypes } from '../domain/findings';
import { scopeText } from '../domain/scope-text';
import { csvLine, subscriptionText, table } from './output';

/**
 * `d4ai report [--tokens] [--html FILE] [--management-group MG | --subscription IDS]`: coverage
 * across the estate (shared/engine/coverage.ts). Read-only: no write, no record, no lease; only
 * the identity is checked first. Table, JSON (`--json`), CSV (`-o csv`), and a self-contained HTML
 * page with charts (`--html FILE`, written besides whatever stdout shows).
 */
export async function reportCommand(ctx: CliContext, options: { tokens?: boolean; html?: string; subscription?: string }): Promise<number> {
  const scope = parseScope(ctx, options.subscription);
  if (options.html !== undefined && !options.html.trim()) throw new UsageError('--html needs a file name, e.g. --html coverage.html.');
  await ctx.checkIdentity();
  ctx.progress(`Reporting on ${scopeText(scope)} from a Resource Graph snapshot${options.tokens ? ', with 30 days of token metrics' : ''} (read-only).`, { scope });
  const report = await coverageReport(ctx.ports, ctx.config, {
    scope,
    tokens: options.tokens === true,
    onProgress: pageProgress(ctx, 'looked at'),
  });
  if (options.html) {
    await fs.writeFile(options.html, coverageHtml(report, { ...(ctx.config.priceCurrency ? { currency: ctx.config.priceCurrency } : {}) }), 'utf8');
    ctx.progress(`Wrote ${options.html}: open it in a browser (it loads nothing from anywhere).`);
  }
  warnUnmatched(ctx, scope, new Set(report.rows.map((r) => r.subscriptionId.toLowerCase())));
  if (ctx.format === 'json') ctx.out(JSON.stringify(report, null, 2));
  else if (ctx.format === 'csv') ctx.out(reportCsv(report));
  else ctx.out(reportTable(report, ctx.width, ctx.config.priceCurrency));
  // --detailed-exitcode: 3 when the governor's plan would change some subscription (drift).
  return ctx.detailedExitCode && report.rows.some((r) => r.change !== undefined) ? EXIT.changes : EXIT.ok;
}

const REPORT_CSV_COLUMNS = ['subscriptionName', 'subscriptionId', 'coverage', 'decision', 'aiResources', 'aiResourcesByType', 'protectedAiResources', 'tier', 'components', 'findingTypes', 'findings', 'tokens30d', 'estimatedMonthlyCost'] as const;

export function reportCsv(report: CoverageReport): string {
  return [
    REPORT_CSV_COLUMNS.join(','),
    ...report.rows.map((r) =>
      csvLine([
        r.subscriptionName ?? '',
        r.subscriptionId,
        r.coverage,
        r.decision,
        String(r.aiResources),
        Object.entries(r.aiResourcesByType).map(([t, n]) => `${t}=${n}`).join(' '),
        String(r.protectedAiResources),
        r.tier,
        r.components.join(' '),
        findingTypes(r.findings).join(' '),
        r.findings.map((f) => f.message).join(' | '),
        r.tokens30d !== undefined ? String(r.tokens30d) : '',
        r.estimatedMonthlyCost !== undefined ? r.estimatedMonthlyCost.toFixed(2) : '',
      ]),
    ),
  ].join('\n');
}

export function reportTable(report: CoverageReport, width: number, currency?: string): string {
  const withTokens = report.rows.some((r) => r.tokens30d !== undefined);
  const withCost = report.rows.some((r) => r.estimatedMonthlyCost !== undefined);
  const rows = report.rows.map((r) => [
    subscriptionText(r),
    r.coverage,
    aiText(r),
    r.tier + (r.components.length ? ` [${r.components.map((c) => c.replace(/^AI/, '')).join(', ')}]` : ''),
    ...(withTokens ? [r.tokens30d !== undefined ? r.tokens30d.toLocaleString('en-US') : '-'] : []),
    ...(withCost ? [r.estimatedMonthlyCost !== undefined ? r.estimatedMonthlyCost.toFixed(2) : '-'] : []),
    findingTypes(r.findings).join(' ') || '-',
  ]);
  const header = ['SUBSCRIPTION', 'COVERAGE', 'AI', 'PLAN', ...(withTokens ? ['TOKENS (30D)'] : []), ...(withCost ? ['EST./MONTH'] : []), 'FINDINGS'];
  const details = report.rows.flatMap((r) =>
    r.findings.length || r.problems.length
      ? ['', `  ${escapeControl(r.subscriptionName ?? r.subscriptionId)}`, ...r.findings.map((f) => `    ${f.type}: ${escapeControl(f.message)}`), ...r.problems.map((p) => `    could not read: ${escapeControl(p)}`)]
      : [],
  );
  const t = report.totals;
  const counts = (m: Record<string, number>): string =>
    Object.entries(m)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k}=${n}`)
      .join(' ') || 'none';
  const summary = [
    '',
    `Coverage of ${scopeText(report.scope)}: ${headline(report)}`,
    `  subscriptions: ${counts(t.byCoverage)}`,
    `  findings:      ${counts(t.findings)}`,
    `  model scanning: ${t.modelScanProtected} Machine Learning workspace(s)/registry(ies) scanned (not counted: without Defender CSPM, or behind private link)`,
    ...(t.tokens30d !== undefined ? [`  tokens (30 days): ${t.tokens30d.toLocaleString('en-US')}${t.estimatedMonthlyCost !== undefined ? `; estimated plan cost ${t.estimatedMonthlyCost.toFixed(2)}${currency ? ` ${currency}` : ''} a month at ${t.pricePerMillionTokens}${currency ? ` ${currency}` : ''} per million tokens (${report.planScope.trial})` : ' (set D4AI_PRICE_PER_MILLION_TOKENS for a cost estimate)'}`] : []),
    `  the plan protects: ${report.planScope.protects}`,
    `  not protected:     ${report.planScope.doesNotProtect}`,
  ];
  return [table(header, rows, width), ...details, ...summary].join('\n');
}

function aiText(r: CoverageRow): string {
  if (r.aiResources === 0) return '0';
  return `${r.aiResources} (${Object.entries(r.aiResourcesByType).map(([t, n]) => `${t} ${n}`).join(', ')})`;
}
