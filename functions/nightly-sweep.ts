import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { PassInProgress, TENANT_PASS_LEASE, takeTenantLease } from '../shared/engine/tenant-lease';
import { logKeptOut } from '../shared/engine/kept-out';
import { FN, nightlySweepInstanceId } from './names';
import { functionsConfig, loggerFor, portsFor } from './runtime';
import { isLive, statusOf } from './start-govern';
import type { SweepInput } from './sweep-tenant.orchestrator';

/**
 * Timer (D4AI_SWEEP_SCHEDULE, NCRONTAB, default 02:00 every day) -> the sweepTenant singleton of
 * that UTC day, `sweep-YYYY-MM-DD`. A second firing the same day (a restart, a past-due catch-up)
 * finds it running or completed and does not start again; a failed or terminated one is replaced.
 * It takes the tenant-pass lease first: while a manual sweep holds it, the nightly one is not
 * started (logged with the holder), so two sweeps never share one cap between them.
 */

export const nightlySweepClientInput = df.input.durableClient();

/** How long the timer waits for a CLI watch pass that holds the tenant-pass lease, and how often it looks. */
export const WATCH_WAIT_MAX_MS = 120_000;
export const WATCH_WAIT_STEP_MS = 5_000;

export async function nightlySweep(_timer: Timer, context: InvocationContext): Promise<void> {
  const config = functionsConfig();
  const client = df.getClient(context);
  const instanceId = nightlySweepInstanceId(new Date());
  const logger = loggerFor(context, { trigger: 'sweep', sweepId: instanceId, instanceId });

  const existing = await statusOf(client, instanceId);
  if (existing && (isLive(existing) || existing.runtimeStatus === df.OrchestrationRuntimeStatus.Completed)) {
    logger.info('D4AI nightly sweep already started today', { reason: `instance is ${existing.runtimeStatus}` });
    return;
  }
  const records = portsFor(config, logger).records;
  for (let waited = 0; ; waited += WATCH_WAIT_STEP_MS) {
    try {
      await takeTenantLease(records, instanceId, new Date());
      break;
    } catch (error) {
      if (!(error instanceof PassInProgress)) throw error;
      // A CLI watch pass holds the lease for seconds: wait it out. Another sweep: not today.
      if (!/\bwatch\b/.test(error.held.holder) || waited >= WATCH_WAIT_MAX_MS) {
        // Not today: kept out by a CLI run (a holder from outside the app) is an alert, by the app's own sweep a warning.
        logKeptOut(logger, error.held, new Date(), 'sweep', { message: 'D4AI nightly sweep not started', level: 'warn', reason: error.message }, true);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, WATCH_WAIT_STEP_MS));
    }
  }
  const input: SweepInput = { trigger: 'sweep', dryRun: false };
  try {
    await client.startNew(FN.sweepTenant, { instanceId, input });
  } catch (error) {
    await records.releaseLease(TENANT_PASS_LEASE, instanceId).catch(() => undefined);
    throw error;
  }
  logger.info('D4AI nightly sweep started', { mode: config.mode });
}

// The schedule is read when the app loads: an invalid D4AI_SWEEP_SCHEDULE (or any bad setting)
// stops the app at start-up with the ConfigError naming it, before any ARM call.
app.timer(FN.nightlySweep, {
  schedule: functionsConfig().sweepSchedule,
  runOnStartup: false,
  useMonitor: true,
  extraInputs: [nightlySweepClientInput],
  handler: nightlySweep,
});
