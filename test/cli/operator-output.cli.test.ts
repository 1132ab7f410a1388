import { randomUUID } from 'node:crypto';
import type { CliContext, GlobalFlags } from '../../shared/cli/context';
import { sweepCommand } from '../../shared/cli/commands';
import { recordsCommand, runsCommand, type RecordsOptions } from '../../shared/cli/history.commands';
import { reportCommand } from '../../shared/cli/report.command';
import { buildLandingZone, type LandingZone } from '../../sim/landing-zone';
import { inProcess, useLandingZoneProcess, type Command, type Run } from './in-process';

/**
 * Issue 19, output a person reads: the default sweep shows what needs a look and counts the rest,
 * reasons name their row, colour only on a terminal, summary counts that say planned or applied,
 * records with the run id, runs CSV without JSON, and a --subscription that matches nothing.
 */
const lab = useLandingZoneProcess();
let zone: LandingZone;
const ESC = '\u001b[';

beforeAll(() => {
  process.env.D4AI_RECORDS_TABLE = `Out${randomUUID().replace(/-/g, '').slice(0, 12)}`;
});
beforeEach(() => {
  lab.lz.arm.reset();
  zone = buildLandingZone(lab.lz.arm.state);
});

const sweep = (all = false, subscriptions?: string): Command => (ctx: CliContext) => sweepCommand(all ? { ...ctx, all: true } : ctx, subscriptions);
const records = (options: Partial<RecordsOptions>): Command => (ctx) => recordsCommand(ctx, { limit: '50', ...options });
const d4ai = (flags: GlobalFlags, command: Command, options: { tty?: boolean; env?: Record<string, string> } = {}): Promise<Run> => inProcess(flags, command, { ...options, env: { TERM: 'xterm-256color', ...(options.env ?? {}) } });

it('a default sweep shows the changes (and warnings) with a one-line count of the rest; --all shows every row', async () => {
  const run = await d4ai({ dryRun: true }, sweep());
  expect(run.code).toBe(0);
  const rows = run.stdout.split('\n\n')[0] ?? '';
  expect(rows).toContain('corp-ai-prod (');
  expect(rows).not.toMatch(/^identity \(/m);
  expect(rows).not.toMatch(/^research-opt-out \(/m);
  expect(run.stdout).toMatch(/^\d+ other subscription\(s\) with nothing to change \(.*skip \(no-ai-resources\) 2.*\): --all shows every row\.$/m);

  const every = await d4ai({ dryRun: true }, sweep(true));
  expect(every.stdout).toMatch(/^identity \(/m);
  expect(every.stdout).toMatch(/^research-opt-out \(/m);
  expect(every.stdout).not.toContain('--all shows every row');
});

it('reasons blocks name their row (subscription and time) and do not repeat themselves', async () => {
  const run = await d4ai({ dryRun: true }, sweep(true));
  expect(run.stdout).toMatch(new RegExp(`^  corp-ai-prod \\(${zone.ids['corp-ai-prod']}\\), \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} UTC:$`, 'm'));
  expect(run.stdout).toContain('Plan is Standard with all of AIPromptEvidence, AIModelScanner on.');
  expect(run.stdout).not.toMatch(/with all of [^\n]*\(enabled: /);
});

it('colour on a terminal (added, warnings), none with NO_COLOR or off a terminal', async () => {
  const tty = await d4ai({ dryRun: true }, sweep(), { tty: true });
  expect(tty.stdout).toContain(`${ESC}32m`); // added
  expect(tty.stdout).toContain(`${ESC}33m`); // warnings
  const noColor = await d4ai({ dryRun: true }, sweep(), { tty: true, env: { NO_COLOR: '1' } });
  expect(noColor.stdout).not.toContain(ESC);
  const pipe = await d4ai({ dryRun: true }, sweep());
  expect(pipe.stdout).not.toContain(ESC);
  const json = await d4ai({ dryRun: true, json: true }, sweep(), { tty: true });
  expect(json.stdout).not.toContain(ESC);
});

it('the summary says whether changes were planned or applied, and a failed extension is not counted as added', async () => {
  const dry = await d4ai({ dryRun: true }, sweep());
  expect(dry.stdout).toMatch(/^ {2}changes planned \(nothing written\): .*\+AIModelScanner=5/m);
  const enforced = await d4ai({ yes: true }, sweep());
  expect(enforced.code).toBe(0);
  // flaky-scanner's region refuses the model scanner: 4 subscriptions got it, not 5.
  expect(enforced.stdout).toMatch(/^ {2}changes applied: .*\+AIModelScanner=4(\s|$)/m);
  expect(enforced.stdout).toMatch(/^flaky-scanner \(.*partial/m);
});

it('records shows the run id; with no filter it says how to find one (d4ai runs)', async () => {
  const done = await d4ai({ dryRun: true, json: true }, sweep());
  const { records: decided } = JSON.parse(done.stdout) as { records: Array<{ subscriptionId: string; runId: string }> };
  const runId = decided.find((r) => r.subscriptionId === zone.ids['corp-ai-prod'])?.runId ?? 'none';
  const history = await d4ai({}, records({ subscription: zone.ids['corp-ai-prod'], limit: '1' }));
  expect(history.stdout.split('\n')[0]).toMatch(/\bRUN\b/);
  expect(history.stdout).toContain(runId);

  const bare = await d4ai({}, records({}));
  expect(bare.code).toBe(2);
  expect(bare.stderr).toContain('`d4ai runs` lists recent sweeps and watch passes with their ids');
  expect(bare.stderr).toMatch(/Latest: [^\n]*, e\.g\. d4ai records --run \S+\./);
});

it('runs -o csv has no JSON in a cell', async () => {
  await d4ai({ dryRun: true }, sweep());
  const run = await d4ai({ output: 'csv' }, (ctx) => runsCommand(ctx, { limit: '5' }));
  expect(run.code).toBe(0);
  expect(run.stdout).not.toMatch(/[{}]/);
  expect(run.stdout).toMatch(/no-op=\d+/);
});

it('a --subscription that matches nothing in scope says so (sweep and report)', async () => {
  const nowhere = randomUUID();
  const run = await d4ai({ dryRun: true }, sweep(false, nowhere));
  expect(run.stderr).toContain(`warning: --subscription ${nowhere} matched nothing in scope`);
  const report = await d4ai({}, (ctx) => reportCommand(ctx, { subscription: `${zone.ids['corp-ai-prod']},${nowhere}` }));
  expect(report.stderr).toContain(`warning: --subscription ${nowhere} matched nothing in scope`);
  expect(report.stderr).not.toContain(`--subscription ${zone.ids['corp-ai-prod']} matched nothing`);
});
