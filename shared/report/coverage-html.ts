import { COVERAGE_STATES, type CoverageReport, type CoverageRow } from '../engine/coverage';
import { FINDING_TYPES } from '../domain/findings';
import { scopeText } from '../domain/scope-text';

/**
 * `d4ai report --html FILE`: one self-contained page (no external scripts, fonts, styles or
 * images: it opens from a file share or an e-mail attachment, offline, and loads nothing) with
 * charts of coverage (subscriptions by state, AI resources protected vs not, findings by type) as
 * inline SVG, and the table of subscriptions, sortable by clicking a column (or on load with
 * `#sort=<column>`, which is also how the headless-browser test checks the sorting).
 */

const COLOURS: Record<string, string> = {
  protected: '#107c10',
  partial: '#ca5010',
  unprotected: '#a4262c',
  unknown: '#8764b8',
  'no-ai': '#8a8886',
  'out-of-scope': '#605e5c',
  'protected resources': '#107c10',
  'unprotected resources': '#a4262c',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** What people read; the code stays in a tooltip (and in the JSON and CSV). */
const COVERAGE_LABELS: Record<string, string> = {
  protected: 'Protected',
  partial: 'Partly protected',
  unprotected: 'Unprotected',
  unknown: 'Unknown (could not be read)',
  'no-ai': 'No AI resources',
  'out-of-scope': 'Out of scope',
};

const FINDING_LABELS: Record<string, string> = {
  'ai-without-plan': 'AI without the plan',
  'components-differ': 'Components differ from the policy',
  'managed-elsewhere': 'Plan managed by another system',
  'accounts-opted-out': 'Accounts opted out',
  'prompt-shields-off': 'Prompt shields off',
  'exemption-expiring': 'Exemption expiring soon',
  'exemption-without-expiry': 'Exemption without an end date',
  'dine-conflict': 'Conflicting DeployIfNotExists policy',
};

/** Severity order for the table: the rows that need someone first. */
const SEVERITY: readonly string[] = ['unprotected', 'unknown', 'partial', 'protected', 'no-ai', 'out-of-scope'];

/** Setting names mean nothing to the reader of a forwarded page: each is said in words. */
const SETTING_WORDS: Record<string, string> = {
  D4AI_COMPONENTS: "the governor's component list",
  D4AI_ENABLE_WHEN: "the governor's enable rule",
  D4AI_EXCLUDED_SUBSCRIPTIONS: "the governor's exclusion list",
  D4AI_OPT_OUT_TAG: 'the opt-out tag',
  D4AI_MODE: "the governor's mode",
};

/** Text from the engine, for the page: setting names in words, ISO timestamps as dates. */
function pageText(text: string): string {
  return text
    .replace(/\bD4AI_[A-Z_]+\b/g, (name) => SETTING_WORDS[name] ?? "the governor's settings")
    .replace(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z\b/g, (iso) => dateText(iso));
}

/** "3 December 2026" (a date is what people compare; the time is in the tooltip of the generated line). */
export function dateText(iso: string, withTime = false): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const date = at.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
  return withTime ? `${date}, ${at.toISOString().slice(11, 16)} UTC` : date;
}

/** A GUID never breaks mid-string. */
function guid(id: string): string {
  return `<span class="guid">${escapeHtml(id)}</span>`;
}

/** An amount in the operator's currency (D4AI_PRICE_CURRENCY); without one, the number and what it is in. */
export function money(amount: number, currency: string | undefined): string {
  if (!currency) return `${amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} (in your price's currency)`;
  return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(amount);
}

export interface CoverageHtmlOptions {
  /** ISO 4217 code (D4AI_PRICE_CURRENCY) for the cost estimate; there is no default currency. */
  currency?: string;
}

/** The page's headline numbers: "9 of 16 AI resources protected (56%) in 6 of 17 subscriptions". */
export function headline(report: CoverageReport): string {
  const { totals } = report;
  const percent = totals.aiResources ? Math.floor((100 * totals.protectedAiResources) / totals.aiResources) : 100;
  const withProtected = report.rows.filter((r) => r.protectedAiResources > 0).length;
  return `${totals.protectedAiResources} of ${totals.aiResources} AI resources protected (${percent}%) in ${withProtected} of ${totals.subscriptions} subscriptions`;
}

/** Each distinct finding once, with the rows it affects (the same DINE conflict on three rows is one finding). */
interface SharedFinding {
  index: number;
  type: string;
  message: string;
  rows: CoverageRow[];
}

