import * as os from 'node:os';
import * as path from 'node:path';
import { CLI_LEASE_RENEW_MS, CLI_LEASE_TTL_MS, PassInProgress, TENANT_PASS_LEASE, leasedPass } from '../../../shared/engine/tenant-lease';
import { SqliteRecordStore } from '../../../shared/records/records.sqlite';
import { useTempDirs } from '../../support/temp-dirs';

const tempDir = useTempDirs();

/** The CLI's lease on a real SQLite store: short, renewed on a timer while the pass runs, given up at the end. */
describe('leasedPass', () => {
  let store: SqliteRecordStore;
  let now: Date;
  const ports = (): { records: SqliteRecordStore; clock: () => Date } => ({ records: store, clock: () => now });

  beforeEach(() => {
    store = new SqliteRecordStore(path.join(tempDir('lease-unit'), 'd4ai.db'));
    now = new Date('2026-05-01T00:00:00Z');
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  });
  afterEach(() => {
    jest.useRealTimers();
    store.close();
  });

  it('holds a 2-minute lease with its host and pid, renews it every 30 s while the pass runs, and releases it after', async () => {
    await leasedPass(ports(), 'test sweep', async () => {
      const taken = await store.currentLease(TENANT_PASS_LEASE);
      expect(taken).toMatchObject({ expiresAt: new Date(now.getTime() + CLI_LEASE_TTL_MS).toISOString(), owner: { host: os.hostname(), pid: process.pid } });
      for (let tick = 1; tick <= 3; tick++) {
        now = new Date(now.getTime() + CLI_LEASE_RENEW_MS);
        await jest.advanceTimersByTimeAsync(CLI_LEASE_RENEW_MS);
        expect((await store.currentLease(TENANT_PASS_LEASE))?.expiresAt).toBe(new Date(now.getTime() + CLI_LEASE_TTL_MS).toISOString());
      }
    });
    expect(await store.currentLease(TENANT_PASS_LEASE)).toBeUndefined();
  });

  it('a pass whose lease expired and was taken by another stops at its next renew() instead of running alongside', async () => {
    await expect(
      leasedPass(ports(), 'slow sweep', async (renew) => {
        now = new Date(now.getTime() + CLI_LEASE_TTL_MS + 1000);
        expect((await store.acquireLease(TENANT_PASS_LEASE, 'another sweep', CLI_LEASE_TTL_MS, now)).acquired).toBe(true);
        await jest.advanceTimersByTimeAsync(CLI_LEASE_RENEW_MS);
        await renew();
      }),
    ).rejects.toBeInstanceOf(PassInProgress);
    // The other pass keeps its lease: the loser releases only its own.
    expect((await store.currentLease(TENANT_PASS_LEASE))?.holder).toBe('another sweep');
  });
});
