import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { reportCommand } from '../../shared/cli/report.command';
import type { CoverageReport } from '../../shared/engine/coverage';
import { inProcess, useLandingZoneProcess } from './in-process';
import { useTempDirs } from '../support/temp-dirs';

/**
 * Issue 19, the HTML report a security lead forwards: the numbers people quote, rows by severity,
 * labels for people (codes in tooltips), the cost in the operator's currency, dates as dates, no
 * setting names, a repeated finding once with the rows it affects; and in headless Chromium, no
 * column cut at 800 or 1440 px, GUIDs whole, and a PDF.
 */
useLandingZoneProcess();
const tempDir = useTempDirs();
const dir = tempDir('page');
const file = path.join(dir, 'coverage.html');
let html = '';
let json: CoverageReport;

beforeAll(async () => {
  process.env.D4AI_RECORDS_TABLE = `Page${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const env = { D4AI_PRICE_PER_MILLION_TOKENS: '0.5', D4AI_PRICE_CURRENCY: 'EUR' };
  const run = await inProcess({ json: true }, (ctx) => reportCommand(ctx, { tokens: true, html: file }), { env });
  expect(run.code).toBe(0);
  json = JSON.parse(run.stdout) as CoverageReport;
  html = fs.readFileSync(file, 'utf8');
}, 60_000);

/** The text a reader sees: no tags, attributes, style or script. */
const visible = (page: string): string =>
  page
    .replace(/<(script|style|title)[\s\S]*?<\/\1>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/&[a-z#0-9]+;/g, ' ')
    .replace(/\s+/g, ' ');

it('the headline gives the numbers people quote', () => {
  const { totals } = json;
  const withProtected = json.rows.filter((r) => r.protectedAiResources > 0).length;
  const percent = Math.floor((100 * totals.protectedAiResources) / totals.aiResources);
  expect(/<div class="headline" id="headline">([^<]+)<\/div>/.exec(html)?.[1]).toBe(
    `${totals.protectedAiResources} of ${totals.aiResources} AI resources protected (${percent}%) in ${withProtected} of ${totals.subscriptions} subscriptions`,
  );
  expect(totals.subscriptions).toBe(17);
});

it('rows are sorted by severity, unprotected first; labels for people with the code as a tooltip', () => {
  const states = [...html.matchAll(/<span class="state ([a-z-]+)" title="\1">([^<]+)<\/span>/g)].map((m) => m[1]);
  expect(states).toHaveLength(17);
  const order = ['unprotected', 'unknown', 'partial', 'protected', 'no-ai', 'out-of-scope'];
  expect(states.map((s) => order.indexOf(s ?? ''))).toEqual([...states.map((s) => order.indexOf(s ?? ''))].sort((a, b) => a - b));
  expect(states[0]).toBe('unprotected');
  expect(html).toContain('<a href="#finding-');
  expect(html).toMatch(/title="ai-without-plan">AI without the plan<\/a>/);
  expect(visible(html)).not.toMatch(/\bai-without-plan\b|\bdine-conflict\b/);
});

it('the cost has the currency (D4AI_PRICE_CURRENCY), dates are dates, and no setting name is in the page text', () => {
  expect(visible(html)).toContain('€25.00');
  expect(visible(html)).toMatch(/generated \d{1,2} [A-Z][a-z]+ \d{4}, \d{2}:\d{2} UTC/);
  expect(visible(html)).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
  expect(visible(html)).not.toMatch(/D4AI_/);
});

it('without D4AI_PRICE_CURRENCY no currency is assumed; a bad code is a configuration error', async () => {
  const plain = path.join(dir, 'plain.html');
  await inProcess({ json: true }, (ctx) => reportCommand(ctx, { tokens: true, html: plain }), { env: { D4AI_PRICE_PER_MILLION_TOKENS: '0.5', D4AI_PRICE_CURRENCY: '' } });
  const page = visible(fs.readFileSync(plain, 'utf8'));
  expect(page).toContain("25.00 (in your price's currency)");
  expect(page).not.toMatch(/[$€£]|USD|EUR/);
  const bad = await inProcess({}, (ctx) => reportCommand(ctx, {}), { env: { D4AI_PRICE_CURRENCY: 'euros' } });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('D4AI_PRICE_CURRENCY="euros" must be an ISO 4217 currency code');
});

it('a finding repeated on several rows is listed once, with the rows it affects', () => {
  const dine = [...html.matchAll(/<li id="finding-\d+" data-type="dine-conflict" data-rows="(\d+)">/g)];
  const rowsWithDine = json.rows.filter((r) => r.findings.some((f) => f.type === 'dine-conflict')).length;
  expect(rowsWithDine).toBeGreaterThan(1);
  expect(dine).toHaveLength(1);
  expect(Number(dine[0]?.[1])).toBe(rowsWithDine);
  expect(html).toMatch(/Affects \d+ subscriptions: [^<]*purview-already-on/);
});

const run = promisify(execFile);
const browser = [process.env.CHROMIUM_BIN, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((c): c is string => !!c && fs.existsSync(c));
const withBrowser = browser || process.env.D4AISIM_REQUIRE_CHROMIUM ? describe : describe.skip;

withBrowser('rendered in headless Chromium', () => {
  const chrome = async (...args: string[]): Promise<string> => {
    if (!browser) throw new Error('Chromium is required here (D4AISIM_REQUIRE_CHROMIUM) but was not found; .ci/chromium.sh installs it.');
    const { stdout } = await run(browser, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', ...args], { timeout: 60_000, maxBuffer: 20 * 1024 * 1024 });
    return stdout;
  };

  it.each([800, 1440])('at %i px wide: nothing overflows, no column is cut, no GUID is broken', async (width) => {
    const dom = await chrome(`--window-size=${width},1000`, '--dump-dom', `file://${file}#measure`);
    const attr = (name: string): string | undefined => new RegExp(`<body[^>]* ${name}="([^"]*)"`).exec(dom)?.[1];
    expect(Number(attr('data-window-width'))).toBe(width);
    expect(Number(attr('data-page-width'))).toBeLessThanOrEqual(width);
    expect(Number(attr('data-table-right'))).toBeLessThanOrEqual(width);
    expect(attr('data-cut')).toBe('');
    expect(attr('data-broken-guids')).toBe('0');
  }, 60_000);

  it('prints to PDF', async () => {
    const pdf = path.join(dir, 'coverage.pdf');
    await chrome(`--print-to-pdf=${pdf}`, '--no-pdf-header-footer', `file://${file}`);
    const bytes = fs.readFileSync(pdf);
    expect(bytes.subarray(0, 5).toString('ascii')).toBe('%PDF-');
    expect(bytes.length).toBeGreaterThan(20_000);
  }, 60_000);
});
