import { Command, CommanderError, Option } from 'commander';
import { VERSION } from '../version';
import { escapeControl } from '../observability/redact';
import type { PlanOutput } from './commands';
import { EXIT, UsageError, type CliContext, type GlobalFlags, type SettingFlags, type Terminal } from './context';
import { runCommand } from './run';
import { AFTER_ERROR, addHelp } from './help';
import { lazily } from '../lazy-load';
import { boundHeapGrowth } from '../heap-growth';

/*
 * Each command's module is loaded when that command runs (lazy-load.ts): the commands that call
 * Azure load the SDK, and `records`, `runs`, `lease` and `config` start without it.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const commands = lazily(() => require('./commands') as typeof import('./commands'));
const apply = lazily(() => require('./apply.command') as typeof import('./apply.command'));
const config = lazily(() => require('./config.command') as typeof import('./config.command'));
const history = lazily(() => require('./history.commands') as typeof import('./history.commands'));
const report = lazily(() => require('./report.command') as typeof import('./report.command'));
const revert = lazily(() => require('./revert.command') as typeof import('./revert.command'));
const recordsKeeping = lazily(() => require('./records.command') as typeof import('./records.command'));
const lease = lazily(() => require('./lease.command') as typeof import('./lease.command'));
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * d4ai: the governance engine from a terminal. Same engine, adapters and records as the
 * Functions app; settings come from the same D4AI_* environment variables, or from the deployed
 * app's settings (--settings FILE).
 */
