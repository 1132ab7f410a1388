import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { GlobalFlags } from '../../shared/cli/context';
import { reportCommand } from '../../shared/cli/report.command';
import { inProcess, useLandingZoneProcess } from './in-process';
import { useTempDirs } from '../support/temp-dirs';
import type { CoverageReport } from '../../shared/engine/coverage';
import { buildLandingZone, type LandingZone } from '../../sim/landing-zone';
import type { SimulatedLandingZone } from '../../sim/simulated-landing-zone';

/**
 * `d4ai report` against the simulated landing zone: every finding the landing zone holds, token
 * volume from the metrics stand-in and a cost estimate from the operator's price, the CSV and
 * JSON shapes, and the HTML page rendered in headless Chromium (Debian's `chromium`; .ci/run
 * installs it). Through the same runCommand and command the d4ai binary runs.
 */
const lab = useLandingZoneProcess();
let lz: SimulatedLandingZone;
let zone: LandingZone;
const tempDir = useTempDirs();
const dir = tempDir('report');

beforeAll(() => {
  lz = lab.lz;
  zone = lz.zone;
  process.env.D4AI_RECORDS_TABLE = `Report${randomUUID().replace(/-/g, '').slice(0, 10)}`;
});

const report = (flags: GlobalFlags, options: Parameters<typeof reportCommand>[1] = {}, env: Record<string, string> = {}) => inProcess(flags, (ctx) => reportCommand(ctx, options), { env });

describe('d4ai report', () => {
  let json: CoverageReport;
  beforeAll(async () => {
    const run = await report({ json: true }, { tokens: true }, { D4AI_PRICE_PER_MILLION_TOKENS: '0.5' });
    expect(run.code).toBe(0);
    json = JSON.parse(run.stdout) as CoverageReport;
  });

  it('is read-only: no write, no record, no policy read per subscription; a pricing GET only for each write candidate of the snapshot', () => {
    expect(lz.arm.requestsMatching('PUT')).toHaveLength(0);
    expect(lz.arm.requests.filter((r) => r.method !== 'GET' && !r.path.includes('ResourceGraph'))).toEqual([]);
    expect(lz.arm.requestsMatching('GET', /policyExemptions$|policyAssignments$/)).toHaveLength(0);
    // The report says what the enforcing run will see: its candidates' plans are refreshed from ARM
    // (the 5 writers, managed-elsewhere and all-opted-out), as a dry run's are.
    expect(lz.arm.requestsMatching('GET', /pricings\/AI$/)).toHaveLength(7);
  });

  it('has one row per subscription, sorted by name, with its coverage and every finding of the landing zone', () => {
    expect(json.rows.map((r) => r.subscriptionName)).toEqual([...Object.keys(zone.ids)].sort());
    const row = (name: keyof LandingZone['ids']) => json.rows.find((r) => r.subscriptionId === zone.ids[name]);
    const types = (name: keyof LandingZone['ids']) => (row(name)?.findings ?? []).map((f) => f.type);
    expect(row('corp-ai-prod')).toMatchObject({ coverage: 'unprotected', tier: 'Free', aiResourcesByType: { openai: 1 } });
    expect(types('corp-ai-prod')).toContain('ai-without-plan');
    expect(row('corp-ai-dev')).toMatchObject({ coverage: 'partial', aiResourcesByType: { aiservices: 1, project: 1 } });
    expect(types('corp-ai-dev')).toContain('components-differ');
    expect(row('ai-compliant')).toMatchObject({ coverage: 'protected', findings: [] });
    expect(types('managed-elsewhere')).toContain('managed-elsewhere');
    expect(types('all-opted-out')).toContain('accounts-opted-out');
    expect(types('prompt-shields-off')).toContain('prompt-shields-off');
    expect(types('exemption-expiring')).toContain('exemption-expiring');
    expect(types('legacy-exempt')).not.toContain('exemption-expiring');
    expect(types('purview-already-on')).toEqual(expect.arrayContaining(['components-differ', 'dine-conflict']));
    expect(row('sandbox-excluded')).toMatchObject({ coverage: 'out-of-scope', decision: 'skip (excluded)' });
    expect(row('identity')).toMatchObject({ coverage: 'no-ai' });
    for (const type of ['ai-without-plan', 'components-differ', 'managed-elsewhere', 'accounts-opted-out', 'prompt-shields-off', 'exemption-expiring', 'dine-conflict'] as const) expect(json.totals.findings[type]).toBeGreaterThan(0);
  });

  it('--tokens sums the token metrics each account publishes over 30 days, and prices them only with the operator’s price', () => {
    const prod = json.rows.find((r) => r.subscriptionId === zone.ids['corp-ai-prod']);
    // ProcessedPromptTokens + GeneratedTokens (AzureOpenAIRequests is not a token metric).
    expect(prod).toMatchObject({ tokens30d: 50_000_000, estimatedMonthlyCost: 25 });
    expect(json.totals).toMatchObject({ tokens30d: 50_000_000, estimatedMonthlyCost: 25, pricePerMillionTokens: 0.5 });
    const metricsCalls = lz.arm.requestsMatching('GET', /\/providers\/Microsoft\.Insights\/metrics$/);
    expect(metricsCalls.length).toBeGreaterThan(0);
    expect(metricsCalls.find((r) => r.path.includes('oai-chat-prod'))?.query).toMatchObject({ metricnames: 'ProcessedPromptTokens,GeneratedTokens', aggregation: 'Total', interval: 'P1D' });
  });

  it('prints a table with a finding per line under it, and CSV with one line per subscription', async () => {
    const table = await report({});
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^SUBSCRIPTION\s+COVERAGE\s+AI\s+PLAN\s+FINDINGS$/);
    expect(table.stdout).toContain('prompt-shields-off: Deployment gpt-4o-support of ais-support: content filter relaxed-filter has Jailbreak (Prompt) off.');
    expect(table.stdout).toMatch(/Coverage of management group contoso: \d+ of \d+ AI resources protected \(\d+%\) in \d+ of 17 subscriptions/);
    const csv = await report({ output: 'csv' });
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toBe('subscriptionName,subscriptionId,coverage,decision,aiResources,aiResourcesByType,protectedAiResources,tier,components,findingTypes,findings,tokens30d,estimatedMonthlyCost');
    expect(lines).toHaveLength(1 + Object.keys(zone.ids).length);
  });

  it('a landing zone rebuilt between reports gives the same rows (the report keeps no state)', async () => {
    lz.arm.reset();
    buildLandingZone(lz.arm.state);
    const again = JSON.parse((await report({ json: true })).stdout) as CoverageReport;
    expect(again.rows.map((r) => [r.subscriptionId, r.coverage])).toEqual(json.rows.map((r) => [r.subscriptionId, r.coverage]));
  });
});

