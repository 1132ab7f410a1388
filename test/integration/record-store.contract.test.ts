import * as fs from 'node:fs';
import * as path from 'node:path';
import { TableRecordStore } from '../../shared/azure/records.table';
import type { RecordStore } from '../../shared/records/record-store';
import { SqliteRecordStore } from '../../shared/records/records.sqlite';
import { startAzuriteTable, type AzuriteTable } from '../../sim/azurite';
import { remediationRecord, sweepSummaryRecord } from '../builders/record.builder';
import { useTempDirs } from '../support/temp-dirs';

/**
 * One contract, two stores: the CLI's embedded SQLite file and Table Storage (Azurite, through
 * the real @azure/data-tables client). Whatever the engine and the CLI rely on holds for both.
 */
const SUB_A = '00000000-0000-4000-8000-00000000000a';
const SUB_B = '00000000-0000-4000-8000-00000000000b';
const noCredential = { getToken: async () => null };
let azurite: AzuriteTable;
let tables = 0;

beforeAll(async () => {
  azurite = await startAzuriteTable();
}, 60_000);
afterAll(async () => {
  await azurite?.close();
});
const tempDir = useTempDirs();

const stores: Array<[string, () => RecordStore]> = [
  ['SQLite', () => new SqliteRecordStore(path.join(tempDir('contract'), 'd4ai.db'))],
  ['Table Storage (Azurite)', () => new TableRecordStore(azurite.connectionString, `Contract${++tables}${process.pid}`, noCredential, 'D4AI_RECORDS_CONNECTION')],
];

describe.each(stores)('RecordStore contract: %s', (_name, makeStore) => {
  let store: RecordStore;
  beforeEach(async () => {
    store = makeStore();
    await store.ensureWritable();
  });
  // The SQLite file is closed before its folder is removed (the Table client holds no handle to close).
  afterEach(() => {
    if (store instanceof SqliteRecordStore) store.close();
  });

  it('the outcome replaces its intent (same subscription, start and run id); lists are newest first and limited', async () => {
    const intent = remediationRecord({ subscriptionId: SUB_A, runId: 'r1', startedAt: '2026-01-01T00:00:00.000Z', recordedAt: '2026-01-01T00:00:01.000Z', outcome: 'intent' });
    await store.write(intent);
    expect((await store.listIntents(10)).records.map((r) => r.runId)).toEqual(['r1']);
    await store.write({ ...intent, outcome: 'applied', recordedAt: '2026-01-01T00:00:02.000Z' });
    // A reconciliation that comes after the live outcome does not overwrite it.
    expect(await store.replaceIntent({ ...intent, outcome: 'not-applied', recordedAt: '2026-01-01T00:00:03.000Z' })).toBe(false);
    await store.write(remediationRecord({ subscriptionId: SUB_A, runId: 'r2', startedAt: '2026-01-02T00:00:00.000Z', recordedAt: '2026-01-02T00:00:01.000Z', outcome: 'no-op' }));
    await store.write(remediationRecord({ subscriptionId: SUB_B, runId: 'r3', startedAt: '2026-01-03T00:00:00.000Z', recordedAt: '2026-01-03T00:00:01.000Z' }));
    const listed = await store.list(SUB_A.toUpperCase(), 10);
    expect(listed.records.map((r) => [r.runId, r.outcome])).toEqual([['r2', 'no-op'], ['r1', 'applied']]);
    expect((await store.list(SUB_A, 1)).records.map((r) => r.runId)).toEqual(['r2']);
    expect((await store.list(SUB_A, 10, { since: new Date('2026-01-02T00:00:00Z') })).records.map((r) => r.runId)).toEqual(['r2']);
    expect((await store.listIntents(10)).records).toEqual([]);
  });

  it('a run lists by its run id or its sweep id; a recovered outcome round-trips', async () => {
    const detail = { sweepId: 'sweep-x' };
    await store.write(remediationRecord({ subscriptionId: SUB_A, runId: 'a1', triggerDetail: detail, recordedAt: '2026-02-01T00:00:01.000Z', recovered: true }));
    await store.write(remediationRecord({ subscriptionId: SUB_B, runId: 'b1', triggerDetail: detail, recordedAt: '2026-02-01T00:00:02.000Z', outcome: 'intent' }));
    await store.write(remediationRecord({ subscriptionId: SUB_B, runId: 'other', recordedAt: '2026-02-01T00:00:03.000Z' }));
    const run = await store.listRun('sweep-x', 10);
    expect(run.records.map((r) => r.runId)).toEqual(['b1', 'a1']);
    expect(run.records[1]?.recovered).toBe(true);
    expect((await store.listRun('a1', 10)).records).toHaveLength(1);
    expect(await store.recentPassIds(new Date('2026-01-01T00:00:00Z'), 10)).toEqual(['sweep-x']);
    expect(await store.recentPassIds(new Date('2026-03-01T00:00:00Z'), 10)).toEqual([]);
    expect((await store.listIntents(10, { run: 'sweep-x' })).records.map((r) => r.subscriptionId)).toEqual([SUB_B]);
    expect((await store.listIntents(10, { subscriptionId: SUB_A })).records).toEqual([]);
    const intent = (await store.listIntents(1)).records[0];
    expect(intent && (await store.replaceIntent({ ...intent, outcome: 'not-applied', recordedAt: '2026-02-01T00:00:04.000Z' }))).toBe(true);
    expect((await store.listIntents(10)).records).toEqual([]);
    expect((await store.list(SUB_B, 5)).records.map((r) => r.outcome)).toEqual(['not-applied', 'applied']);
  });

  it('summaries: newest first, found by id, interrupted kept', async () => {
    await store.writeRunSummary(sweepSummaryRecord({ sweepId: 's1', finishedAt: '2026-03-01T00:00:00.000Z' }));
    await store.writeRunSummary(sweepSummaryRecord({ sweepId: 's2', finishedAt: '2026-03-02T00:00:00.000Z', interrupted: true }));
    expect((await store.listSummaries(10)).map((s) => (s.kind === 'sweep-summary' ? s.sweepId : ''))).toEqual(['s2', 's1']);
    expect(await store.summary('s2')).toMatchObject({ sweepId: 's2', interrupted: true });
    expect(await store.summary('nope')).toBeUndefined();
  });

  it('leases: one holder at a time, owner kept, expired taken over, released only by its holder', async () => {
    const t0 = new Date('2026-04-01T00:00:00Z');
    const owner = { host: 'build-01', pid: 4242, since: t0.toISOString() };
    expect(await store.acquireLease('tenant-pass', 'a', 1000, t0, owner)).toMatchObject({ acquired: true });
    expect(await store.acquireLease('tenant-pass', 'b', 1000, new Date(t0.getTime() + 500))).toEqual({ acquired: false, held: { name: 'tenant-pass', holder: 'a', expiresAt: '2026-04-01T00:00:01.000Z', owner } });
    await store.releaseLease('tenant-pass', 'b');
    expect((await store.currentLease('tenant-pass'))?.holder).toBe('a');
    expect(await store.acquireLease('tenant-pass', 'b', 1000, new Date(t0.getTime() + 5000))).toMatchObject({ acquired: true });
    expect((await store.currentLease('tenant-pass'))?.owner).toBeUndefined();
    await store.releaseLease('tenant-pass', 'b');
    expect(await store.currentLease('tenant-pass')).toBeUndefined();
    await store.writeLeaseBreak({ kind: 'lease-break', name: 'tenant-pass', holder: 'a', expiresAt: t0.toISOString(), brokenAt: t0.toISOString(), brokenBy: 'host pid 1', version: '0.1.0' });
    expect(await store.listLeaseBreaks(5)).toMatchObject([{ name: 'tenant-pass', holder: 'a', brokenBy: 'host pid 1' }]);
  });

  it('racing takers: exactly one gets a free lease', async () => {
    const now = new Date();
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => store.acquireLease('race', `holder-${i}`, 60_000, now)));
    expect(results.filter((r) => r.acquired)).toHaveLength(1);
  });

  it('prune deletes records and summaries before the cutoff, never an intent; export streams the rest', async () => {
    await store.write(remediationRecord({ subscriptionId: SUB_A, runId: 'old', recordedAt: '2020-01-01T00:00:00.000Z', startedAt: '2020-01-01T00:00:00.000Z' }));
    await store.write(remediationRecord({ subscriptionId: SUB_A, runId: 'old-intent', recordedAt: '2020-01-01T00:00:00.000Z', startedAt: '2020-01-01T00:00:00.000Z', outcome: 'intent' }));
    await store.write(remediationRecord({ subscriptionId: SUB_A, runId: 'new', recordedAt: '2026-01-01T00:00:00.000Z' }));
    await store.writeRunSummary(sweepSummaryRecord({ sweepId: 'old-sweep', finishedAt: '2020-01-01T00:00:00.000Z' }));
    expect(await store.prune(new Date('2025-01-01T00:00:00Z'))).toEqual({ records: 1, summaries: 1 });
    const exported: string[] = [];
    for await (const item of store.exportAll()) exported.push('kind' in item ? `summary:${item.kind}` : `record:${item.runId}`);
    expect(exported.sort()).toEqual(['record:new', 'record:old-intent']);
  });
});

