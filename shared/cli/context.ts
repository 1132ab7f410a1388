import { ConfigError, loadConfig, type Config } from '../config';
import { createPorts } from '../composition';
import { createCredential } from '../azure/credential';
import { credentialFailure, errorInfo } from '../engine/errors';
import type { Ports } from '../engine/ports';
import { jsonLinesLogger, silentLogger, type Logger } from '../observability/log';

/** What every command gets: validated config, real ports, and where to write. */
export interface CliContext {
  config: Config;
  ports: Ports;
  json: boolean;
  /** A line on stdout. */
  out: (text: string) => void;
  /** Text on stdout as it is (streamed JSON). */
  write: (text: string) => void;
  err: (text: string) => void;
  /** Gets an ARM token once; throws CredentialError with the inner causes when no credential works. */
  checkIdentity: () => Promise<void>;
}

export interface GlobalFlags {
  dryRun?: boolean;
  json?: boolean;
  verbose?: boolean;
}

/** Options of a command that stand for a setting: they win over the environment, and are validated like it. */
export interface SettingFlags {
  managementGroup?: string;
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

/** No credential could get a token: a setup problem (exit 2), not a failed decision, so no record. */
export class CredentialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialError';
  }
}

export function createCliContext(flags: GlobalFlags, env: NodeJS.ProcessEnv = process.env, settings: SettingFlags = {}): CliContext {
  // --dry-run wins over D4AI_MODE, so a dry run can never write whatever the settings say.
  const effectiveEnv = {
    ...env,
    ...(flags.dryRun ? { D4AI_MODE: 'report' } : {}),
    ...(settings.managementGroup !== undefined ? { D4AI_MANAGEMENT_GROUP: settings.managementGroup } : {}),
  };
  const config = loadConfig(effectiveEnv, { fileFallback: DEFAULT_RECORDS_FILE });
  const err = (text: string): void => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  const logger: Logger = flags.json || flags.verbose ? jsonLinesLogger((line) => process.stderr.write(line)) : silentLogger;
  const credential = createCredential(config);
  return {
    config,
    ports: createPorts(config, logger, credential),
    checkIdentity: async () => {
      try {
        await credential.getToken(config.armScope);
      } catch (error) {
        throw new CredentialError(credentialFailure(error) ?? `Getting a token for ${config.armScope} failed: ${errorInfo(error).message}`);
      }
    },
    json: flags.json === true,
    out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    write: (text) => void process.stdout.write(text),
    err,
  };
}

export { ConfigError };