const run = promisify(execFile);
function chromium(): string | undefined {
  for (const candidate of [process.env.CHROMIUM_BIN, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((c): c is string => !!c)) if (fs.existsSync(candidate)) return candidate;
  return undefined;
}
const browser = chromium();
// CI installs Chromium (.ci/chromium.sh) and sets D4AISIM_REQUIRE_CHROMIUM, so there a missing browser fails the test.
const withBrowser = browser || process.env.D4AISIM_REQUIRE_CHROMIUM ? describe : describe.skip;
if (!browser && !process.env.D4AISIM_REQUIRE_CHROMIUM) process.stderr.write('report.cli.test: no Chromium on this machine; the HTML rendering test is skipped (CI installs it).\n');

withBrowser('d4ai report --html, rendered in headless Chromium', () => {
  const file = path.join(dir, 'coverage.html');
  const chrome = async (...args: string[]): Promise<string> => {
    if (!browser) throw new Error('Chromium is required here (D4AISIM_REQUIRE_CHROMIUM) but was not found; .ci/chromium.sh installs it.');
    const { stdout } = await run(browser, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', ...args], { timeout: 60_000, maxBuffer: 20 * 1024 * 1024 });
    return stdout;
  };

  beforeAll(async () => {
    const result = await report({}, { tokens: true, html: file }, { D4AI_PRICE_PER_MILLION_TOKENS: '0.5' });
    expect(result.code).toBe(0);
  }, 60_000);

  it('is one self-contained page: nothing is loaded from anywhere', () => {
    const html = fs.readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|url\(\s*['"]?https?:|<img[^>]+src="https?:/i);
    expect(html).toContain("default-src 'none'");
  });

  it('renders the three charts with their bars and one table row per subscription', async () => {
    const dom = await chrome('--dump-dom', `file://${file}`);
    expect(dom).toContain('data-ready="true"');
    for (const id of ['chart-coverage', 'chart-resources', 'chart-findings']) expect(dom).toContain(`id="${id}"`);
    const bar = (label: string) => new RegExp(`class="bar" data-label="${label}" data-value="(\\d+)"`).exec(dom)?.[1];
    expect(bar('unprotected')).toBe(String(Object.values(zone.ids).length > 0 ? (dom.match(/<span class="state unprotected"/g) ?? []).length : 0));
    expect(Number(bar('prompt-shields-off'))).toBe(1);
    expect(Number(bar('protected resources'))).toBeGreaterThan(0);
    expect(dom.match(/<tr data-subscription="/g)).toHaveLength(Object.keys(zone.ids).length);
  }, 60_000);

  it('sorts the table by a column (here on load, #sort=tokens:desc): the largest token volume first', async () => {
    const dom = await chrome('--dump-dom', `file://${file}#sort=tokens:desc`);
    expect(dom).toContain('data-sorted="tokens:desc"');
    const first = /<tr data-subscription="([^"]+)"/.exec(dom)?.[1];
    expect(first).toBe(zone.ids['corp-ai-prod']);
  }, 60_000);

  it('paints a full page: a screenshot of the width and height asked for, with real content', async () => {
    const png = path.join(dir, 'coverage.png');
    await chrome(`--screenshot=${png}`, '--window-size=1280,1600', `file://${file}`);
    const bytes = fs.readFileSync(png);
    expect(bytes.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([1280, 1600]);
    // A blank page compresses to a few kilobytes; charts, colours and a table do not.
    expect(bytes.length).toBeGreaterThan(40_000);
  }, 60_000);
});
