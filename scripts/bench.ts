import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { table } from '../shared/cli/output';
import type { RemediationRecord } from '../shared/records/record';
import { SqliteRecordStore } from '../shared/records/records.sqlite';
import type { ArmStandIn } from '../sim/arm-stand-in';
import { startAzuriteTable, type AzuriteTable } from '../sim/azurite';
import { startStandIns, type StandIns } from '../sim/stand-ins';
import { ensureTestTls } from '../sim/tls';

/**
 * `npm run bench`: what a tenant-scale run costs, against the ARM and Resource Graph stand-in with
 * a fixed latency on every request, and Azurite for the records. For N subscriptions (10% with an
 * Azure OpenAI account on Free, 5% with one on Standard missing a component, the rest without AI):
 *
 *  - the real `d4ai` CLI as its own process: `sweep --dry-run`, `sweep`, a `watch --once` pass with
 *    nothing to do, and one that finds a single new AI account: wall time, Resource Graph requests,
 *    ARM requests by route, peak RSS of the d4ai process;
 *  - the Functions nightly sweep (sweepTenant) through the durable replay host (sim/durable-host.ts)
 *    with the real orchestrations, activities and entity: history events, replayed events,
 *    activities and entity operations, in total and per subscription.
 *
 * The same enforcing sweep is also run on the CLI's default store (SQLite, `.d4ai/d4ai.db`) right
 * after its run on Azurite, and the ratio printed (budget: 1.2x). Then the default store with
 * BENCH_RECORDS records (default 1,000,000): `d4ai records --subscription <id> --limit 20` as its
 * own process (budget: 200 ms), and its peak RSS against the same query on a tenth of the records
 * (flat in the record count).
 *
 * Numbers, not assertions (the tests assert the request counts): compare runs on the same machine.
 * Settings: BENCH_SIZES (default 1000,10000), BENCH_LATENCY_MS (default 50), BENCH_DURABLE (0 skips it),
 * BENCH_RECORDS (default 1000000; 0 skips the records scenario).
 * BENCH_LARGE (e.g. 50000: a `sweep --dry-run` only at each of these sizes, over Resource Graph's
 * 10,000-subscription cap, next to the issue-17 budget of 4·⌈N/1000⌉ + 2·⌈N/10,000⌉ + 10 Resource
 * Graph requests; the enumeration shows as `GET /subscriptions` in ARM BY ROUTE).
 * NODE_EXTRA_CA_CERTS is set by re-executing this script once, because Node reads it only at start-up.
 */
const SIZES = (process.env.BENCH_SIZES ?? '1000,10000').split(',').filter(Boolean).map(Number);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 50);
const DURABLE = process.env.BENCH_DURABLE !== '0';
const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const LARGE = (process.env.BENCH_LARGE ?? '').split(',').filter(Boolean).map(Number);

/** Issue 17's Resource Graph budget for a dry-run sweep of N subscriptions (enumeration requests are extra). */
function graphBudget(n: number): number {
  return 4 * Math.ceil(n / 1000) + 2 * Math.ceil(n / 10_000) + 10;
}
const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'bin', 'd4ai.js');
const RSS_PRELOAD = path.join(__dirname, 'bench-rss-preload.js');
const QUERY = path.join(__dirname, 'bench-records-query.js');
const MG = 'bench-landing-zones';

interface Seeded {
  ids: string[];
  free: number;
  partial: number;
}

