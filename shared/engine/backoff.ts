import { backoffFrom } from '../domain/extension-backoff';
import type { ExtensionBackoff } from '../domain/model';
import { LOG_MESSAGES } from '../observability/log';
import { errorInfo } from './errors';
import type { Ports } from './ports';

/**
 * The subscription's extension back-off, from its latest record (see domain/extension-backoff.ts).
 * Advisory: if the store cannot be read, the pass goes ahead without it (at worst an extension
 * that failed is tried once more), and the store problem is logged.
 */
export async function readBackoff(ports: Pick<Ports, 'records' | 'logger'>, subscriptionId: string, now: Date): Promise<ExtensionBackoff | undefined> {
  try {
    const { records } = await ports.records.list(subscriptionId, 1);
    return backoffFrom(records[0], now);
  } catch (error) {
    const info = errorInfo(error);
    ports.logger.warn(LOG_MESSAGES.armError, { subscriptionId, errorCode: `BackoffReadFailed:${info.code}`, errorMessage: info.message });
    return undefined;
  }
}
