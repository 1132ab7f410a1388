import type { RemediationRecord } from '../../../shared/records/record';
import { MAX_COLUMN_CHARS, SWEEP_PARTITION, WATCH_PARTITION, fromEntity, rowKeyFor, summaryEntity, toEntity } from '../../../shared/records/table-entity';
import { SUB } from '../../builders/context.builder';
import { minimalRecord, remediationRecord, sweepSummaryRecord } from '../../builders/record.builder';

describe('rowKeyFor', () => {
  it('is the inverted millisecond time, 13 digits wide, then the run id', () => {
    expect(rowKeyFor({ startedAt: '2024-05-01T12:00:00.000Z', runId: 'run-1' })).toBe('8285435199999-run-1');
    expect(rowKeyFor({ startedAt: '1970-01-01T00:00:00.000Z', runId: 'r' })).toBe('9999999999999-r');
    // Late enough that the inverted value has leading zeros.
    expect(rowKeyFor({ startedAt: new Date(9_999_999_999_000).toISOString(), runId: 'r' })).toBe('0000000000999-r');
  });

  it('sorts newest first, lexicographically, across digit-count changes and milliseconds', () => {
    const times = [
      '2025-03-14T09:26:53.589Z',
      '2025-03-14T09:26:53.590Z',
      '2001-09-09T01:46:39.999Z',
      '2001-09-09T01:46:40.000Z',
      '1999-12-31T23:59:59.999Z',
      '2024-02-29T00:00:00.000Z',
      '2038-01-19T03:14:08.000Z',
      '2100-06-01T00:00:00.000Z',
      '1985-10-26T01:21:00.000Z',
      '2025-03-14T09:26:54.000Z',
    ];
    const keys = times.map((recordedAt, i) => ({ recordedAt, key: rowKeyFor({ startedAt: recordedAt, runId: `run-${i}` }) }));
    const byKey = [...keys].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((k) => k.recordedAt);
    const newestFirst = [...times].sort((a, b) => Date.parse(b) - Date.parse(a));

    expect(byKey).toEqual(newestFirst);
    for (const { key } of keys) expect(key).toMatch(/^\d{13}-run-\d$/);
  });

  it('keeps records of the same millisecond apart by run id', () => {
    const recordedAt = '2025-03-14T09:26:53.589Z';

    expect(rowKeyFor({ startedAt: recordedAt, runId: 'a' })).not.toBe(rowKeyFor({ startedAt: recordedAt, runId: 'b' }));
  });

  it('generates keys in newest-first order for a run of generated timestamps', () => {
    const start = Date.parse('2025-01-01T00:00:00.000Z');
    const generated = Array.from({ length: 50 }, (_, i) => new Date(start + i * i * 7_919 + i).toISOString());
    const keys = generated.map((recordedAt) => rowKeyFor({ startedAt: recordedAt, runId: 'same' }));

    expect([...keys].sort()).toEqual([...keys].reverse());
  });
});

describe('toEntity', () => {
  it('partitions by subscription and flattens the record into table columns', () => {
    const record = remediationRecord({
      skipReason: 'cap-reached',
      error: { code: 'ExtensionFailed', message: 'AIModelScanner: quota' },
      warnings: ['A policy disagrees.'],
    });

    expect(toEntity(record)).toEqual({
      partitionKey: SUB,
      rowKey: rowKeyFor(record),
      subscriptionId: SUB,
      runId: record.runId,
      startedAt: record.startedAt,
      recordedAt: record.recordedAt,
      trigger: 'event',
      mode: 'enforce',
      action: 'enable',
      outcome: 'applied',
      aiResourceCount: 1,
      durationMs: 812,
      version: '0.1.0',
      skipReason: 'cap-reached',
      tierBefore: 'Free',
      tierAfter: 'Standard',
      errorCode: 'ExtensionFailed',
      errorMessage: 'AIModelScanner: quota',
      triggerDetail: JSON.stringify(record.triggerDetail),
      pricingBefore: JSON.stringify(record.pricingBefore),
      pricingAfter: JSON.stringify(record.pricingAfter),
      aiResourceIds: JSON.stringify(record.aiResourceIds),
      reasons: JSON.stringify(record.reasons),
      warnings: '["A policy disagrees."]',
    });
  });

  it('writes no column for an absent optional field', () => {
    const entity = toEntity(minimalRecord());

    expect(Object.keys(entity).sort()).toEqual(
      [
        'partitionKey',
        'rowKey',
        'subscriptionId',
        'runId',
        'startedAt',
        'recordedAt',
        'trigger',
        'mode',
        'action',
        'outcome',
        'aiResourceCount',
        'durationMs',
        'version',
        'aiResourceIds',
        'reasons',
        'warnings',
      ].sort(),
    );
  });

  it.each([
    ['a full record', remediationRecord({ skipReason: 'inherited', error: { code: 'X', message: 'y' } })],
    ['a minimal record', minimalRecord()],
  ])('holds only strings, numbers and booleans (%s)', (_case, record) => {
    for (const [column, value] of Object.entries(toEntity(record))) {
      expect({ column, type: typeof value }).toEqual({ column, type: expect.stringMatching(/^(string|number|boolean)$/) });
    }
  });

  it('cuts a long error message to 4000 characters', () => {
    const entity = toEntity(minimalRecord({ error: { code: 'Huge', message: 'x'.repeat(10_000) } }));

    expect(entity.errorMessage).toBe('x'.repeat(4000));
  });
});