/** N subscriptions under one management group: 10% AI on Free, 5% AI missing a component, 85% without AI. */
function seed(arm: ArmStandIn, n: number): Seeded {
  arm.reset();
  arm.state.addManagementGroup(MG);
  const ids: string[] = [];
  let free = 0;
  let partial = 0;
  for (let i = 0; i < n; i++) {
    const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    arm.state.addSubscription({ subscriptionId: id, displayName: `bench-${String(i).padStart(5, '0')}`, managementGroupId: MG });
    if (i % 20 < 2) {
      arm.state.addResource(id, { name: `oai-${i}`, type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI' });
      free++;
    } else if (i % 20 === 2) {
      arm.state.addResource(id, { name: `oai-${i}`, type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI' });
      arm.state.setPricing(id, 'AI', { pricingTier: 'Standard', extensions: [{ name: 'AIPromptEvidence', isEnabled: 'True' }, { name: 'AIPromptSharingWithPurview', isEnabled: 'False' }, { name: 'AIModelScanner', isEnabled: 'False' }] });
      partial++;
    }
    ids.push(id);
  }
  arm.faults.latency(LATENCY_MS);
  return { ids, free, partial };
}

/** `GET pricings/AI` (for /subscriptions/{id}/providers/Microsoft.Security/pricings/AI), `GET accounts/deployments` and the like. */
function route(method: string, p: string): string {
  const account = /\/providers\/Microsoft\.CognitiveServices\/accounts\/[^/]+\/(.+)$/i.exec(p);
  if (account) return `${method} accounts/${account[1] ?? ''}`;
  return `${method} ${p.replace(/^\/subscriptions\/[0-9a-f-]{36}(\/providers\/[^/]+\/)?/i, '') || 'subscription'}`;
}

function requestCounts(arm: ArmStandIn, from: number): { graph: number; arm: number; byRoute: string } {
  const requests = arm.requests.slice(from);
  const graph = requests.filter((r) => r.path.includes('Microsoft.ResourceGraph')).length;
  const byRoute = new Map<string, number>();
  for (const r of requests) if (!r.path.includes('Microsoft.ResourceGraph')) byRoute.set(route(r.method, r.path), (byRoute.get(route(r.method, r.path)) ?? 0) + 1);
  return {
    graph,
    arm: requests.length - graph,
    byRoute: [...byRoute].map(([k, v]) => `${k} ${v}`).join(', ') || '-',
  };
}

interface CliRun {
  seconds: number;
  rssMiB: number;
  code: number;
  outcomes: string;
}

/** Where a CLI run keeps its records: an Azurite table, or the default store (SQLite in `cwd`/.d4ai/d4ai.db). */
type BenchStore = { kind: 'table'; azurite: AzuriteTable; table: string } | { kind: 'sqlite'; cwd: string };

function runCli(standIns: StandIns, store: BenchStore, caPath: string, args: string[]): Promise<CliRun> {
  const rssFile = path.join(os.tmpdir(), `d4ai-bench-rss-${process.pid}-${Date.now()}`);
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ...standIns.identity.env(),
    NODE_EXTRA_CA_CERTS: caPath,
    BENCH_RSS_FILE: rssFile,
    D4AI_ARM_ENDPOINT: standIns.arm.endpoint,
    ...(store.kind === 'table' ? { D4AI_RECORDS_CONNECTION: store.azurite.connectionString, D4AI_RECORDS_TABLE: store.table } : {}),
    D4AI_MANAGEMENT_GROUP: MG,
    // The bench measures every write a tenant needs; the default cap (500) would stop most of them.
    D4AI_MAX_ENABLEMENTS_PER_RUN: '100000',
  };
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', RSS_PRELOAD, CLI, ...args, '--json'], { env, stdio: ['ignore', 'pipe', 'ignore'], ...(store.kind === 'sqlite' ? { cwd: store.cwd } : {}) });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      const rssKb = Number(fs.existsSync(rssFile) ? fs.readFileSync(rssFile, 'utf8') : 0);
      fs.rmSync(rssFile, { force: true });
      let outcomes: string;
      try {
        const doc = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { summary: { byOutcome: Record<string, number> } };
        outcomes = Object.entries(doc.summary.byOutcome).map(([k, v]) => `${k}=${v}`).join(' ') || 'none';
      } catch {
        outcomes = 'unreadable output';
      }
      resolve({ seconds, rssMiB: rssKb / 1024, code: code ?? 1, outcomes });
    });
  });
}

