import { RECORD_CSV_COLUMNS, changeCell, csvLine, historyTable, recordCsv, recordsTable, runSummaryText, runsTable, table, wrap } from '../../../shared/cli/output';
import { planChange } from '../../../shared/domain/plan';
import type { SweepSummaryRecord, WatchSummaryRecord } from '../../../shared/records/record';
import { SUB, freePlan } from '../../builders/context.builder';
import { minimalRecord, remediationRecord, sweepSummaryRecord } from '../../builders/record.builder';
import { defaultEnablePricing } from '../../fixtures/pricing-bodies';

const STANDARD_ON = { tier: 'Standard' as const, extensions: { AIPromptEvidence: true, AIPromptSharingWithPurview: false, AIModelScanner: true } };

describe('table', () => {
  it('pads every column to its widest cell, separates columns by two spaces and trims line ends', () => {
    expect(table(['NAME', 'N'], [['alpha', '1'], ['b', '22'], ['', '']])).toBe('NAME   N\nalpha  1\nb      22\n');
  });

  it('is the header alone without rows', () => {
    expect(table(['A', 'BB', 'C'], [])).toBe('A  BB  C');
  });

  it('never cuts a cell: a table wider than the width wraps its widest column at spaces', () => {
    const long = 'Policy exemption /providers/Microsoft.Management/managementGroups/contoso/providers/Microsoft.Authorization/policyExemptions/legacy (Waiver) until 2099-01-01T00:00:00Z.';
    const text = table(['SUBSCRIPTION', 'WHY'], [['legacy-exempt', long]], 80);
    const lines = text.split('\n');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    // Every word of the cell is still there, in order.
    const whyColumn = lines.map((l) => l.slice(lines[0]?.indexOf('WHY') ?? 0).trim()).slice(1).join(' ');
    expect(whyColumn.replace(/\s+/g, '')).toBe(long.replace(/\s+/g, ''));
  });

  it('escapes control characters from input', () => {
    expect(table(['ID'], [['evt\u001b[2J']])).toBe('ID\nevt\\u001b[2J');
  });
});

describe('wrap', () => {
  it('breaks at the last space that fits, and hard-breaks a word longer than the width', () => {
    expect(wrap('one two three four', 9)).toEqual(['one two', 'three', 'four']);
    expect(wrap('abcdefghijkl', 5)).toEqual(['abcde', 'fghij', 'kl']);
    expect(wrap('short', 10)).toEqual(['short']);
  });
});

describe('recordsTable', () => {
  it('shows the subscription by name and id, the action, the outcome and the change, then every reason in full', () => {
    const dryRun = remediationRecord({
      subscriptionName: 'corp-ai-prod',
      mode: 'report',
      outcome: 'dry-run',
      pricingAfter: { tier: 'Free', extensions: {} },
      change: planChange(freePlan(), defaultEnablePricing()),
      reasons: ['1 AI resource(s) found.', 'Plan is Free: switch to Standard with AIPromptEvidence, AIModelScanner.', 'Report mode (dry run): nothing was written.'],
      warnings: ['A DeployIfNotExists assignment wants AIPromptSharingWithPurview on.'],
    });
    expect(recordsTable([dryRun])).toBe(
      [
        'SUBSCRIPTION                                         ACTION  OUTCOME  CHANGE',
        `corp-ai-prod (${SUB})  enable  dry-run  Free → Standard +AIPromptEvidence +AIModelScanner (AIPromptSharingWithPurview stays off)`,
        '',
        `  corp-ai-prod (${SUB}), 2025-03-14 09:26:53 UTC:`,
        '    1 AI resource(s) found.',
        '    Plan is Free: switch to Standard with AIPromptEvidence, AIModelScanner.',
        '    Report mode (dry run): nothing was written.',
        '    warning: A DeployIfNotExists assignment wants AIPromptSharingWithPurview on.',
      ].join('\n'),
    );
  });

  it('shows the state found for a decision that changes nothing, and the error in full for a failure', () => {
    const compliant = minimalRecord({ action: 'none', outcome: 'no-op', pricingBefore: STANDARD_ON, pricingAfter: STANDARD_ON, reasons: [] });
    const failed = minimalRecord({ subscriptionId: '11111111-2222-3333-4444-555555555555', error: { code: 'AuthorizationFailed', message: 'x'.repeat(300) } });
    const text = recordsTable([compliant, failed]);
    expect(text).toContain('Standard [PromptEvidence,ModelScanner] (unchanged)');
    expect(text).toContain(`    error: AuthorizationFailed: ${'x'.repeat(300)}`);
  });

  it('is only the header without records', () => {
    expect(recordsTable([])).toBe('SUBSCRIPTION  ACTION  OUTCOME  CHANGE');
  });
});

describe('changeCell', () => {
  it('names what is kept on and what unknown extensions are passed through', () => {
    const current = { tier: 'Standard' as const, extensions: [{ name: 'AIPromptSharingWithPurview', enabled: true }, { name: 'AIFuture', enabled: false }], inherited: false, enforce: false };
    const body = { pricingTier: 'Standard' as const, extensions: [...defaultEnablePricing().extensions.map((e) => (e.name === 'AIPromptSharingWithPurview' ? { ...e, isEnabled: 'True' as const } : e)), { name: 'AIFuture', isEnabled: 'False' as const }] };
    const record = remediationRecord({ action: 'add-components', change: planChange(current, body) });
    expect(changeCell(record)).toBe('Standard +AIPromptEvidence +AIModelScanner (AIPromptSharingWithPurview kept on; AIFuture (unknown) kept as is)');
  });
});

