import * as os from 'node:os';
import { TableRecordStore } from '../../shared/azure/records.table';
import { leaseCommand } from '../../shared/cli/lease.command';
import { TENANT_PASS_LEASE } from '../../shared/engine/tenant-lease';
import { inProcess, useLandingZoneProcess, type Command } from './in-process';

/** `d4ai lease --break` on a terminal: only the typed word `yes` frees the lease; anything else leaves it. */
const env = useLandingZoneProcess();
const breakLease: Command = (ctx) => leaseCommand(ctx, { break: true });

it('lease --break asks on the terminal; "y" is not enough, "yes" frees it and the break is recorded', async () => {
  const store = new TableRecordStore(env.lz.env.D4AI_RECORDS_CONNECTION ?? '', env.lz.env.D4AI_RECORDS_TABLE ?? 'RemediationRecords', { getToken: async () => null }, 'D4AI_RECORDS_CONNECTION');
  const holder = 'd4ai CLI sweep (pid 1, started earlier)';
  expect((await store.acquireLease(TENANT_PASS_LEASE, holder, 120_000, new Date(), { host: os.hostname(), pid: process.pid, since: new Date().toISOString() })).acquired).toBe(true);

  const no = await inProcess({}, breakLease, { tty: true, answers: ['y'] });
  expect(no.code).toBe(1);
  expect(no.asked).toEqual([expect.stringContaining('Type yes to go on')]);
  expect((await store.currentLease(TENANT_PASS_LEASE))?.holder).toBe(holder);

  const yes = await inProcess({}, breakLease, { tty: true, answers: ['yes'] });
  expect(yes.code).toBe(0);
  expect(yes.stdout).toContain(`Freed the tenant-pass lease held by ${holder}`);
  expect(await store.currentLease(TENANT_PASS_LEASE)).toBeUndefined();
  expect(await store.listLeaseBreaks(1)).toMatchObject([{ holder, brokenBy: expect.stringContaining(`pid ${process.pid}`) }]);
});
