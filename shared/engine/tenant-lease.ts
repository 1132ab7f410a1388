import type { LeaseState } from '../records/record';
import type { RecordStore } from '../records/record-store';
import type { Ports } from './ports';
import { GovernError } from './errors';

/**
 * One pass over the tenant at a time: the nightly sweep, a manual (admin API) sweep, a CLI sweep,
 * a CLI watch pass and a revert take this lease in the records store before they decide anything,
 * so D4AI_MAX_ENABLEMENTS_PER_RUN is one cap, not one per concurrent run, and the CLI (which has no
 * per-subscription write lock) never has two passes writing at once. The lease has an expiry (a
 * crashed holder frees it by itself) and is taken with the store's optimistic concurrency (two
 * racing starts cannot both get it); a long pass renews it per page. The Functions tenant watch
 * only looks at it (its writes go through govern-<sub> runs and their write lock): while a sweep
 * holds it the pass is skipped, and it never holds it, so it cannot keep the nightly sweep from
 * starting when both fire at 02:00. The nightly timer waits a little for a CLI watch pass.
 */
export const TENANT_PASS_LEASE = 'tenant-pass';
/** Longer than any page of a sweep takes; renewed per page, so a long sweep keeps it. */
export const TENANT_PASS_TTL_MS = 2 * 60 * 60_000;

export class PassInProgress extends GovernError {
  constructor(readonly held: LeaseState) {
    super('PassInProgress', `Another pass over the tenant holds the lease: ${held.holder}, until ${held.expiresAt}. One sweep or watch pass runs at a time, so the enablement cap holds; try again after it ends or the lease expires.`);
  }
}

/** The sweep holding the lease now, if any (an expired lease is nobody's). */
export async function sweepInProgress(records: RecordStore, now: Date): Promise<LeaseState | undefined> {
  const lease = await records.currentLease(TENANT_PASS_LEASE);
  return lease && Date.parse(lease.expiresAt) > now.getTime() ? lease : undefined;
}

/** Takes (or renews, for the same holder) the tenant-pass lease; throws PassInProgress when another holder has it. */
export async function takeTenantLease(records: RecordStore, holder: string, now: Date, ttlMs: number = TENANT_PASS_TTL_MS): Promise<LeaseState> {
  const result = await records.acquireLease(TENANT_PASS_LEASE, holder, ttlMs, now);
  if (!result.acquired) throw new PassInProgress(result.held);
  return result.lease;
}

/**
 * Runs a pass over the tenant from the CLI: the store proven writable, the lease taken (for
 * `what`, with this process and its start), the pass, the lease given back (its expiry frees it
 * if the process dies).
 */
export async function leasedPass<T>(ports: Pick<Ports, 'records' | 'clock'>, what: string, pass: (renew: () => Promise<void>) => Promise<T>): Promise<T> {
  await ports.records.ensureWritable();
  const holder = `${what} (pid ${process.pid}, started ${ports.clock().toISOString()})`;
  await takeTenantLease(ports.records, holder, ports.clock());
  // Called per page (or per subscription of a revert): a pass longer than the TTL keeps its lease,
  // and one that lost it (it expired and another pass took it) stops instead of running alongside.
  const renew = async (): Promise<void> => {
    await takeTenantLease(ports.records, holder, ports.clock());
  };
  try {
    return await pass(renew);
  } finally {
    await ports.records.releaseLease(TENANT_PASS_LEASE, holder).catch(() => undefined);
  }
}