describe('historyTable', () => {
  it('has TIME, TRIGGER and MODE columns', () => {
    const text = historyTable([remediationRecord({ subscriptionName: 'corp' })], 400);
    const [header, row] = text.split('\n');
    expect(header).toMatch(/^TIME \(UTC\)\s+SUBSCRIPTION\s+RUN\s+TRIGGER\s+ACTOR\s+MODE\s+ACTION\s+OUTCOME\s+CHANGE$/);
    expect(row).toMatch(/^2025-03-14 09:26:53\s+corp \(.+\)\s+\S+\s+event\s+-\s+enforce\s+enable\s+applied/);
  });

  it('names who started a manual run by object id (an application\'s app id is in the CSV)', () => {
    const person = remediationRecord({ trigger: 'cli', actor: { objectId: '11111111-1111-4111-8111-111111111111' } });
    const app = remediationRecord({ trigger: 'manual', actor: { objectId: '33333333-3333-4333-8333-333333333333', appId: '44444444-4444-4444-8444-444444444444' } });
    const [, first, second] = historyTable([person, app], 400).split('\n');
    expect(first).toMatch(/\scli\s+11111111-1111-4111-8111-111111111111\s+enforce\s/);
    expect(second).toMatch(/\smanual\s+33333333-3333-4333-8333-333333333333\s+enforce\s/);
    expect(recordCsv(app).endsWith(',33333333-3333-4333-8333-333333333333,44444444-4444-4444-8444-444444444444')).toBe(true);
    expect(RECORD_CSV_COLUMNS.slice(-2)).toEqual(['actorObjectId', 'actorAppId']);
  });
});

describe('runSummaryText', () => {
  it('summarises scope, counts and changes by kind', () => {
    const summary: SweepSummaryRecord = sweepSummaryRecord({ byChange: { 'Free → Standard': 3, '+AIModelScanner': 4 } });
    expect(runSummaryText(summary)).toBe(
      [
        'Sweep b8e2f0c4-7a61-4d0e-9c5b-2a3f4e5d6c7b (enforce, management group contoso): 13 subscription(s)',
        '  actions:  enable=3 none=4 skip=6',
        '  outcomes: applied=3 no-op=10',
        '  changes applied: Free → Standard=3 +AIModelScanner=4',
      ].join('\n'),
    );
  });

  it('shows none, the cap, unrecorded subscriptions and a snapshot that failed', () => {
    const summary = sweepSummaryRecord({ scope: { subscriptions: [SUB] }, byAction: {}, byOutcome: {}, capReached: 2 });
    expect(runSummaryText(summary, [{ subscriptionId: SUB, code: 'RecordWriteFailed:ENOSPC', message: 'disk full' }, { subscriptionId: '*', code: 'Timeout', message: 'no answer' }])).toBe(
      [
        `Sweep b8e2f0c4-7a61-4d0e-9c5b-2a3f4e5d6c7b (enforce, subscriptions ${SUB}): 13 subscription(s)`,
        '  actions:  none',
        '  outcomes: none',
        '  cap reached for 2 subscription(s)',
        `  NOT RECORDED ${SUB}: RecordWriteFailed:ENOSPC disk full`,
        '  NOT RECORDED (snapshot): Timeout no answer',
      ].join('\n'),
    );
  });

  it('says how many subscriptions a watch pass found needing a write', () => {
    const watch: WatchSummaryRecord = { ...sweepSummaryRecord(), kind: 'watch-summary', watchId: 'w-1', candidates: 2, scope: {} };
    expect(runSummaryText(watch).split('\n')[0]).toBe('Watch pass w-1 (enforce, every subscription the identity can read): 13 subscription(s), 2 needing a write');
  });
});

describe('runsTable and CSV', () => {
  it('lists runs with when, kind, id, trigger, mode, scope, counts and failures', () => {
    const [header, row] = runsTable([sweepSummaryRecord()]).split('\n');
    expect(header).toMatch(/^STARTED \(UTC\)\s+KIND\s+ID\s+TRIGGER\s+ACTOR\s+MODE\s+SCOPE\s+SUBSCRIPTIONS\s+OUTCOMES\s+FAILED$/);
    expect(row).toMatch(/^2025-03-14 02:00:00\s+sweep\s+b8e2f0c4-\S+\s+sweep\s+-\s+enforce\s+management group contoso\s+13\s+applied=3 no-op=10\s+1$/);
    const manual = runsTable([{ ...sweepSummaryRecord(), trigger: 'manual', actor: { objectId: '11111111-1111-4111-8111-111111111111' } }], 400).split('\n')[1];
    expect(manual).toMatch(/\smanual\s+11111111-1111-4111-8111-111111111111\s+enforce\s/);
  });

  it('quotes CSV cells with commas or quotes, doubles quotes, and never breaks a line', () => {
    expect(csvLine(['a', 'b,c', 'say "hi"', 'two\nlines'])).toBe('a,"b,c","say ""hi""",two\\nlines');
  });
});