describe('fromEntity', () => {
  it.each<[string, RemediationRecord]>([
    ['every optional field', remediationRecord({ skipReason: 'inherited', error: { code: 'VerificationFailed', message: 'Read-back shows X.' } })],
    ['the builder default', remediationRecord()],
    ['no optional field', minimalRecord()],
    ['a record with an error but no decision', minimalRecord({ error: { code: 'AuthorizationFailed', message: '' } })],
    [
      'unicode and punctuation in texts',
      remediationRecord({ reasons: ['Résumé: "quoted", ;semicolons; and\nnew lines'], warnings: ['⚠ ünïcödé'] }),
    ],
  ])('round-trips a record with %s to an equal record', (_case, record) => {
    const back = fromEntity(toEntity(record));

    expect(back).toEqual(record);
    expect(Object.keys(back).sort()).toEqual(Object.keys(record).sort());
  });

  it('ignores the service columns the table adds (etag, timestamp)', () => {
    const record = remediationRecord();
    const stored = { ...toEntity(record), etag: 'W/"datetime\'2025-03-14T09%3A26%3A53.6Z\'"', timestamp: '2025-03-14T09:26:53.6Z' };

    expect(fromEntity(stored)).toEqual(record);
  });

  it('fills required fields with safe values from a sparse entity', () => {
    expect(fromEntity({ partitionKey: SUB, rowKey: 'k' })).toEqual({
      subscriptionId: SUB,
      runId: '',
      startedAt: '',
      recordedAt: '',
      aiResourceCount: 0,
      aiResourceIds: [],
      reasons: [],
      warnings: [],
      durationMs: 0,
      version: '',
    });
  });
});

describe('summaryEntity', () => {
  it('stores the summary under the sweeps partition, newest first', () => {
    const summary = sweepSummaryRecord();

    expect(SWEEP_PARTITION).toBe('sweeps');
    expect(summaryEntity(summary)).toEqual({
      partitionKey: 'sweeps',
      rowKey: rowKeyFor({ startedAt: '2025-03-14T02:03:10.250Z', runId: 'b8e2f0c4-7a61-4d0e-9c5b-2a3f4e5d6c7b' }),
      kind: 'sweep-summary',
      sweepId: 'b8e2f0c4-7a61-4d0e-9c5b-2a3f4e5d6c7b',
      trigger: 'sweep',
      mode: 'enforce',
      scope: '{"managementGroup":"contoso"}',
      startedAt: '2025-03-14T02:00:00.000Z',
      finishedAt: '2025-03-14T02:03:10.250Z',
      subscriptions: 13,
      byAction: '{"enable":3,"none":4,"skip":6}',
      byOutcome: '{"applied":3,"no-op":10}',
      capReached: 0,
      failed: 1,
      version: '0.1.0',
    });
  });

  it('orders a later sweep before an earlier one', () => {
    const earlier = summaryEntity(sweepSummaryRecord({ finishedAt: '2025-03-13T02:03:00.000Z' }));
    const later = summaryEntity(sweepSummaryRecord({ finishedAt: '2025-03-14T02:03:00.000Z' }));

    expect(later.rowKey < earlier.rowKey).toBe(true);
  });

  it('stores a watch pass under its own partition, with its candidates', () => {
    expect(WATCH_PARTITION).toBe('watches');
    const entity = summaryEntity({
      kind: 'watch-summary',
      watchId: 'w-1',
      trigger: 'watch',
      mode: 'enforce',
      scope: {},
      startedAt: '2025-03-14T02:00:00.000Z',
      finishedAt: '2025-03-14T02:00:04.000Z',
      subscriptions: 10000,
      candidates: 1,
      byOutcome: { started: 1 },
      capReached: 0,
      failed: 0,
      version: '0.1.0',
    });
    expect(entity).toMatchObject({ partitionKey: 'watches', kind: 'watch-summary', watchId: 'w-1', candidates: 1, subscriptions: 10000, byOutcome: '{"started":1}' });
    expect(entity).not.toHaveProperty('byAction');
  });

  it('holds only strings, numbers and booleans', () => {
    for (const value of Object.values(summaryEntity(sweepSummaryRecord()))) {
      expect(['string', 'number', 'boolean']).toContain(typeof value);
    }
  });
});

describe('a record too large for one Table Storage property', () => {
  it('keeps each JSON column under the limit by dropping items off the end, and says how many', () => {
    const findings = Array.from({ length: 2000 }, (_, i) => ({ type: 'prompt-shields-off' as const, message: `Deployment d-${i} of ais-big: content filter relaxed has Jailbreak (Prompt) off.` }));
    const entity = toEntity(remediationRecord({ findings }));
    expect(String(entity.findings).length).toBeLessThanOrEqual(MAX_COLUMN_CHARS);
    const kept = (JSON.parse(String(entity.findings)) as unknown[]).length;
    expect(kept).toBeGreaterThan(0);
    expect(entity.findingsOmitted).toBe(2000 - kept);
    const read = fromEntity(entity);
    expect(read.findings).toHaveLength(kept);
    // The reader is told the stored record is shortened.
    expect(read.warnings).toContain(`${2000 - kept} item(s) of findings left out of this stored record: over the Table Storage column limit.`);
  });

  it('an object column too large is left out whole (never cut into invalid JSON), and the row still reads', () => {
    const triggerDetail = { note: 'x'.repeat(MAX_COLUMN_CHARS + 10) };
    const entity = toEntity(remediationRecord({ triggerDetail }));
    expect(entity.triggerDetail).toBeUndefined();
    expect(entity.triggerDetailOmitted).toBe(1);
    const read = fromEntity(entity);
    expect(read.triggerDetail).toBeUndefined();
    expect(read.warnings).toContain('1 item(s) of triggerDetail left out of this stored record: over the Table Storage column limit.');
  });
});
