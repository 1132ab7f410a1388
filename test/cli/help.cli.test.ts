import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ROOT, builtEnv } from './built-cli';

/** Issue 19, help that teaches: through the built binary, with no settings at all (--help never needs them). */
const d4ai = (args: string[]): { code: number; stdout: string; stderr: string } => {
  const run = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'd4ai.js'), ...args], { env: builtEnv({}), encoding: 'utf8' });
  return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
};


// commander is an ES module jest cannot load: the list is checked against `d4ai --help` below.
const COMMANDS_WITH_EXAMPLES = ['govern', 'sweep', 'watch', 'event', 'apply', 'report', 'revert', 'records', 'runs', 'lease', 'config'];

const commands = (): string[] =>
  d4ai(['--help'])
    .stdout.split('Commands:')[1]!
    .split('\n')
    .map((l) => /^ {2}([a-z]+)\b/.exec(l)?.[1])
    .filter((c): c is string => c !== undefined && c !== 'help');

it('every command has examples', () => {
  expect(commands().sort()).toEqual([...COMMANDS_WITH_EXAMPLES].sort());
});

it.each(COMMANDS_WITH_EXAMPLES)('d4ai %s --help shows its options, the global ones that apply as "Global Options", and 2-3 examples', (command) => {
  const run = d4ai([command, '--help']);
  expect(run.code).toBe(0);
  const [own, rest] = run.stdout.split('Global Options:');
  expect(own).toContain('Options:');
  expect(rest).toContain('--output <format>');
  expect(rest).toContain('--settings <file>');
  expect(rest).not.toContain('--version');
  const examples = run.stdout.split('Examples:')[1] ?? '';
  const lines = examples.split('\n').filter((l) => l.trim().startsWith('$ d4ai') || l.trim().startsWith('$ cat'));
  expect(lines.length).toBeGreaterThanOrEqual(2);
  expect(lines.length).toBeLessThanOrEqual(3);
});

it('global options appear only where they apply', () => {
  const sweep = d4ai(['sweep', '--help']).stdout;
  expect(sweep).toMatch(/Options:[\s\S]*--out <file>[\s\S]*--all[\s\S]*Global Options:[\s\S]*--dry-run[\s\S]*--yes/);
  const records = d4ai(['records', '--help']).stdout.split('Global Options:')[1] ?? '';
  expect(records).not.toContain('--dry-run');
  expect(records).not.toContain('--yes');
  expect(records).not.toContain('--detailed-exitcode');
});

it('report --help does not say govern', () => {
  const run = d4ai(['report', '--help']);
  expect(run.stdout).not.toMatch(/govern/i);
  expect(run.stdout).toMatch(/report on the subscriptions below this management\s+group/);
});

it('after a typo: the suggestion and where help is, without the full help', () => {
  const run = d4ai(['swep']);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('(Did you mean sweep?)');
  expect(run.stderr).toContain('d4ai --help lists the commands');
  expect(run.stderr).not.toContain('Usage:');
  expect(run.stderr).not.toContain('Commands:');
  expect(run.stderr.split('\n').filter(Boolean).length).toBeLessThanOrEqual(3);
});
