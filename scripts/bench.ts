import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../shared/config';
import { createPorts } from '../shared/composition';
import { governSubscription } from '../shared/engine/govern';
import { sweep } from '../shared/engine/sweep';
import { silentLogger } from '../shared/observability/log';
import { table } from '../shared/cli/output';
import { startAzuriteTable } from '../test/support/azurite';
import { startStandIns } from '../test/support/stand-ins';
import { ensureTestTls } from '../test/support/tls';

/**
 * `npm run bench`: how long a sweep takes and how long one event takes from delivery to an applied,
 * recorded plan, against the ARM stand-in with a realistic per-request latency. Numbers, not
 * assertions: compare runs on the same machine. NODE_EXTRA_CA_CERTS is set by re-executing
 * this script once, because Node reads it only at start-up.
 */
const SUBSCRIPTIONS = Number(process.env.BENCH_SUBSCRIPTIONS ?? 200);
const LATENCY_MS = Number(process.env.BENCH_ARM_LATENCY_MS ?? 40);
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? '1,4,8,16').split(',').map(Number);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 30);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function run(): Promise<void> {
  const [standIns, azurite] = await Promise.all([startStandIns(), startAzuriteTable()]);
  const { arm, credential } = standIns;
  const rows: string[][] = [];
  try {
    const seed = (): string[] => {
      arm.reset();
      const ids: string[] = [];
      for (let i = 0; i < SUBSCRIPTIONS; i++) {
        const sub = arm.state.addSubscription({ displayName: `bench-${i}` });
        // Two thirds run AI workloads, as in a landing zone that has adopted Foundry.
        if (i % 3 !== 0) arm.state.addResource(sub.subscriptionId, { name: `oai-${i}`, type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI' });
        ids.push(sub.subscriptionId);
      }
      arm.faults.latency(LATENCY_MS);
      return ids;
    };

    for (const concurrency of CONCURRENCIES) {
      seed();
      const config = loadConfig({
        D4AI_ARM_ENDPOINT: arm.endpoint,
        D4AI_RECORDS_CONNECTION: azurite.connectionString,
        D4AI_RECORDS_TABLE: `Bench${concurrency}x${Date.now()}`,
        D4AI_SWEEP_CONCURRENCY: String(concurrency),
      });
      const ports = createPorts(config, silentLogger, credential);
      const started = performance.now();
      const summary = await sweep(ports, config, { trigger: 'sweep' });
      const seconds = (performance.now() - started) / 1000;
      const durations = summary.records.map((r) => r.durationMs);
      rows.push([
        `sweep, concurrency ${concurrency}`,
        String(summary.subscriptions),
        `${seconds.toFixed(1)} s`,
        `${(summary.subscriptions / seconds).toFixed(1)}/s`,
        `${percentile(durations, 50)} ms`,
        `${percentile(durations, 95)} ms`,
        String(summary.byOutcome.applied ?? 0),
        String(arm.requests.length),
      ]);
    }

    const ids = seed();
    const config = loadConfig({ D4AI_ARM_ENDPOINT: arm.endpoint, D4AI_RECORDS_CONNECTION: azurite.connectionString });
    const ports = createPorts(config, silentLogger, credential);
    const latencies: number[] = [];
    for (const id of ids.filter((_, i) => i % 3 !== 0).slice(0, EVENTS)) {
      const started = performance.now();
      await governSubscription(ports, config, { subscriptionId: id, trigger: 'event' });
      latencies.push(Math.round(performance.now() - started));
    }
    rows.push([
      'event -> applied + recorded',
      String(latencies.length),
      `${(latencies.reduce((a, b) => a + b, 0) / 1000).toFixed(1)} s`,
      '-',
      `${percentile(latencies, 50)} ms`,
      `${percentile(latencies, 95)} ms`,
      String(latencies.length),
      String(arm.requests.length),
    ]);
  } finally {
    await Promise.all([standIns.close(), azurite.close()]);
  }
  process.stdout.write(
    `Benchmark: ${SUBSCRIPTIONS} subscriptions, ${LATENCY_MS} ms added to every ARM request, Azurite records, ${process.version}\n\n` +
      `${table(['SCENARIO', 'SUBS', 'WALL', 'RATE', 'P50 PER SUB', 'P95 PER SUB', 'APPLIED', 'ARM REQUESTS'], rows)}\n`,
  );
}

if (process.env.D4AI_BENCH_CHILD !== '1') {
  // Re-run with the stand-in's CA trusted (read by Node only at start-up).
  void ensureTestTls().then(async (tls) => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, process.argv.slice(1), {
      stdio: 'inherit',
      env: { ...process.env, D4AI_BENCH_CHILD: '1', NODE_EXTRA_CA_CERTS: tls.caCertPath, D4AI_TEST_TLS_DIR: path.dirname(tls.caCertPath) },
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