export function buildProgram(run: (code: number) => void, terminal?: Terminal): Command {
  const program = new Command('d4ai')
    .description('Keep Defender for AI Services on, with the right components, wherever AI workloads run.')
    .version(VERSION)
    .addOption(new Option('--dry-run', 'decide and record, never write (forces D4AI_MODE=report)'))
    .addOption(new Option('-o, --output <format>', 'table (default), json or csv'))
    .addOption(new Option('--json', 'the same as --output json: one JSON document on stdout; logs and progress as JSON lines on stderr'))
    .addOption(new Option('--settings <file>', "the deployed app's settings: a local.settings.json, or the JSON of az functionapp config appsettings list"))
    .addOption(new Option('-y, --yes', 'do not ask before an enforcing run on a terminal'))
    .addOption(new Option('--changes-only', 'print only the subscriptions whose plan changes (or would, in a dry run)'))
    .addOption(new Option('--detailed-exitcode', 'dry runs, apply and report: exit 0 no changes, 1 error, 2 bad usage, 3 changes pending'))
    .addOption(new Option('--verbose', 'structured logs on stderr'))
    .exitOverride()
    .showHelpAfterError(AFTER_ERROR)
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  // Each command builds the context only when it runs, so --help never needs valid settings.
  const runWith = async (fn: (ctx: CliContext) => Promise<number> | number, settings: SettingFlags = {}): Promise<void> => {
    run(await runCommand(program.opts<GlobalFlags>(), settings, fn, terminal));
  };
  const managementGroup = (verb = 'govern'): Option => new Option('--management-group <id>', `${verb} the subscriptions below this management group (overrides D4AI_MANAGEMENT_GROUP)`);
  const subscriptions = (): Option => new Option('-s, --subscription <ids>', 'only these subscriptions (GUIDs, comma-separated)').conflicts('managementGroup');

  const out = (): Option => new Option('--out <file>', 'with --dry-run: save the plan (the writes, their exact bodies and the state they were planned on) for d4ai apply');
  const all = (): Option => new Option('--all', 'the table shows every subscription (by default: the changes, failures and warnings, and a count of the rest)');
  const expiresIn = (): Option => new Option('--expires-in <duration>', 'with --out: how long the saved plan may be applied (default 24h, at most 7d)');
  program
    .command('govern')
    .description('govern one subscription now')
    .requiredOption('-s, --subscription <id>', 'subscription id (GUID)')
    .addOption(out())
    .addOption(expiresIn())
    .action((opts: { subscription: string } & PlanOutput) => runWith((ctx) => commands().governCommand(ctx, opts.subscription, planFlags(opts))));
  program
    .command('sweep')
    .description('govern every subscription in scope from a Resource Graph snapshot: one record each, then a summary')
    .addOption(managementGroup())
    .addOption(subscriptions())
    .addOption(out())
    .addOption(expiresIn())
    .addOption(all())
    .action((opts: SettingFlags & PlanOutput & { subscription?: string; all?: boolean }) => {
      const { subscription, out: file, expiresIn: ttl, all: every, ...settings } = opts;
      return runWith((ctx) => commands().sweepCommand(every ? { ...ctx, all: true } : ctx, subscription, planFlags({ out: file, expiresIn: ttl })), settings);
    });
  program
    .command('watch')
    .description('tenant watch: act only on the subscriptions whose decision is a write (records for those, plus a watch summary)')
    .addOption(managementGroup())
    .addOption(subscriptions())
    .addOption(new Option('--once', 'one pass, then exit (the same output and exit codes as sweep)'))
    .addOption(new Option('--interval <duration>', 'a pass every <duration> (e.g. 5m) until interrupted').conflicts(['once', 'out']))
    .addOption(out())
    .addOption(expiresIn())
    .addOption(all())
    .action((opts: SettingFlags & PlanOutput & { once?: boolean; interval?: string; subscription?: string; all?: boolean }) => {
      const { once, interval, subscription, out: file, expiresIn: ttl, all: every, ...settings } = opts;
      if (!once && !interval) {
        return runWith(() => {
          throw new UsageError('watch needs --once or --interval <duration> (e.g. --interval 5m).');
        }, settings);
      }
      if (!interval) return runWith((ctx) => commands().watchOnceCommand(every ? { ...ctx, all: true } : ctx, subscription, true, planFlags({ out: file, expiresIn: ttl })), settings);
      // Until interrupted: the context's signal (cli/interruption.ts) ends the loop and a pass in progress.
      return runWith((ctx) => commands().watchLoopCommand(ctx, interval, ctx.signal, subscription), settings);
    });
  program
    .command('event')
    .description('govern the subscriptions named by Event Grid or CloudEvents JSON (a file, or - for stdin)')
    .argument('<file>', 'event JSON file, or - to read stdin')
    .action((file: string) => runWith((ctx) => commands().eventCommand(ctx, file)));
  program
    .command('apply')
    .description('apply a saved plan (d4ai sweep --dry-run --out FILE) exactly: its bodies, where each subscription is still as planned')
    .argument('<file>', 'the saved plan (JSON)')
    .action((file: string) => runWith((ctx) => apply().applyCommand(ctx, file)));
  program
    .command('report')
    .description('coverage across the estate: AI resources, plan, components and findings per subscription (read-only)')
    .addOption(managementGroup('report on'))
    .addOption(subscriptions())
    .addOption(new Option('--tokens', 'add 30 days of token volume per subscription from Azure Monitor (and a cost estimate with D4AI_PRICE_PER_MILLION_TOKENS)'))
    .addOption(new Option('--html <file>', 'also write a self-contained HTML page with charts and a sortable table'))
    .action((opts: SettingFlags & { subscription?: string; tokens?: boolean; html?: string }) => {
      const { subscription, tokens, html, ...settings } = opts;
      return runWith((ctx) => report().reportCommand(ctx, { ...(subscription ? { subscription } : {}), ...(tokens ? { tokens } : {}), ...(html !== undefined ? { html } : {}) }), settings);
    });
  program
    .command('revert')
    .description("put back what a run changed, where nothing changed since (the one command that may switch something off)")
    .requiredOption('--run <id>', "the run: a record's run id, or a sweep, watch or revert id")
    .option('-s, --subscription <id>', 'only this subscription of the run')
    .action((opts: { run: string; subscription?: string }) => runWith((ctx) => revert().revertCommand(ctx, opts)));
  const records = program
    .command('records')
    .description("the audit trail: a subscription's records, or one run's across subscriptions, newest first")
    .option('-s, --subscription <id>', 'subscription id (GUID)')
    .option('--run <id>', "only this run (a record's run id, or a sweep, watch or revert id)")
    .option('--since <when>', 'only since an ISO date or time, or a duration back from now (24h, 7d)')
    .option('-n, --limit <n>', 'how many', '20')
    .option('--export <format>', 'every record and run summary in the store, as jsonl (one JSON object per line) on stdout')
    .action((opts: { subscription?: string; run?: string; since?: string; limit: string; export?: string }) => {
      const { export: format, ...query } = opts;
      return runWith((ctx) => (format !== undefined ? recordsKeeping().exportCommand(ctx, format) : history().recordsCommand(ctx, query)));
    });
  records
    .command('prune')
    .description('delete records and run summaries older than D4AI_RECORDS_RETENTION_DAYS (or --older-than); intents are kept')
    .option('--older-than <days>', 'whole days (overrides D4AI_RECORDS_RETENTION_DAYS)')
    .action((opts: { olderThan?: string }) => runWith((ctx) => recordsKeeping().pruneCommand(ctx, opts.olderThan)));
  program
    .command('lease')
    .description('who holds the tenant-pass lease (one sweep, watch pass or revert at a time) and until when')
    .option('--break', 'free it (after confirmation, or with --yes), and record that it was broken')
    .action((opts: { break?: boolean }) => runWith((ctx) => lease().leaseCommand(ctx, opts)));
  program
    .command('runs')
    .description('recent sweeps and watch passes: when, trigger, mode, scope, counts, failures')
    .option('--since <when>', 'only since an ISO date or time, or a duration back from now (24h, 7d)')
    .option('-n, --limit <n>', 'how many', '20')
    .action((opts: { since?: string; limit: string }) => runWith((ctx) => history().runsCommand(ctx, opts)));
  program
    .command('config')
    .description('the effective settings and where each came from (environment, --settings file, flag, default); secrets masked')
    .action(() => runWith((ctx) => config().configCommand(ctx)));
  addHelp(program);
  return program;
}

