import { recordsTable, runSummaryText, table } from '../../../shared/cli/output';
import type { SweepSummaryRecord } from '../../../shared/records/record';
import { SUB } from '../../builders/context.builder';
import { minimalRecord, remediationRecord } from '../../builders/record.builder';

const STANDARD_ON = { tier: 'Standard' as const, extensions: { AIPromptEvidence: true, AIPromptSharingWithPurview: false, AIModelScanner: true } };

/** Start index of every column, read from the header line. */
function columnStarts(header: string): number[] {
  return [0, ...[...header.matchAll(/ {2,}(?=\S)/g)].map((m) => (m.index ?? 0) + m[0].length)];
}

describe('table', () => {
  it('pads every column to its widest cell, separates columns by two spaces and trims line ends', () => {
    expect(table(['NAME', 'N'], [['alpha', '1'], ['b', '22'], ['', '']])).toBe('NAME   N\nalpha  1\nb      22\n');
  });

  it('is the header alone without rows', () => {
    expect(table(['A', 'BB', 'C'], [])).toBe('A  BB  C');
  });

  it('keeps a 60-character cell and cuts a longer one to 59 characters and an ellipsis', () => {
    const sixty = 'a'.repeat(60);
    const long = `${'b'.repeat(59)}TAIL-THAT-IS-CUT`;
    const lines = table(['X', 'Y'], [[sixty, 'end'], [long, 'end']]).split('\n');

    expect(lines[1]).toBe(`${sixty}  end`);
    expect(lines[2]).toBe(`${'b'.repeat(59)}…  end`);
    expect(lines.every((l) => !l.includes('TAIL'))).toBe(true);
  });

  it('cuts header cells the same way', () => {
    expect(table(['H'.repeat(70)], [['x']])).toBe(`${'H'.repeat(59)}…\nx`);
  });
});

describe('recordsTable', () => {
  it('renders one record as this exact text', () => {
    const record = minimalRecord({
      action: 'none',
      outcome: 'no-op',
      pricingBefore: STANDARD_ON,
      pricingAfter: STANDARD_ON,
      aiResourceCount: 2,
      reasons: ['Considered first.', 'Compliant.'],
    });

    expect(recordsTable([record])).toBe(
      [
        `${'SUBSCRIPTION'.padEnd(36)}  ACTION  OUTCOME  ${'BEFORE'.padEnd(38)}  ${'AFTER'.padEnd(38)}  AI  WHY / ERROR`,
        `${SUB}  none    no-op    Standard [PromptEvidence,ModelScanner]  Standard [PromptEvidence,ModelScanner]  2   Compliant.`,
      ].join('\n'),
    );
  });

  it('aligns every cell under its header across records of different shapes', () => {
    const records = [
      remediationRecord({ reasons: ['Short.'] }),
      minimalRecord({
        subscriptionId: '11111111-2222-3333-4444-555555555555',
        action: 'skip',
        skipReason: 'inherited',
        outcome: 'no-op',
        pricingBefore: { tier: 'Standard', extensions: { AIPromptEvidence: true }, inherited: true },
        reasons: ['Inherited.'],
      }),
      minimalRecord({ error: { code: 'AuthorizationFailed', message: 'No access.' }, reasons: ['ignored when there is an error'] }),
    ];
    const [header, ...rows] = recordsTable(records).split('\n');
    const starts = columnStarts(header ?? '');

    expect(starts).toHaveLength(7);
    expect(rows).toHaveLength(3);
    const cells = rows.map((line) => starts.map((start, i) => line.slice(start, starts[i + 1]).trim()));
    expect(cells).toEqual([
      [SUB, 'enable', 'applied', 'Free', 'Standard [PromptEvidence,ModelScanner]', '1', 'Short.'],
      ['11111111-2222-3333-4444-555555555555', 'skip (inherited)', 'no-op', 'Standard* [PromptEvidence]', '-', '0', 'Inherited.'],
      [SUB, 'undecided', 'failed', '-', '-', '0', 'AuthorizationFailed: No access.'],
    ]);
    // Every cell starts exactly at its column (no cell spills into the next).
    for (const line of rows) for (const start of starts.slice(1)) expect(line[start - 1]).toBe(' ');
  });

  it('shows an empty reason when a record has none', () => {
    const [, row] = recordsTable([minimalRecord({ reasons: [] })]).split('\n');

    expect(row).toBe(`${SUB}  undecided  failed   -       -      0`);
  });

  it('cuts a long reason to 60 characters', () => {
    const reason = `Plan is Standard but AIPromptEvidence (user prompt evidence), AIModelScanner (AI model security) is off: switch on.`;
    const [, row] = recordsTable([remediationRecord({ reasons: [reason] })]).split('\n');

    expect(row?.endsWith(`${reason.slice(0, 59)}…`)).toBe(true);
  });

  it('is only the header without records', () => {
    expect(recordsTable([])).toBe('SUBSCRIPTION  ACTION  OUTCOME  BEFORE  AFTER  AI  WHY / ERROR');
  });
});

describe('runSummaryText', () => {
  const summary = (overrides: Partial<SweepSummaryRecord> = {}): SweepSummaryRecord => ({
    kind: 'sweep-summary',
    sweepId: 'sweep-1',
    trigger: 'cli',
    mode: 'report',
    scope: {},
    startedAt: '2025-03-14T02:00:00.000Z',
    finishedAt: '2025-03-14T02:01:00.000Z',
    subscriptions: 3,
    byAction: { enable: 2, skip: 1 },
    byOutcome: { 'dry-run': 2, 'no-op': 1 },
    capReached: 0,
    failed: 0,
    version: '0.1.0',
    ...overrides,
  });

  it('summarises counts', () => {
    expect(runSummaryText(summary())).toBe(
      ['Sweep sweep-1 (report): 3 subscription(s)', '  actions:  enable=2 skip=1', '  outcomes: dry-run=2 no-op=1'].join('\n'),
    );
  });

  it('shows none, the cap, unrecorded subscriptions and a snapshot that failed', () => {
    const text = runSummaryText(summary({ subscriptions: 0, byAction: {}, byOutcome: {}, capReached: 4 }), [
      { subscriptionId: SUB, code: 'TableUnavailable', message: 'Table Storage did not answer.' },
      { subscriptionId: '*', code: 'TooManyRequests', message: 'Throttled.' },
    ]);

    expect(text).toBe(
      [
        'Sweep sweep-1 (report): 0 subscription(s)',
        '  actions:  none',
        '  outcomes: none',
        '  cap reached for 4 subscription(s)',
        `  NOT RECORDED ${SUB}: TableUnavailable Table Storage did not answer.`,
        '  NOT RECORDED (snapshot): TooManyRequests Throttled.',
      ].join('\n'),
    );
  });

  it('says how many subscriptions a watch pass found needing a write', () => {
    const text = runSummaryText({
      kind: 'watch-summary',
      watchId: 'watch-1',
      trigger: 'cli',
      mode: 'enforce',
      scope: { managementGroup: 'contoso' },
      startedAt: '2025-03-14T02:00:00.000Z',
      finishedAt: '2025-03-14T02:00:03.000Z',
      subscriptions: 10000,
      candidates: 1,
      byOutcome: { applied: 1 },
      capReached: 0,
      failed: 0,
      version: '0.1.0',
    });
    expect(text).toBe(['Watch pass watch-1 (enforce): 10000 subscription(s), 1 needing a write', '  outcomes: applied=1'].join('\n'));
  });
});
