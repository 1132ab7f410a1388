import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileRecordStore } from '../../../shared/records/records.file';

/** The JSON-lines store's lease under contention: several stores (as several processes would) on one file. */
describe('FileRecordStore lease', () => {
  it('of many racing takers, exactly one gets a free lease; the others are told who has it', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'd4ai-lease-')), 'records.jsonl');
    const now = new Date();
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => new FileRecordStore(file).acquireLease('tenant-pass', `holder-${round}-${i}`, 60_000, now)));
      const winners = results.filter((r) => r.acquired);
      expect(winners).toHaveLength(1);
      const winner = winners[0]?.acquired ? winners[0].lease.holder : '';
      for (const r of results) if (!r.acquired) expect(r.held.holder).toBe(winner);
      await new FileRecordStore(file).releaseLease('tenant-pass', winner);
      expect(await new FileRecordStore(file).currentLease('tenant-pass')).toBeUndefined();
    }
  });

  it('an expired lease is taken over; the same holder renews its own', async () => {
    const store = new FileRecordStore(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'd4ai-lease-')), 'records.jsonl'));
    const t0 = new Date('2026-01-01T00:00:00Z');
    expect((await store.acquireLease('tenant-pass', 'a', 1000, t0)).acquired).toBe(true);
    expect((await store.acquireLease('tenant-pass', 'b', 1000, new Date(t0.getTime() + 500))).acquired).toBe(false);
    expect((await store.acquireLease('tenant-pass', 'a', 1000, new Date(t0.getTime() + 500))).acquired).toBe(true);
    expect((await store.acquireLease('tenant-pass', 'b', 1000, new Date(t0.getTime() + 5000))).acquired).toBe(true);
  });
});
