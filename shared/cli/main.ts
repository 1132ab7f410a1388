import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from '../config';
import { VERSION } from '../version';
import { errorInfo } from '../engine/errors';
import { PassInProgress } from '../engine/tenant-lease';
import { RecordStoreUnavailable } from '../records/record-store';
import { escapeControl } from '../observability/redact';
import { eventCommand, governCommand, recordsCommand, sweepCommand, watchLoopCommand, watchOnceCommand } from './commands';
import { createCliContext, CredentialError, EXIT, UsageError, type CliContext, type GlobalFlags, type SettingFlags } from './context';

/**
 * d4ai: the governance engine from a terminal. Same engine, adapters and records as the
 * Functions app; settings come from the same D4AI_* environment variables.
 */
export function buildProgram(run: (code: number) => void): Command {
  const program = new Command('d4ai')
    .description('Keep Defender for AI Services on, with the right components, wherever AI workloads run.')
    .version(VERSION)
    .addOption(new Option('--dry-run', 'decide and record, never write (forces D4AI_MODE=report)'))
    .addOption(new Option('--json', 'print one JSON document on stdout; logs go to stderr'))
    .addOption(new Option('--verbose', 'structured logs on stderr'))
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  // Each command builds the context only when it runs, so --help never needs valid settings.
  const runWith = async (fn: (ctx: CliContext) => Promise<number>, settings: SettingFlags = {}): Promise<void> => {
    run(await fn(createCliContext(program.opts<GlobalFlags>(), process.env, settings)));
  };
  const managementGroup = new Option('--management-group <id>', 'govern the subscriptions below this management group (overrides D4AI_MANAGEMENT_GROUP)');

  program
    .command('govern')
    .description('govern one subscription now')
    .requiredOption('-s, --subscription <id>', 'subscription id (GUID)')
    .action((opts: { subscription: string }) => runWith((ctx) => governCommand(ctx, opts.subscription)));
  program
    .command('sweep')
    .description('govern every subscription in scope from a Resource Graph snapshot: one record each, then a summary')
    .addOption(managementGroup)
    .action((opts: SettingFlags) => runWith((ctx) => sweepCommand(ctx), opts));
  program
    .command('watch')
    .description('tenant watch: act only on the subscriptions whose decision is a write (records for those, plus a watch summary)')
    .addOption(managementGroup)
    .addOption(new Option('--once', 'one pass, then exit (the same output and exit codes as sweep)'))
    .addOption(new Option('--interval <duration>', 'a pass every <duration> (e.g. 5m) until interrupted').conflicts('once'))
    .action((opts: SettingFlags & { once?: boolean; interval?: string }) => {
      if (!opts.once && !opts.interval) throw new UsageError('watch needs --once or --interval <duration> (e.g. --interval 5m).');
      const { once: _once, interval, ...settings } = opts;
      if (!interval) return runWith((ctx) => watchOnceCommand(ctx), settings);
      const stop = new AbortController();
      const interrupt = (): void => stop.abort();
      process.once('SIGINT', interrupt);
      process.once('SIGTERM', interrupt);
      return runWith((ctx) => watchLoopCommand(ctx, interval, stop.signal), settings);
    });
  program
    .command('event')
    .description('govern the subscriptions named by Event Grid or CloudEvents JSON (a file, or - for stdin)')
    .argument('<file>', 'event JSON file, or - to read stdin')
    .action((file: string) => runWith((ctx) => eventCommand(ctx, file)));
  program
    .command('records')
    .description("show a subscription's remediation records, newest first")
    .requiredOption('-s, --subscription <id>', 'subscription id (GUID)')
    .option('-n, --limit <n>', 'how many', '20')
    .action((opts: { subscription: string; limit: string }) => runWith((ctx) => recordsCommand(ctx, opts.subscription, opts.limit)));
  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit through here with code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof ConfigError || error instanceof UsageError || error instanceof CredentialError) {
      process.stderr.write(`d4ai: ${escapeControl(error.message)}\n`);
      return EXIT.usage;
    }
    // Nothing was written: the store cannot keep records, or another pass holds the tenant lease.
    if (error instanceof RecordStoreUnavailable || error instanceof PassInProgress) {
      process.stderr.write(`d4ai: ${escapeControl(error.message)}\n`);
      return EXIT.failed;
    }
    const info = errorInfo(error);
    process.stderr.write(`d4ai: ${info.code}: ${escapeControl(info.message)}\n`);
    return EXIT.failed;
  }
}

if (require.main === module) {
  // As bin/d4ai.js: exit at once, whatever sockets a request given up on still holds open.
  void main().then((code) => process.exit(code));
}