/** The --out and --expires-in flags as the commands take them (absent ones left out). */
function planFlags(opts: PlanOutput): PlanOutput {
  return { ...(opts.out !== undefined ? { out: opts.out } : {}), ...(opts.expiresIn !== undefined ? { expiresIn: opts.expiresIn } : {}) };
}

export async function main(argv: string[] = process.argv, terminal?: Terminal): Promise<number> {
  // Peak memory that follows what a pass keeps, not how long it runs (shared/heap-growth.ts).
  boundHeapGrowth();
  let code: number = EXIT.ok;
  const program = buildProgram((c) => {
    code = c;
  }, terminal);
  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    // --help and --version exit through here with code 0; a bad flag or argument with 2 (commander
    // has printed its message on stderr; with --json, stdout still gets one JSON document).
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return EXIT.ok;
      if (wantsJson(argv)) process.stdout.write(`${JSON.stringify({ error: { code: 'UsageError', message: error.message.replace(/^error: /, ''), exitCode: EXIT.usage } })}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`d4ai: ${escapeControl(error instanceof Error ? error.message : String(error))}\n`);
    return error instanceof UsageError ? EXIT.usage : EXIT.failed;
  }
}

/** --json or -o/--output json among arguments commander refused (its options were never parsed). */
function wantsJson(argv: readonly string[]): boolean {
  return argv.some((arg, i) => arg === '--json' || arg === '--output=json' || arg === '-ojson' || ((arg === '-o' || arg === '--output') && argv[i + 1] === 'json'));
}

if (require.main === module) {
  // As bin/d4ai.js: exit once stdout and stderr are flushed, whatever sockets a request given up on still holds open.
  void main().then(exitWhenFlushed);
}

/**
 * process.exit() right away can drop what is still queued for a pipe (pipes are asynchronous on
 * POSIX): `d4ai sweep --json | jq` would lose the end of the document. A write callback runs once
 * everything queued before it has been handed to the OS.
 */
export function exitWhenFlushed(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}