async function cliScenarios(standIns: StandIns, azurite: AzuriteTable, caPath: string, n: number, dryRunOnly = false): Promise<{ rows: string[][]; ratio: string }> {
  const { arm } = standIns;
  const rows: string[][] = [];
  const scenario = async (label: string, args: string[], store: BenchStore): Promise<CliRun> => {
    const from = arm.requests.length;
    const run = await runCli(standIns, store, caPath, args);
    const counts = requestCounts(arm, from);
    rows.push([label, String(n), `${run.seconds.toFixed(1)} s`, `${counts.graph} (budget ${graphBudget(n)})`, String(counts.arm), counts.byRoute, `${run.rssMiB.toFixed(0)} MiB`, `${run.outcomes} (exit ${run.code})`]);
    return run;
  };
  if (dryRunOnly) {
    // Over Resource Graph's 10,000-subscription cap (BENCH_LARGE): the dry run only, on Azurite.
    seed(arm, n);
    await scenario('sweep --dry-run', ['sweep', '--dry-run'], { kind: 'table', azurite, table: `Bench${n}x${Date.now()}` });
    return { rows, ratio: `N=${n}: dry run only (over the cap)` };
  }
  // The default store first, then Azurite, each on a freshly seeded tenant after its own dry run
  // (so each sweep reads a store holding one record per subscription, as a second day would).
  seed(arm, n);
  const local: BenchStore = { kind: 'sqlite', cwd: fs.mkdtempSync(path.join(os.tmpdir(), 'd4ai-bench-')) };
  await scenario('sweep --dry-run, default store (SQLite)', ['sweep', '--dry-run'], local);
  const onSqlite = await scenario('sweep, default store (SQLite)', ['sweep', '--yes'], local);
  fs.rmSync(local.cwd, { recursive: true, force: true });
  const seeded = seed(arm, n);
  const tableStore: BenchStore = { kind: 'table', azurite, table: `Bench${n}x${Date.now()}` };
  await scenario('sweep --dry-run', ['sweep', '--dry-run'], tableStore);
  const onTable = await scenario('sweep', ['sweep', '--yes'], tableStore);
  const ratio = `N=${n}: enforcing sweep on the default store (SQLite) ${onSqlite.seconds.toFixed(1)} s, on Azurite Table Storage ${onTable.seconds.toFixed(1)} s: ${(onSqlite.seconds / onTable.seconds).toFixed(2)}x (budget 1.20x)`;
  await scenario('watch --once, nothing to do', ['watch', '--once', '--yes'], tableStore);
  // A new Azure OpenAI account in a subscription that had none, with no event wiring anywhere.
  const quiet = seeded.ids.find((_, i) => i % 20 > 2) as string;
  arm.state.addResource(quiet, { name: 'oai-new', type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI' });
  await scenario('watch --once, one new AI account', ['watch', '--once', '--yes'], tableStore);
  process.stderr.write(`bench: N=${n}: ${seeded.free} on Free, ${seeded.partial} missing a component\n`);
  return { rows, ratio };
}

/** A no-op sweep record, as the default store holds them by the million after a year of nightly sweeps. */
function benchRecord(i: number, subscriptions: number): RemediationRecord {
  const sub = `00000000-0000-4000-8000-${String(i % subscriptions).padStart(12, '0')}`;
  const at = new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString();
  return {
    subscriptionId: sub,
    subscriptionName: `bench-${i % subscriptions}`,
    runId: `run-${i}`,
    startedAt: at,
    recordedAt: at,
    trigger: 'cli',
    triggerDetail: { sweepId: `sweep-${Math.floor(i / subscriptions)}` },
    mode: 'enforce',
    action: 'none',
    outcome: 'no-op',
    pricingBefore: { tier: 'Free', extensions: {} },
    pricingAfter: { tier: 'Free', extensions: {} },
    aiResourceCount: 0,
    aiResourceIds: [],
    reasons: ['No AI resources found; D4AI_ENABLE_WHEN=ai-resources: nothing to do.'],
    warnings: [],
    durationMs: 3,
    version: '0.1.0',
  };
}

function* benchRecords(from: number, to: number, subscriptions: number): Generator<RemediationRecord> {
  for (let i = from; i < to; i++) yield benchRecord(i, subscriptions);
}

/**
 * The default store with `total` records (100 per subscription): `d4ai records --subscription
 * <id> --limit 20` as its own process, its wall time and peak RSS, at a tenth of the records and
 * at all of them. The first query after the store grew is not counted (the page cache warms up).
 */
async function recordsScenario(standIns: StandIns, caPath: string, total: number): Promise<string[][]> {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'd4ai-bench-records-'));
  const subscriptions = Math.max(1, Math.floor(total / 100));
  const store = new SqliteRecordStore(path.join(cwd, '.d4ai', 'd4ai.db'));
  const rows: string[][] = [];
  const sub = `00000000-0000-4000-8000-${String(Math.floor(subscriptions / 2)).padStart(12, '0')}`;
  let stored = 0;
  for (const size of [Math.floor(total / 10), total]) {
    const started = performance.now();
    stored += await store.writeMany(benchRecords(stored, size, subscriptions));
    const filled = (performance.now() - started) / 1000;
    const local: BenchStore = { kind: 'sqlite', cwd };
    await runCli(standIns, local, caPath, ['records', '--subscription', sub, '--limit', '20']);
    const runs: CliRun[] = [];
    for (let i = 0; i < 5; i++) runs.push(await runCli(standIns, local, caPath, ['records', '--subscription', sub, '--limit', '20']));
    const walls = runs.map((r) => r.seconds * 1000).sort((a, b) => a - b);
    const cold = [0, 1, 2].map(() => JSON.parse(execFileSync(process.execPath, [QUERY, path.join(cwd, '.d4ai', 'd4ai.db'), sub], { encoding: 'utf8' })) as { ms: number; records: number });
    const queryMs = Math.min(...cold.map((c) => c.ms));
    const baseline = await runCli(standIns, local, caPath, ['--version']);
    const bytes = fs.statSync(path.join(cwd, '.d4ai', 'd4ai.db')).size;
    rows.push([
      String(stored),
      `${filled.toFixed(1)} s`,
      `${(bytes / 2 ** 20).toFixed(0)} MiB`,
      `${walls[2]?.toFixed(0)} ms (min ${walls[0]?.toFixed(0)}, max ${walls[4]?.toFixed(0)})`,
      `${(baseline.seconds * 1000).toFixed(0)} ms`,
      `${queryMs.toFixed(1)} ms, ${cold[0]?.records ?? 0} records`,
      `${Math.max(...runs.map((r) => r.rssMiB)).toFixed(0)} MiB`,
    ]);
  }
  store.close();
  fs.rmSync(cwd, { recursive: true, force: true });
  return rows;
}

