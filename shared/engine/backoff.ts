import { backoffFrom } from '../domain/extension-backoff';
import type { ExtensionBackoff } from '../domain/model';
import { LOG_MESSAGES } from '../observability/log';
import { errorInfo } from './errors';
import type { Ports } from './ports';

/** Records looked through for the latest one that is not a dry run. */
export const BACKOFF_LOOKBACK = 20;

/**
 * The subscription's extension back-off, from its latest record that is not a dry run (see
 * domain/extension-backoff.ts): a dry run, a revert's included, changes no state, so a report-mode
 * pass or `revert --dry-run` recorded since a partial write cannot reset its back-off.
 * Advisory: if the store cannot be read, the pass goes ahead without it (at worst an extension
 * that failed is tried once more), and the store problem is logged.
 */
export async function readBackoff(ports: Pick<Ports, 'records' | 'logger'>, subscriptionId: string, now: Date): Promise<ExtensionBackoff | undefined> {
  try {
    const { records } = await ports.records.list(subscriptionId, BACKOFF_LOOKBACK);
    return backoffFrom(records.find((r) => r.outcome !== 'dry-run' && r.outcome !== 'intent' && r.outcome !== 'plan-stale' && r.mode !== 'report'), now);
  } catch (error) {
    const info = errorInfo(error);
    ports.logger.warn(LOG_MESSAGES.armError, { subscriptionId, errorCode: `BackoffReadFailed:${info.code}`, errorMessage: info.message });
    return undefined;
  }
}
