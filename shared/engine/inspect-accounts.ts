import type { Config } from '../config';
import { isInspectableAccount } from '../domain/accounts';
import { skipBeforeReading } from '../domain/decide';
import type { AccountInspection, GovernContext } from '../domain/model';
import { errorInfo } from './errors';
import type { Ports } from './ports';

/** A subscription a sweep reads the accounts of: one it looks into (not disabled, excluded or opted out) with Azure OpenAI / AI Services accounts. */
export function hasAccountsToRead(context: GovernContext, config: Config): boolean {
  return !skipBeforeReading(context.subscription, config) && context.aiResources.some(isInspectableAccount);
}

/** Accounts of one subscription read at once: three reads each, so a subscription with many accounts stays polite. */
export const ACCOUNT_READ_CONCURRENCY = 4;

/**
 * Reads each Azure OpenAI / AI Services account of the context (opt-out, content filters) and
 * returns the context with `accounts`. Only the accounts among its AI resources, and only once (a
 * context that has them is returned as it is). Advisory: an account that cannot be read is
 * `unknown` and counts as protected; its problem goes into the record's warnings.
 */
export async function inspectAccounts(ports: Pick<Ports, 'accounts'>, context: GovernContext): Promise<GovernContext> {
  if (context.accounts) return context;
  const accounts = context.aiResources.filter(isInspectableAccount);
  if (accounts.length === 0) return context;
  const inspected: AccountInspection[] = new Array(accounts.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < accounts.length; i = next++) {
      const account = accounts[i];
      if (!account) continue;
      inspected[i] = await ports.accounts.inspect(account).catch((error: unknown) => ({
        accountId: account.id,
        defenderForAI: 'unknown' as const,
        promptShieldsOff: [],
        problems: [`could not be read (${errorInfo(error).code}).`],
      }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(ACCOUNT_READ_CONCURRENCY, accounts.length) }, worker));
  return { ...context, accounts: inspected };
}