async function durableScenario(standIns: StandIns, azurite: AzuriteTable, n: number): Promise<string[]> {
  const { arm } = standIns;
  seed(arm, n);
  // The Functions app, configured through its settings, driven by the durable replay host.
  Object.assign(process.env, {
    ...standIns.identity.env(),
    D4AI_ARM_ENDPOINT: arm.endpoint,
    D4AI_RECORDS_CONNECTION: azurite.connectionString,
    D4AI_RECORDS_TABLE: `BenchDurable${n}x${Date.now()}`,
    D4AI_MANAGEMENT_GROUP: MG,
    D4AI_MAX_ENABLEMENTS_PER_RUN: '100000',
  });
  // Loaded now, with the settings in place, as the Functions worker loads the app (the registry first).
  /* eslint-disable @typescript-eslint/no-require-imports */
  const registry = require('../sim/functions-registry') as typeof import('../sim/functions-registry');
  require('../functions');
  const { DurableTestHost } = require('../sim/durable-host') as typeof import('../sim/durable-host');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const host = new DurableTestHost({
    orchestrators: registry.durableHandlers('orchestrationTrigger'),
    activities: registry.durableHandlers('activityTrigger'),
    entities: registry.durableHandlers('entityTrigger'),
    startTime: new Date(),
  });
  const from = arm.requests.length;
  const started = performance.now();
  const sweepId = `sweep-bench-${n}`;
  host.start('sweepTenant', sweepId, { trigger: 'sweep', dryRun: false });
  const instance = await host.waitFor(sweepId, 30 * 60_000);
  await host.idle(30 * 60_000);
  const seconds = (performance.now() - started) / 1000;
  const counts = requestCounts(arm, from);
  const activities = host.executed.filter((op) => op.kind === 'activity').length;
  const entityOps = host.executed.filter((op) => op.kind === 'entityCall' || op.kind === 'entitySignal').length;
  const children = host.executed.filter((op) => op.kind === 'subOrchestration').length;
  const sweepHistory = instance.history.length + instance.previousHistories.reduce((s, h) => s + h.length, 0);
  const per = (x: number): string => (x / n).toFixed(3);
  return [
    String(n),
    `${seconds.toFixed(1)} s`,
    `${instance.status}, ${instance.executions} execution(s)`,
    `${sweepHistory} (${per(sweepHistory)})`,
    String(host.largestHistory()),
    `${host.historyEvents()} (${per(host.historyEvents())})`,
    `${host.metrics.replayedEvents} (${per(host.metrics.replayedEvents)})`,
    `${activities} (${per(activities)})`,
    `${entityOps} (${per(entityOps)})`,
    String(children),
    `${counts.graph} / ${counts.arm}`,
  ];
}

