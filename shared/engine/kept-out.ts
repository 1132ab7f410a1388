import type { LeaseState } from '../records/record';
import { LOG_MESSAGES, type Logger } from '../observability/log';

/**
 * The Functions app kept out by a lease held from outside it: a `d4ai` run (a CLI holder carries
 * its host, process and start: `owner`; the app's own holders, the nightly and manual sweeps, do
 * not), typically one started with `--settings` of the deployed app, which shares its store. The
 * CLI's lease is short and renewed only while it runs, so this means a long CLI pass or one that
 * keeps being restarted; either way an operator should know. Logged at error level with
 * LOG_MESSAGES.keptOut, which the failed-remediation alert (infra/queries/failed-remediations.kql)
 * counts.
 */

/** How long the tenant watch may be kept out before it is an alert (six skipped passes at the default schedule). */
export const KEPT_OUT_ALERT_MS = 30 * 60_000;

export function heldFromOutside(lease: LeaseState): lease is LeaseState & { owner: NonNullable<LeaseState['owner']> } {
  return lease.owner !== undefined;
}

/**
 * Logs that `what` did not run because of `lease`. Error level when the holder is outside the app
 * and has held it longer than KEPT_OUT_ALERT_MS (or at all, with `always`: the nightly sweep gives
 * up for the day); otherwise the caller's usual line, at `level`.
 */
export function logKeptOut(logger: Logger, lease: LeaseState, now: Date, what: 'watch' | 'sweep', usual: { message: string; level: 'info' | 'warn'; reason: string }, always = false): void {
  const outside = heldFromOutside(lease);
  const heldMs = outside ? now.getTime() - Date.parse(lease.owner.since) : 0;
  if (outside && (always || heldMs > KEPT_OUT_ALERT_MS)) {
    logger.error(LOG_MESSAGES.keptOut, {
      trigger: what,
      errorCode: 'KeptOutByLease',
      errorMessage: `The ${what === 'watch' ? 'tenant watch' : 'nightly sweep'} did not run: the tenant-pass lease is held from outside the app by ${lease.holder} (process ${lease.owner.pid} on ${lease.owner.host}) since ${lease.owner.since}, ${Math.round(heldMs / 60_000)} min ago, until ${lease.expiresAt}. See it with d4ai lease (with the app's settings); free it with d4ai lease --break if that run is gone.`,
    });
    return;
  }
  logger[usual.level](usual.message, { reason: usual.reason });
}
