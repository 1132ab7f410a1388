import { Help, type Command, type Option } from 'commander';

/**
 * Help that teaches: every command's --help lists its own options and, under "Global Options",
 * the ones every command takes (as az shows "Global Arguments"), then two or three examples. After
 * a typo, commander's suggestion ("Did you mean sweep?") and one line on where help is, not the
 * whole help text.
 */
export const AFTER_ERROR = "(d4ai --help lists the commands; d4ai <command> --help shows a command's options and examples)";

const EXAMPLES: Record<string, string[]> = {
  govern: [
    '# what would change in one subscription (nothing is written)',
    'd4ai govern --subscription 00000000-0000-0000-0000-000000000001 --dry-run',
    '# govern it now, without the question (a script or pipeline)',
    'd4ai govern --subscription 00000000-0000-0000-0000-000000000001 --yes',
  ],
  sweep: [
    '# the plan for every subscription in scope, saved for review',
    'd4ai sweep --dry-run --out plan.json',
    '# every row, not only the changes, failures and warnings',
    'd4ai sweep --dry-run --all',
    '# two subscriptions, as JSON',
    'd4ai sweep --dry-run --subscription <id1>,<id2> --json',
  ],
  watch: [
    '# one pass: act only where a write is due',
    'd4ai watch --once --dry-run',
    '# a pass every 5 minutes until Ctrl-C (unattended: --yes)',
    'd4ai watch --interval 5m --yes',
  ],
  event: [
    '# an Event Grid delivery saved to a file',
    'd4ai event event.json --dry-run',
    '# from stdin',
    'cat event.json | d4ai event - --yes',
  ],
  apply: [
    '# apply exactly what was reviewed',
    'd4ai sweep --dry-run --out plan.json && d4ai apply plan.json',
    '# in CI: exit 3 when changes were pending',
    'd4ai apply plan.json --detailed-exitcode',
  ],
  report: [
    '# coverage of the estate in the terminal',
    'd4ai report',
    '# a page to forward, with 30 days of token volume',
    'd4ai report --tokens --html coverage.html',
    '# one management group, as CSV',
    'd4ai report --management-group contoso -o csv > coverage.csv',
  ],
  revert: [
    '# find the run, then put back what it changed',
    'd4ai runs',
    'd4ai revert --run sweep-2025-06-01 --dry-run',
    'd4ai revert --run sweep-2025-06-01 --subscription 00000000-0000-0000-0000-000000000001 --yes',
  ],
  records: [
    "# a subscription's audit trail",
    'd4ai records --subscription 00000000-0000-0000-0000-000000000001',
    "# one run's records across subscriptions (run ids: d4ai runs)",
    'd4ai records --run sweep-2025-06-01 --since 7d',
  ],
  runs: ['# the last week of sweeps and watch passes', 'd4ai runs --since 7d', '# as CSV for a spreadsheet', 'd4ai runs -o csv'],
  lease: [
    '# who holds the tenant-pass lease, until when, and the recent breaks',
    'd4ai lease',
    '# free a lease a dead run on another machine left (asks first; records the break)',
    'd4ai lease --break',
  ],
  config: ['# the effective settings and where each came from', 'd4ai config', "# the deployed app's settings", 'd4ai config --settings appsettings.json'],
};

/** The global options that mean something to each command (the output, --settings and --verbose apply everywhere). */
const GLOBALS_FOR: Record<string, readonly string[]> = {
  '--dry-run': ['govern', 'sweep', 'watch', 'event', 'revert'],
  '--yes': ['govern', 'sweep', 'watch', 'event', 'apply', 'revert', 'lease'],
  '--changes-only': ['govern', 'sweep', 'watch', 'event'],
  '--detailed-exitcode': ['govern', 'sweep', 'watch', 'event', 'apply', 'report'],
  '--version': [],
};

export function globalOptionApplies(command: string, option: Pick<Option, 'long'>): boolean {
  const only = option.long ? GLOBALS_FOR[option.long] : undefined;
  return only === undefined || only.includes(command);
}

/** Global options shown in every command's help (those that apply to it), and each command's examples after its options. */
export function addHelp(program: Command): void {
  const settings = {
    showGlobalOptions: true,
    visibleGlobalOptions(this: Help, cmd: Command): Option[] {
      return Help.prototype.visibleGlobalOptions.call(this, cmd).filter((o) => globalOptionApplies(cmd.name(), o));
    },
  };
  program.configureHelp({ ...program.configureHelp(), ...settings });
  for (const command of program.commands) {
    // Each command copied the program's help settings when it was added: set it on each.
    command.configureHelp({ ...command.configureHelp(), ...settings });
    const examples = EXAMPLES[command.name()];
    if (examples) command.addHelpText('after', `\nExamples:\n${examples.map((line) => `  ${line.startsWith('#') ? line : `$ ${line}`}`).join('\n')}\n`);
  }
}
