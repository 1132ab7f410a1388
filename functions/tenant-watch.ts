import { randomUUID } from 'node:crypto';
import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { isWrite } from '../shared/domain/decide';
import { logWatchSummary } from '../shared/engine/decision-log';
import { errorInfo } from '../shared/engine/errors';
import { storeWithRetry } from '../shared/engine/govern';
import { PassInProgress, sweepInProgress } from '../shared/engine/tenant-lease';
import { evidenceOf, planPass, runScope, scopeFromConfig } from '../shared/engine/snapshot-pass';
import { Tally, watchSummary } from '../shared/engine/tally';
import { LOG_MESSAGES } from '../shared/observability/log';
import { logKeptOut } from '../shared/engine/kept-out';
import { functionsConfig, loggerFor, portsFor } from './runtime';
import { startOrCoalesce } from './start-govern';
import { FN } from './names';

/**
 * tenantWatch (timer, D4AI_WATCH_SCHEDULE, default every 5 minutes): the path that covers every
 * subscription in scope, wired or not. Event Grid has no tenant or management-group source for
 * resource writes, so an AI account created in a subscription nobody wired (every new one) would
 * otherwise wait for the nightly sweep. Each pass takes a Resource Graph snapshot, decides every
 * subscription in memory and starts (or coalesces into) the `govern-<sub>` run only where the
 * decision is a write, at most D4AI_MAX_ENABLEMENTS_PER_RUN of them; that run reads ARM afresh and
 * writes under the subscription's write lock. A pass with nothing to do costs about
 * 3·⌈N/1000⌉ + 1 Resource Graph requests and writes one small summary row, never N records.
 * While a sweep holds the tenant-pass lease the pass is skipped (the sweep covers every
 * subscription anyway); a pass never takes the lease itself (see shared/engine/tenant-lease.ts).
 */

export const tenantWatchClientInput = df.input.durableClient();

export async function tenantWatch(_timer: Timer, context: InvocationContext): Promise<void> {
  const config = functionsConfig();
  const watchId = randomUUID();
  const logger = loggerFor(context, { trigger: 'watch', watchId });
  const ports = portsFor(config, logger);
  const client = df.getClient(context);
  const scope = scopeFromConfig(config);
  const startedAt = new Date();
  const tally = new Tally();
  let candidates = 0;
  // A watch pass never takes the tenant-pass lease (it must not keep the nightly sweep from
  // starting when both fire at 02:00); it only skips while a sweep holds it.
  try {
    const sweeping = await sweepInProgress(ports.records, startedAt);
    if (sweeping) {
      // A sweep of the app's own is the normal case (info); a CLI run keeping the watch out for long is an alert.
      logKeptOut(logger, sweeping, startedAt, 'watch', { message: 'D4AI watch skipped', level: 'info', reason: new PassInProgress(sweeping).message });
      return;
    }
  } catch (error) {
    const info = errorInfo(error);
    logger.error(LOG_MESSAGES.watchSummary, { errorCode: `LeaseReadFailed:${info.code}`, errorMessage: info.message });
    return;
  }
  try {
    // The same tenant pass as the CLI's: only the writes (a few per pass, not the tenant) are
    // completed: refreshed from ARM, their extension back-off and their accounts, so a plan managed
    // elsewhere or a subscription whose accounts all opted out does not start a run every pass.
    for await (const page of planPass(ports, config, scope, { inspectAll: false })) {
      tally.subscriptions += page.planned.length;
      for (const { entry, nomination } of page.planned) {
        if (nomination.decision.skipReason === 'cap-reached') tally.capReached++;
        if (!isWrite(nomination.decision)) continue;
        candidates++;
        // Report mode: counted, not started. A run every 5 minutes for each would-be write would
        // store the same dry-run record 288 times a day; the nightly sweep records them once.
        if (config.mode !== 'enforce') {
          tally.byOutcome['dry-run'] = (tally.byOutcome['dry-run'] ?? 0) + 1;
          continue;
        }
        const subscriptionId = entry.subscription.subscriptionId;
        const started = await startOrCoalesce(client, {
          requestId: randomUUID(),
          request: { subscriptionId, trigger: 'watch', detail: { watchId, ...evidenceOf(entry, 'watch') } },
          dryRun: false,
        });
        tally.byOutcome[started.outcome] = (tally.byOutcome[started.outcome] ?? 0) + 1;
      }
    }
  } catch (error) {
    const info = errorInfo(error);
    tally.unrecorded++;
    logger.error(LOG_MESSAGES.armError, { errorCode: info.code, errorMessage: info.message });
  }
  const summary = watchSummary({ id: watchId, trigger: 'watch', mode: config.mode, scope: runScope(scope), startedAt, finishedAt: new Date() }, tally, candidates);
  logWatchSummary(logger, summary);
  try {
    await storeWithRetry(ports, () => ports.records.writeRunSummary(summary));
  } catch (error) {
    const info = errorInfo(error);
    logger.error(LOG_MESSAGES.watchSummary, { watchId, errorCode: `RecordWriteFailed:${info.code}`, errorMessage: info.message });
  }
}

// The schedule is read when the app loads: an invalid D4AI_WATCH_SCHEDULE stops the app at start-up
// with the ConfigError naming it, before any Azure call.
app.timer(FN.tenantWatch, {
  schedule: functionsConfig().watchSchedule,
  runOnStartup: false,
  useMonitor: true,
  extraInputs: [tenantWatchClientInput],
  handler: tenantWatch,
});
