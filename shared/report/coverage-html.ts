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

interface Bar {
  label: string;
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
        `<text x="0" y="${y + 16}" font-size="13">${escapeHtml(b.label)}</text>`,
        `<rect class="bar" data-label="${escapeHtml(b.label)}" data-value="${b.value}" x="${labelWidth}" y="${y}" width="${Math.max(w, b.value > 0 ? 2 : 0)}" height="${barHeight}" fill="${b.colour ?? '#0078d4'}"></rect>`,
        `<text x="${labelWidth + w + 6}" y="${y + 16}" font-size="13">${b.value}</text>`,
      ].join('');
    })
    .join('\n');
  return `<figure class="chart" id="${escapeHtml(id)}"><svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeHtml(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><text x="0" y="16" font-size="15" font-weight="600">${escapeHtml(title)}</text>\n${rows}</svg></figure>`;
}

const COLUMNS: Array<{ key: string; title: string; cell: (r: CoverageRow) => string; sort: (r: CoverageRow) => string | number }> = [
  { key: 'subscription', title: 'Subscription', cell: (r) => `${escapeHtml(r.subscriptionName ?? '')}<br><small>${escapeHtml(r.subscriptionId)}</small>`, sort: (r) => (r.subscriptionName ?? r.subscriptionId).toLowerCase() },
  { key: 'coverage', title: 'Coverage', cell: (r) => `<span class="state ${escapeHtml(r.coverage)}">${escapeHtml(r.coverage)}</span>`, sort: (r) => COVERAGE_STATES.indexOf(r.coverage) },
  { key: 'ai', title: 'AI resources', cell: (r) => `${r.aiResources}${r.aiResources ? ` <small>(${escapeHtml(Object.entries(r.aiResourcesByType).map(([t, n]) => `${t} ${n}`).join(', '))})</small>` : ''}`, sort: (r) => r.aiResources },
  { key: 'plan', title: 'Plan', cell: (r) => `${escapeHtml(r.tier)}${r.components.length ? `<br><small>${escapeHtml(r.components.join(', '))}</small>` : ''}`, sort: (r) => r.tier },
  { key: 'decision', title: 'Governor would', cell: (r) => escapeHtml(r.decision), sort: (r) => r.decision },
  { key: 'findings', title: 'Findings', cell: (r) => (r.findings.length ? `<ul>${r.findings.map((f) => `<li><b>${escapeHtml(f.type)}</b>: ${escapeHtml(f.message)}</li>`).join('')}</ul>` : ''), sort: (r) => r.findings.length },
  { key: 'tokens', title: 'Tokens (30 days)', cell: (r) => (r.tokens30d !== undefined ? r.tokens30d.toLocaleString('en-US') : ''), sort: (r) => r.tokens30d ?? -1 },
  { key: 'cost', title: 'Est. monthly cost', cell: (r) => (r.estimatedMonthlyCost !== undefined ? r.estimatedMonthlyCost.toFixed(2) : ''), sort: (r) => r.estimatedMonthlyCost ?? -1 },
];

export function coverageHtml(report: CoverageReport): string {
  const { totals } = report;
  const charts = [
    barChart('chart-coverage', 'Subscriptions by coverage', COVERAGE_STATES.map((c) => ({ label: c, value: totals.byCoverage[c], colour: COLOURS[c] ?? '#0078d4' }))),
    barChart('chart-resources', 'AI resources', [
      { label: 'protected resources', value: totals.protectedAiResources, colour: COLOURS['protected resources'] ?? '' },
      { label: 'unprotected resources', value: totals.aiResources - totals.protectedAiResources, colour: COLOURS['unprotected resources'] ?? '' },
    ]),
    barChart('chart-findings', 'Findings by type', FINDING_TYPES.map((f) => ({ label: f, value: totals.findings[f] }))),
  ].join('\n');
  const head = COLUMNS.map((c) => `<th data-key="${c.key}" tabindex="0">${escapeHtml(c.title)}</th>`).join('');
  const body = report.rows
    .map((r) => `<tr data-subscription="${escapeHtml(r.subscriptionId)}">${COLUMNS.map((c) => `<td data-key="${c.key}" data-sort="${escapeHtml(String(c.sort(r)))}">${c.cell(r)}</td>`).join('')}</tr>`)
    .join('\n');
  const cost = totals.estimatedMonthlyCost !== undefined ? ` Estimated cost of the plan: <b>${totals.estimatedMonthlyCost.toFixed(2)}</b> a month at ${totals.pricePerMillionTokens ?? '?'} per million tokens (D4AI_PRICE_PER_MILLION_TOKENS).` : '';
  const tokens = totals.tokens30d !== undefined ? ` Tokens in the last 30 days: <b>${totals.tokens30d.toLocaleString('en-US')}</b>.` : '';
  const scope = scopeText(report.scope);
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
.summary { margin: 8px 0 16px; }
.charts { display: flex; flex-wrap: wrap; gap: 24px; }
figure { margin: 0; }
table { border-collapse: collapse; margin-top: 20px; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid #edebe9; padding: 6px 8px; text-align: left; vertical-align: top; }
th { cursor: pointer; background: #f3f2f1; position: sticky; top: 0; }
th.sorted::after { content: " \\25BE"; }
th.sorted.asc::after { content: " \\25B4"; }
td ul { margin: 0; padding-left: 16px; }
.state { padding: 1px 6px; border-radius: 3px; color: #fff; white-space: nowrap; }
.state.protected { background: #107c10; } .state.partial { background: #ca5010; } .state.unprotected { background: #a4262c; }
.state.unknown { background: #8764b8; } .state.no-ai { background: #8a8886; } .state.out-of-scope { background: #605e5c; }
small { color: #605e5c; }
</style>
</head>
<body>
<h1>Defender for AI Services: coverage</h1>
<div class="summary">${escapeHtml(scope)}; generated ${escapeHtml(report.generatedAt)} (D4AI_MODE=${escapeHtml(report.mode)}).
<b>${totals.subscriptions}</b> subscription(s), <b>${totals.aiResources}</b> AI resource(s), <b>${totals.protectedAiResources}</b> protected.${tokens}${cost}
<br><small>Model scanning: ${totals.modelScanProtected} ML workspace(s)/registry(ies) scanned. The plan protects ${escapeHtml(report.planScope.protects)} Not protected: ${escapeHtml(report.planScope.doesNotProtect)} ${escapeHtml(report.planScope.trial)}</small></div>
<div class="charts">
${charts}
</div>
<table id="subscriptions">
<thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody>
</table>
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
  document.body.setAttribute('data-ready', 'true');
})();
</script>
</body>
</html>
`;
}
