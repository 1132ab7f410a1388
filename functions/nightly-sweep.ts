import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { FN, nightlySweepInstanceId } from './names';
import { functionsConfig, loggerFor } from './runtime';
import { isLive, statusOf } from './start-govern';
import type { SweepInput } from './sweep-tenant.orchestrator';

/**
 * Timer (D4AI_SWEEP_SCHEDULE, NCRONTAB, default 02:00 every day) -> the sweepTenant singleton of
 * that UTC day, `sweep-YYYY-MM-DD`. A second firing the same day (a restart, a past-due catch-up)
 * finds it running or completed and does not start again; a failed or terminated one is replaced.
 */

export const nightlySweepClientInput = df.input.durableClient();

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
  const input: SweepInput = { trigger: 'sweep', dryRun: false };
  await client.startNew(FN.sweepTenant, { instanceId, input });
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
