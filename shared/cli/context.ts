import { ConfigError, loadConfig, type Config } from '../config';
import { createPorts } from '../composition';
import type { Ports } from '../engine/ports';
import { jsonLinesLogger, silentLogger, type Logger } from '../observability/log';

/** What every command gets: validated config, real ports, and where to write. */
export interface CliContext {
  config: Config;
  ports: Ports;
  json: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
}

export interface GlobalFlags {
  dryRun?: boolean;
  json?: boolean;
  verbose?: boolean;
}

export const DEFAULT_RECORDS_FILE = '.d4ai/records.jsonl';

/** Exit codes: 0 all fine, 1 a subscription failed, 2 bad usage or configuration. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function createCliContext(flags: GlobalFlags, env: NodeJS.ProcessEnv = process.env): CliContext {
  // --dry-run wins over D4AI_MODE, so a dry run can never write whatever the settings say.
  const effectiveEnv = flags.dryRun ? { ...env, D4AI_MODE: 'report' } : env;
  const config = loadConfig(effectiveEnv, { fileFallback: DEFAULT_RECORDS_FILE });
  const err = (text: string): void => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  const logger: Logger = flags.json || flags.verbose ? jsonLinesLogger((line) => process.stderr.write(line)) : silentLogger;
  return {
    config,
    ports: createPorts(config, logger),
    json: flags.json === true,
    out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err,
  };
}

export { ConfigError };