async function run(): Promise<void> {
  const tls = await ensureTestTls();
  const [standIns, azurite] = await Promise.all([startStandIns(), startAzuriteTable()]);
  const cliRows: string[][] = [];
  const ratios: string[] = [];
  const durableRows: string[][] = [];
  let recordRows: string[][] = [];
  try {
    for (const n of SIZES) {
      const { rows, ratio } = await cliScenarios(standIns, azurite, tls.caCertPath, n);
      cliRows.push(...rows);
      ratios.push(ratio);
    }
    if (RECORDS > 0) recordRows = await recordsScenario(standIns, tls.caCertPath, RECORDS);
    for (const n of LARGE) cliRows.push(...(await cliScenarios(standIns, azurite, tls.caCertPath, n, true)).rows);
    if (DURABLE) for (const n of SIZES) durableRows.push(await durableScenario(standIns, azurite, n));
  } finally {
    await Promise.all([standIns.close(), azurite.close()]);
  }
  process.stdout.write(
    `Benchmark: ${LATENCY_MS} ms on every ARM and Resource Graph request, Resource Graph quota 15 requests / 5 s, Azurite records, ${process.version}, ${os.cpus().length} cores\n\n` +
      `d4ai CLI (its own process)\n${table(['SCENARIO', 'N', 'WALL', 'RG REQUESTS', 'ARM REQUESTS', 'ARM BY ROUTE', 'PEAK RSS', 'OUTCOMES'], cliRows)}\n${ratios.join('\n')}\n\n` +
      (recordRows.length
        ? `d4ai records --subscription <id> --limit 20 on the default store (SQLite), its own process, median of 5 (budget 200 ms; peak RSS flat in the record count)\n${table(['RECORDS', 'FILLED IN', 'FILE', 'd4ai records WALL', 'd4ai --version WALL', 'STORE OPEN + QUERY (COLD PROCESS)', 'PEAK RSS'], recordRows)}\n\n`
        : '') +
      (DURABLE
        ? `Functions nightly sweep (sweepTenant) through the durable replay host; numbers in brackets are per subscription\n${table(
            ['N', 'WALL', 'SWEEP', 'SWEEP HISTORY', 'LARGEST EXECUTION', 'ALL HISTORY EVENTS', 'REPLAYED EVENTS', 'ACTIVITIES', 'ENTITY OPS', 'CHILDREN', 'RG / ARM REQUESTS'],
            durableRows,
          )}\n`
        : ''),
  );
}

if (process.env.BENCH_CHILD !== '1') {
  // Re-run with the stand-in's CA trusted (read by Node only at start-up).
  void ensureTestTls().then((tls) => {
    const child = spawn(process.execPath, process.argv.slice(1), {
      stdio: 'inherit',
      env: { ...process.env, BENCH_CHILD: '1', NODE_EXTRA_CA_CERTS: tls.caCertPath, D4AISIM_TLS_DIR: path.dirname(tls.caCertPath) },
    });
    child.on('close', (code) => process.exit(code ?? 1));
  });
} else {
  run().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