function sharedFindings(rows: readonly CoverageRow[]): { list: SharedFinding[]; of: (row: CoverageRow) => SharedFinding[] } {
  const byKey = new Map<string, SharedFinding>();
  const perRow = new Map<CoverageRow, SharedFinding[]>();
  for (const row of rows) {
    const mine: SharedFinding[] = [];
    for (const f of row.findings) {
      const key = `${f.type}\u0000${f.message}`;
      let shared = byKey.get(key);
      if (!shared) {
        shared = { index: byKey.size + 1, type: f.type, message: f.message, rows: [] };
        byKey.set(key, shared);
      }
      if (!shared.rows.includes(row)) shared.rows.push(row);
      if (!mine.includes(shared)) mine.push(shared);
    }
    perRow.set(row, mine);
  }
  return { list: [...byKey.values()], of: (row) => perRow.get(row) ?? [] };
}

interface Bar {
  label: string;
  /** What the reader sees (the label is the code, kept in data-label and a tooltip). */
  display?: string;
  value: number;
  colour?: string;
}

/** A horizontal bar chart as inline SVG; each bar carries data-label and data-value (for people's tools and for tests). */
function barChart(id: string, title: string, bars: readonly Bar[]): string {
  const width = 560;
  const labelWidth = 190;
  const barHeight = 22;
  const gap = 8;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const height = bars.length * (barHeight + gap) + 36;
  const rows = bars
    .map((b, i) => {
      const y = 30 + i * (barHeight + gap);
      const w = Math.round(((width - labelWidth - 60) * b.value) / max);
      return [
        `<text x="0" y="${y + 16}" font-size="13"><title>${escapeHtml(b.label)}</title>${escapeHtml(b.display ?? b.label)}</text>`,
        `<rect class="bar" data-label="${escapeHtml(b.label)}" data-value="${b.value}" x="${labelWidth}" y="${y}" width="${Math.max(w, b.value > 0 ? 2 : 0)}" height="${barHeight}" fill="${b.colour ?? '#0078d4'}"></rect>`,
        `<text x="${labelWidth + w + 6}" y="${y + 16}" font-size="13">${b.value}</text>`,
      ].join('');
    })
    .join('\n');
  return `<figure class="chart" id="${escapeHtml(id)}"><svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeHtml(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><text x="0" y="16" font-size="15" font-weight="600">${escapeHtml(title)}</text>\n${rows}</svg></figure>`;
}

type Column = { key: string; title: string; cell: (r: CoverageRow, findings: SharedFinding[]) => string; sort: (r: CoverageRow) => string | number };

function columns(currency: string | undefined): Column[] {
  return [
    { key: 'subscription', title: 'Subscription', cell: (r) => `${escapeHtml(r.subscriptionName ?? '')}<br><small>${guid(r.subscriptionId)}</small>`, sort: (r) => (r.subscriptionName ?? r.subscriptionId).toLowerCase() },
    { key: 'coverage', title: 'Coverage', cell: (r) => `<span class="state ${escapeHtml(r.coverage)}" title="${escapeHtml(r.coverage)}">${escapeHtml(COVERAGE_LABELS[r.coverage] ?? r.coverage)}</span>`, sort: (r) => SEVERITY.indexOf(r.coverage) },
    { key: 'ai', title: 'AI resources', cell: (r) => `${r.aiResources}${r.aiResources ? ` <small>(${r.protectedAiResources} protected; ${escapeHtml(Object.entries(r.aiResourcesByType).map(([t, n]) => `${t} ${n}`).join(', '))})</small>` : ''}`, sort: (r) => r.aiResources },
    { key: 'plan', title: 'Plan', cell: (r) => `${escapeHtml(r.tier)}${r.components.length ? `<br><small>${escapeHtml(r.components.join(', '))}</small>` : ''}`, sort: (r) => r.tier },
    { key: 'decision', title: 'Governor would', cell: (r) => escapeHtml(pageText(r.decision)), sort: (r) => r.decision },
    {
      key: 'findings',
      title: 'Findings',
      cell: (_r, findings) => (findings.length ? `<ul>${findings.map((f) => `<li><a href="#finding-${f.index}" title="${escapeHtml(f.type)}">${escapeHtml(FINDING_LABELS[f.type] ?? f.type)}</a>${f.rows.length > 1 ? ` <small>(${f.rows.length} subscriptions)</small>` : `: ${escapeHtml(pageText(f.message))}`}</li>`).join('')}</ul>` : ''),
      sort: (r) => r.findings.length,
    },
    { key: 'tokens', title: 'Tokens (30 days)', cell: (r) => (r.tokens30d !== undefined ? r.tokens30d.toLocaleString('en-US') : ''), sort: (r) => r.tokens30d ?? -1 },
    { key: 'cost', title: 'Est. monthly cost', cell: (r) => (r.estimatedMonthlyCost !== undefined ? escapeHtml(money(r.estimatedMonthlyCost, currency)) : ''), sort: (r) => r.estimatedMonthlyCost ?? -1 },
  ];
}

