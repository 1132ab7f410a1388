import * as os from 'node:os';
import type { LeaseOwner, LeaseState } from '../records/record';
import type { RecordStore } from '../records/record-store';
import type { Ports } from './ports';
import { GovernError } from './errors';

/**
 * One pass over the tenant at a time: the nightly sweep, a manual (admin API) sweep, a CLI sweep,
 * a CLI watch pass and a revert take this lease in the records store before they decide anything,
 * so D4AI_MAX_ENABLEMENTS_PER_RUN is one cap, not one per concurrent run, and the CLI (which has no
 * per-subscription write lock) never has two passes writing at once. The lease has an expiry (a
 * crashed holder frees it by itself) and is taken with the store's optimistic concurrency (two
 * racing starts cannot both get it); a long pass renews it per page. A CLI pass holds a short lease
 * (CLI_LEASE_TTL_MS) renewed every CLI_LEASE_RENEW_MS while it runs, with its host and process id,
 * so a pass that dies frees it within two minutes, and at once for the next run on the same host.
 * The Functions tenant watch
 * only looks at it (its writes go through govern-<sub> runs and their write lock): while a sweep
 * holds it the pass is skipped, and it never holds it, so it cannot keep the nightly sweep from
 * starting when both fire at 02:00. The nightly timer waits a little for a CLI watch pass.
 */
export const TENANT_PASS_LEASE = 'tenant-pass';
/**
 * The Functions nightly sweep's lease: a durable orchestration cannot run a timer beside itself,
 * so it takes one expiry longer than any page of a sweep and renews it per page.
 */
export const TENANT_PASS_TTL_MS = 2 * 60 * 60_000;
/** A CLI pass's lease: short, and renewed on a timer while the pass runs, so it dies with its holder. */
export const CLI_LEASE_TTL_MS = 2 * 60_000;
export const CLI_LEASE_RENEW_MS = 30_000;

export class PassInProgress extends GovernError {
  constructor(readonly held: LeaseState) {
    super('PassInProgress', `Another pass over the tenant holds the lease: ${held.holder}${ownerText(held.owner)}, until ${held.expiresAt}. One sweep or watch pass runs at a time, so the enablement cap holds; try again after it ends or the lease expires (d4ai lease shows it; d4ai lease --break frees it).`);
  }
}

function ownerText(owner: LeaseOwner | undefined): string {
  return owner ? ` (process ${owner.pid} on ${owner.host}, running since ${owner.since})` : '';
}

/** This process as a lease holder: its machine, process id and start. */
export function thisProcess(since: Date): LeaseOwner {
  return { host: os.hostname(), pid: process.pid, since: since.toISOString() };
}

/**
 * The holder is a process on this machine that no longer runs: its lease is taken over at once
 * rather than waited out. Signal 0 only asks whether the process exists; EPERM means it exists
 * (another user's), so only ESRCH counts as dead. Holders on other machines are never judged.
 */
export function isDeadLocalHolder(owner: LeaseOwner | undefined): boolean {
  if (!owner || owner.host !== os.hostname() || owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** The sweep holding the lease now, if any (an expired lease is nobody's). */
export async function sweepInProgress(records: RecordStore, now: Date): Promise<LeaseState | undefined> {
  const lease = await records.currentLease(TENANT_PASS_LEASE);
  return lease && Date.parse(lease.expiresAt) > now.getTime() ? lease : undefined;
}

/**
 * Takes (or renews, for the same holder) the tenant-pass lease; throws PassInProgress when another
 * holder has it. A holder that died on this machine is released first (only while it still holds
 * it: releaseLease is conditional on the holder), then the lease is taken as if free.
 */
export async function takeTenantLease(records: RecordStore, holder: string, now: Date, ttlMs: number = TENANT_PASS_TTL_MS, owner?: LeaseOwner): Promise<LeaseState> {
  let result = await records.acquireLease(TENANT_PASS_LEASE, holder, ttlMs, now, owner);
  if (!result.acquired && isDeadLocalHolder(result.held.owner)) {
    await records.releaseLease(TENANT_PASS_LEASE, result.held.holder);
    result = await records.acquireLease(TENANT_PASS_LEASE, holder, ttlMs, now, owner);
  }
  if (!result.acquired) throw new PassInProgress(result.held);
  return result.lease;
}

/**
 * Frees the tenant-pass lease when its holder is a process on this machine that no longer runs
 * (only while that dead holder still has it): nothing of that pass is running any more, so the
 * lease is not left to expire. True when it was freed.
 */
export async function releaseDeadLocalLease(records: RecordStore, now: Date): Promise<boolean> {
  const lease = await sweepInProgress(records, now);
  if (!lease || !isDeadLocalHolder(lease.owner)) return false;
  await records.releaseLease(TENANT_PASS_LEASE, lease.holder);
  return true;
}

/** A store that can give a lease back synchronously (SQLite): used by a process that must exit at once. */
interface ReleasesNow {
  releaseLeaseNow(name: string, holder: string): void;
}

/** The leases this process holds now, for releaseHeldLeasesNow. */
const held = new Map<string, RecordStore>();

/**
 * Gives back, synchronously, every lease this process holds in a store that can (SQLite): the
 * second Ctrl-C exits without waiting, and must not leave the tenant locked behind it. A lease in
 * Table Storage expires by itself within CLI_LEASE_TTL_MS.
 */
export function releaseHeldLeasesNow(): void {
  for (const [holder, records] of held) {
    const store = records as Partial<ReleasesNow>;
    try {
      store.releaseLeaseNow?.(TENANT_PASS_LEASE, holder);
    } catch {
      // Exiting anyway: the lease's expiry frees it.
    }
  }
  held.clear();
}

/**
 * Runs a pass over the tenant from the CLI: the store proven writable, the lease taken (for
 * `what`, with this process and its start), the pass, the lease given back (its expiry frees it
 * if the process dies).
 */
export async function leasedPass<T>(ports: Pick<Ports, 'records' | 'clock'>, what: string, pass: (renew: () => Promise<void>) => Promise<T>): Promise<T> {
  await ports.records.ensureWritable();
  const started = ports.clock();
  const holder = `${what} (pid ${process.pid}, started ${started.toISOString()})`;
  const owner = thisProcess(started);
  const take = (): Promise<LeaseState> => takeTenantLease(ports.records, holder, ports.clock(), CLI_LEASE_TTL_MS, owner);
  await take();
  held.set(holder, ports.records);
  // Renewed on a timer, so a page that takes longer than the lease (a slow tenant) keeps it. A
  // renewal the store could not answer is tried again on the next tick; one refused (the lease
  // expired and another pass took it) is kept, and the next renew() stops the pass.
  let lost: unknown;
  const heartbeat = setInterval(() => {
    take().catch((error: unknown) => {
      if (error instanceof PassInProgress) lost = error;
    });
  }, CLI_LEASE_RENEW_MS);
  heartbeat.unref();
  // Called per page (or per subscription of a revert): a pass that lost its lease stops instead of running alongside another.
  const renew = async (): Promise<void> => {
    if (lost) throw lost;
    await take();
  };
  try {
    return await pass(renew);
  } finally {
    clearInterval(heartbeat);
    held.delete(holder);
    await ports.records.releaseLease(TENANT_PASS_LEASE, holder).catch(() => undefined);
  }
}
