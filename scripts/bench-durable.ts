/**
 * One Functions nightly sweep (sweepTenant) through the durable replay host (sim/durable-host.ts),
 * as its own process, the way a Functions worker runs the app: started by bench.ts with the app's
 * settings in its environment (the stand-ins and Azurite run in the bench's process), so its peak
 * RSS (written by bench-rss-preload) is the worker's and not the stand-in's 50,000-subscription
 * state. BENCH_SWEEP_ID names the instance, BENCH_DRY_RUN=1 makes it a dry run. Prints one JSON
 * object (DurableRun) on stdout.
 */
// The registry first: it captures what the function modules register as they load.
import { durableHandlers } from '../sim/functions-registry';
import '../functions';
import { performance } from 'node:perf_hooks';
import type { SweepOutput } from '../functions/sweep-tenant.orchestrator';
import { DurableTestHost } from '../sim/durable-host';

export interface DurableRun {
  seconds: number;
  status: string;
  executions: number;
  /** History events of the sweep instance, all its executions. */
  sweepHistory: number;
  largestExecution: number;
  historyEvents: number;
  replayedEvents: number;
  activities: number;
  entityOps: number;
  children: number;
  subscriptions: number;
  outcomes: Record<string, number>;
}

const TIMEOUT_MS = 60 * 60_000;

async function main(): Promise<void> {
  const sweepId = process.env.BENCH_SWEEP_ID ?? 'sweep-bench';
  const host = new DurableTestHost({
    orchestrators: durableHandlers('orchestrationTrigger'),
    activities: durableHandlers('activityTrigger'),
    entities: durableHandlers('entityTrigger'),
    startTime: new Date(),
    keepLogs: false,
    keepFinishedHistories: false,
  });
  const started = performance.now();
  host.start('sweepTenant', sweepId, { trigger: 'sweep', dryRun: process.env.BENCH_DRY_RUN === '1' });
  const instance = await host.waitFor(sweepId, TIMEOUT_MS);
  await host.idle(TIMEOUT_MS);
  const summary = (instance.output as SweepOutput | undefined)?.summary;
  const run: DurableRun = {
    seconds: (performance.now() - started) / 1000,
    status: instance.status,
    executions: instance.executions,
    sweepHistory: instance.history.length + instance.previousHistoryLengths.reduce((s, h) => s + h, 0),
    largestExecution: host.largestHistory(),
    historyEvents: host.historyEvents(),
    replayedEvents: host.metrics.replayedEvents,
    activities: host.executed.filter((op) => op.kind === 'activity').length,
    entityOps: host.executed.filter((op) => op.kind === 'entityCall' || op.kind === 'entitySignal').length,
    children: host.executed.filter((op) => op.kind === 'subOrchestration').length,
    subscriptions: summary?.subscriptions ?? 0,
    outcomes: summary?.byOutcome ?? {},
  };
  process.stdout.write(JSON.stringify(run));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench-durable failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
