import * as os from 'node:os';
import { isDeadLocalHolder, TENANT_PASS_LEASE } from '../engine/tenant-lease';
import type { LeaseBreakRecord, LeaseState } from '../records/record';
import { escapeControl } from '../observability/redact';
import { VERSION } from '../version';
import { EXIT, UsageError, type CliContext } from './context';
import { table } from './output';

/**
 * `d4ai lease`: who holds the tenant-pass lease (the one sweep, watch or revert at a time), until
 * when, and whether that holder still runs (known for a CLI holder on this machine). `d4ai lease
 * --break` frees it after confirmation (`yes` on a terminal, or --yes), and stores a lease-break
 * record naming what was broken, when, and by which machine and process.
 */

type LeaseStatus = 'free' | 'held' | 'expired' | 'held by a dead process';

export function leaseStatus(lease: LeaseState | undefined, now: Date): LeaseStatus {
  if (!lease) return 'free';
  if (Date.parse(lease.expiresAt) <= now.getTime()) return 'expired';
  return isDeadLocalHolder(lease.owner) ? 'held by a dead process' : 'held';
}

export async function leaseCommand(ctx: CliContext, options: { break?: boolean }): Promise<number> {
  const now = new Date();
  const lease = await ctx.ports.records.currentLease(TENANT_PASS_LEASE);
  const status = leaseStatus(lease, now);
  if (!options.break) {
    const breaks = await ctx.ports.records.listLeaseBreaks(5);
    if (ctx.format === 'json') ctx.out(JSON.stringify({ name: TENANT_PASS_LEASE, status, ...(lease ? { lease } : {}), breaks }, null, 2));
    else ctx.out(leaseText(lease, status, breaks, ctx.width));
    return EXIT.ok;
  }
  if (!lease || status === 'free' || status === 'expired') {
    ctx.out(`The ${TENANT_PASS_LEASE} lease is ${status}: nothing to break.`);
    return EXIT.ok;
  }
  if (!ctx.yes) {
    if (!ctx.interactive) throw new UsageError('lease --break frees a lease another pass may still hold: confirm on a terminal, or add --yes.');
    ctx.err(leaseText(lease, status, [], ctx.width));
    if (status === 'held') ctx.err('Its holder may still be running: freed, it takes the lease again at its next renewal unless another pass has taken it first.');
    // The word, not a stray "y": freeing another pass's lease is the one way to run two passes at once.
    if (!(await ctx.ask(`Free the ${TENANT_PASS_LEASE} lease held by ${lease.holder}? Type yes to go on: `))) {
      ctx.err('The lease was left as it was.');
      return EXIT.failed;
    }
  }
  await ctx.ports.records.releaseLease(TENANT_PASS_LEASE, lease.holder);
  const record: LeaseBreakRecord = { kind: 'lease-break', name: TENANT_PASS_LEASE, holder: lease.holder, expiresAt: lease.expiresAt, brokenAt: now.toISOString(), brokenBy: `d4ai lease --break (pid ${process.pid} on ${os.hostname()})`, version: VERSION };
  await ctx.ports.records.writeLeaseBreak(record);
  if (ctx.format === 'json') ctx.out(JSON.stringify({ broken: record }, null, 2));
  else ctx.out(`Freed the ${TENANT_PASS_LEASE} lease held by ${escapeControl(lease.holder)} (it would have expired at ${lease.expiresAt}); recorded in ${ctx.ports.records.description}.`);
  return EXIT.ok;
}

function leaseText(lease: LeaseState | undefined, status: LeaseStatus, breaks: readonly LeaseBreakRecord[], width: number): string {
  const lines = [
    lease
      ? table(['LEASE', 'STATUS', 'HOLDER', 'PROCESS', 'EXPIRES (UTC)'], [[lease.name, status, escapeControl(lease.holder), lease.owner ? `${lease.owner.pid} on ${escapeControl(lease.owner.host)} since ${lease.owner.since}` : '-', lease.expiresAt]], width)
      : `The ${TENANT_PASS_LEASE} lease is free: no sweep, watch pass or revert is running.`,
  ];
  if (breaks.length) lines.push('', 'Recently broken:', table(['BROKEN AT (UTC)', 'HOLDER', 'BY'], breaks.map((b) => [b.brokenAt, escapeControl(b.holder), escapeControl(b.brokenBy)]), width));
  return lines.join('\n');
}