describe('SQLite store specifics', () => {
  it('imports an earlier records.jsonl once, saying so, and skips a torn line', async () => {
    const dir = tempDir('import');
    const record = remediationRecord({ subscriptionId: SUB_A, runId: 'legacy' });
    fs.writeFileSync(path.join(dir, 'records.jsonl'), `${JSON.stringify({ ...record, outcome: 'intent' })}\n${JSON.stringify(record)}\n${JSON.stringify(sweepSummaryRecord())}\n{"subscriptionId":"cut`);
    const notices: string[] = [];
    const store = new SqliteRecordStore(path.join(dir, 'd4ai.db'), (m) => notices.push(m));
    expect((await store.list(SUB_A, 5)).records.map((r) => [r.runId, r.outcome])).toEqual([['legacy', 'applied']]);
    expect(await store.listSummaries(5)).toHaveLength(1);
    expect(notices).toEqual([expect.stringContaining('Imported 2 record line(s) and 1 run summary(ies)')]);
    expect(notices[0]).toContain('1 unreadable line(s) skipped');
    store.close();
    const again = new SqliteRecordStore(path.join(dir, 'd4ai.db'), (m) => notices.push(m));
    await again.ensureWritable();
    expect(notices).toHaveLength(1);
    again.close();
  });

  it('two connections on one file (as two processes): every record from both is there, none torn', async () => {
    const file = path.join(tempDir('two'), 'd4ai.db');
    const [a, b] = [new SqliteRecordStore(file), new SqliteRecordStore(file)];
    try {
      await Promise.all(
        [a, b].flatMap((s, w) => Array.from({ length: 200 }, (_, i) => s.write(remediationRecord({ subscriptionId: SUB_A, runId: `w${w}-${i}`, recordedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() })))),
      );
      expect((await a.list(SUB_A, 1000)).records).toHaveLength(400);
      expect((await b.list(SUB_A, 1000)).problems).toEqual([]);
    } finally {
      a.close();
      b.close();
    }
  });
});