/** Rows by severity (unprotected first), then by name. */
function bySeverity(a: CoverageRow, b: CoverageRow): number {
  return SEVERITY.indexOf(a.coverage) - SEVERITY.indexOf(b.coverage) || (a.subscriptionName ?? a.subscriptionId).localeCompare(b.subscriptionName ?? b.subscriptionId);
}

export function coverageHtml(report: CoverageReport, options: CoverageHtmlOptions = {}): string {
  const { totals } = report;
  const rows = [...report.rows].sort(bySeverity);
  const findings = sharedFindings(rows);
  const cols = columns(options.currency).filter((c) => (c.key !== 'tokens' || totals.tokens30d !== undefined) && (c.key !== 'cost' || totals.estimatedMonthlyCost !== undefined));
  const charts = [
    barChart('chart-coverage', 'Subscriptions by coverage', COVERAGE_STATES.map((c) => ({ label: c, display: COVERAGE_LABELS[c] ?? c, value: totals.byCoverage[c], colour: COLOURS[c] ?? '#0078d4' }))),
    barChart('chart-resources', 'AI resources', [
      { label: 'protected resources', display: 'Protected', value: totals.protectedAiResources, colour: COLOURS['protected resources'] ?? '' },
      { label: 'unprotected resources', display: 'Not protected', value: totals.aiResources - totals.protectedAiResources, colour: COLOURS['unprotected resources'] ?? '' },
    ]),
    barChart('chart-findings', 'Findings by type', FINDING_TYPES.map((f) => ({ label: f, display: FINDING_LABELS[f] ?? f, value: totals.findings[f] }))),
  ].join('\n');
  const head = cols.map((c) => `<th data-key="${c.key}" tabindex="0">${escapeHtml(c.title)}</th>`).join('');
  const body = rows
    .map((r) => `<tr data-subscription="${escapeHtml(r.subscriptionId)}">${cols.map((c) => `<td data-key="${c.key}" data-sort="${escapeHtml(String(c.sort(r)))}">${c.cell(r, findings.of(r))}</td>`).join('')}</tr>`)
    .join('\n');
  const findingList = findings.list.length
    ? `<h2>Findings</h2>\n<ol class="findings">\n${findings.list
        .map(
          (f) =>
            `<li id="finding-${f.index}" data-type="${escapeHtml(f.type)}" data-rows="${f.rows.length}"><b title="${escapeHtml(f.type)}">${escapeHtml(FINDING_LABELS[f.type] ?? f.type)}</b>: ${escapeHtml(pageText(f.message))}<br><small>Affects ${f.rows.length} subscription${f.rows.length === 1 ? '' : 's'}: ${f.rows.map((r) => escapeHtml(r.subscriptionName ?? r.subscriptionId)).join(', ')}</small></li>`,
        )
        .join('\n')}\n</ol>`
    : '';
  const cost =
    totals.estimatedMonthlyCost !== undefined
      ? ` Estimated cost of the plan: <b>${escapeHtml(money(totals.estimatedMonthlyCost, options.currency))}</b> a month at ${escapeHtml(options.currency ? money(totals.pricePerMillionTokens ?? 0, options.currency) : String(totals.pricePerMillionTokens ?? '?'))} per million tokens.`
      : '';
  const tokens = totals.tokens30d !== undefined ? ` Tokens in the last 30 days: <b>${totals.tokens30d.toLocaleString('en-US')}</b>.` : '';
  const scope = scopeText(report.scope);
  const mode = report.mode === 'enforce' ? 'the governor enforces' : 'the governor only reports';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>Defender for AI coverage: ${escapeHtml(scope)}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #201f1e; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 24px 0 8px; }
.headline { font-size: 20px; font-weight: 600; margin: 8px 0 4px; }
.summary { margin: 4px 0 16px; }
.charts { display: flex; flex-wrap: wrap; gap: 24px; }
figure { margin: 0; max-width: 100%; }
figure svg { max-width: 100%; height: auto; }
.scroll { max-width: 100%; }
table { border-collapse: collapse; margin-top: 20px; width: 100%; font-size: 13px; table-layout: auto; }
th, td { border-bottom: 1px solid #edebe9; padding: 6px 8px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { cursor: pointer; background: #f3f2f1; position: sticky; top: 0; overflow-wrap: normal; }
th.sorted::after { content: " \\25BE"; }
th.sorted.asc::after { content: " \\25B4"; }
td ul { margin: 0; padding-left: 16px; }
.guid { white-space: nowrap; overflow-wrap: normal; font-variant-numeric: tabular-nums; }
.state { padding: 1px 6px; border-radius: 3px; color: #fff; display: inline-block; }
.state.protected { background: #107c10; } .state.partial { background: #ca5010; } .state.unprotected { background: #a4262c; }
.state.unknown { background: #8764b8; } .state.no-ai { background: #8a8886; } .state.out-of-scope { background: #605e5c; }
small { color: #605e5c; }
ol.findings li { margin-bottom: 6px; }
@media (max-width: 1000px) {
  body { margin: 12px; }
  table { font-size: 12px; }
  th, td { padding: 4px 5px; }
  td[data-key="subscription"] .guid { font-size: 10px; letter-spacing: -0.2px; }
}
@media print {
  body { margin: 0; }
  th { position: static; }
  tr, li, figure { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
</style>
</head>
<body>
<h1>Defender for AI Services: coverage</h1>
<div class="headline" id="headline">${escapeHtml(headline(report))}</div>
<div class="summary">${escapeHtml(scope)}; generated <time datetime="${escapeHtml(report.generatedAt)}" title="${escapeHtml(report.generatedAt)}">${escapeHtml(dateText(report.generatedAt, true))}</time> (${mode}).${tokens}${cost}</div>
<div class="summary"><small>Model scanning: ${totals.modelScanProtected} ML workspace(s)/registry(ies) scanned. The plan protects ${escapeHtml(report.planScope.protects)} Not protected: ${escapeHtml(report.planScope.doesNotProtect)} ${escapeHtml(report.planScope.trial)}</small></div>
<div class="charts">
${charts}
</div>
<table id="subscriptions">
<thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody>
</table>
${findingList}
<script>
(function () {
  var table = document.getElementById('subscriptions');
  var body = table.tBodies[0];
  function sortBy(key, ascending) {
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.querySelector('td[data-key="' + key + '"]').getAttribute('data-sort');
      var y = b.querySelector('td[data-key="' + key + '"]').getAttribute('data-sort');
      var nx = Number(x), ny = Number(y);
      var c = (!isNaN(nx) && !isNaN(ny) && x !== '' && y !== '') ? nx - ny : x.localeCompare(y);
      return ascending ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.classList.toggle('sorted', th.getAttribute('data-key') === key);
      th.classList.toggle('asc', th.getAttribute('data-key') === key && ascending);
    });
    table.setAttribute('data-sorted', key + (ascending ? ':asc' : ':desc'));
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    var go = function () { var key = th.getAttribute('data-key'); sortBy(key, table.getAttribute('data-sorted') === key + ':desc'); };
    th.addEventListener('click', go);
    th.addEventListener('keydown', function (e) { if (e.key === 'Enter') go(); });
  });
  var wanted = /[#&]sort=([a-z]+)(?::(asc|desc))?/.exec(location.hash);
  if (wanted) sortBy(wanted[1], wanted[2] === 'asc');
  // #measure: what a layout check reads back (headless tests): the page wider than the window, and any cell whose content is cut.
  if (/[#&]measure/.test(location.hash)) {
    var cut = [];
    Array.prototype.forEach.call(table.querySelectorAll('th, td'), function (cell) {
      if (cell.scrollWidth > cell.clientWidth + 1) cut.push(cell.getAttribute('data-key') || cell.textContent);
    });
    var broken = Array.prototype.filter.call(document.querySelectorAll('.guid'), function (g) { return g.getClientRects().length > 1; }).length;
    document.body.setAttribute('data-broken-guids', String(broken));
    var box = table.getBoundingClientRect();
    document.body.setAttribute('data-page-width', String(document.documentElement.scrollWidth));
    document.body.setAttribute('data-window-width', String(window.innerWidth));
    document.body.setAttribute('data-table-right', String(Math.ceil(box.right)));
    document.body.setAttribute('data-cut', cut.join(','));
  }
  document.body.setAttribute('data-ready', 'true');
})();
</script>
</body>
</html>
`;
}
