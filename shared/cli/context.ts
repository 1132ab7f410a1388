import * as readline from 'node:readline/promises';
import { ConfigError, DEFAULTS, KNOWN_SETTINGS, loadConfig, type Config } from '../config';
import type { TokenCredential } from '@azure/identity';
import type { ArmPorts } from '../composition';
import { actorFromAccessToken } from '../domain/actor';
import { stampActor } from '../records/actor-stamp';
import { createRecordStore } from '../records/create-record-store';
import type { WaitListener } from '../azure/pipeline-policies';
import { errorInfo } from '../engine/errors';
import { realSleep, type Ports } from '../engine/ports';
import { deferFields, lazily } from '../lazy-load';
import { jsonLinesLogger, silentLogger, type Logger } from '../observability/log';
import { escapeControl, maskSecrets } from '../observability/redact';
import { DEFAULT_WIDTH, type OutputFormat } from './output';
import { readSettingsFile } from './settings-file';
import { UsageError } from './usage-error';
import { colourWanted, painter, type Paint } from './colour';

/** What every command gets: validated config, real ports, the output format, and where to write. */
export interface CliContext {
  config: Config;
  ports: Ports;
  format: OutputFormat;
  /** Width tables are fitted to (the terminal's, or 160). */
  width: number;
  /** A line on stdout. */
  out: (text: string) => void;
  /** Text on stdout as it is (streamed JSON). */
  write: (text: string) => void;
  err: (text: string) => void;
  /** A progress line on stderr: text for people, a JSON line with --json; nothing else goes to stderr in table mode. */
  progress: (message: string, fields?: Record<string, unknown>) => void;
  /** Milliseconds since the command started. */
  elapsedMs: () => number;
  /** True when stdin and stderr are a terminal: an enforcing run shows its plan there and asks before it writes. */
  interactive: boolean;
  /** stdin is a terminal: a person started the command (even when stderr is redirected, so nobody can be asked). */
  attended: boolean;
  /** --yes: do not ask. */
  yes: boolean;
  /** --changes-only: print only the decisions that change (or would change) a plan. */
  changesOnly: boolean;
  /** --detailed-exitcode: exit 3 when a dry run, apply or report leaves changes pending. */
  detailedExitCode: boolean;
  /** Asks a question on the terminal; false unless the answer is exactly yes (the word the prompt asks for). */
  ask: (question: string) => Promise<boolean>;
  /** Gets an ARM token once; throws CredentialError with the inner causes when no credential works. */
  checkIdentity: () => Promise<void>;
  /** Every known setting: its effective value (secrets masked) and where it came from. */
  settings: SettingSource[];
  /** Aborted on SIGINT, SIGTERM, SIGHUP or a closed stdout (interruption.ts): passes start no new write. */
  signal: AbortSignal;
  /** Colour for the table output: on a terminal that supports it, never for pipes or with NO_COLOR. */
  paint: Paint;
  /** sweep/watch --all: every row in the table, not only the changes, failures and warnings. */
  all?: boolean;
}

export interface SettingSource {
  name: string;
  value: string;
  source: 'flag' | 'settings file' | 'environment' | 'default' | 'unset';
}

export interface GlobalFlags {
  dryRun?: boolean;
  json?: boolean;
  output?: string;
  verbose?: boolean;
  yes?: boolean;
  changesOnly?: boolean;
  detailedExitcode?: boolean;
  settings?: string;
}

/** Options of a command that stand for a setting: they win over the environment and the settings file, and are validated like them. */
export interface SettingFlags {
  managementGroup?: string;
}

/** How the CLI talks to its terminal; replaced in tests. */
export interface Terminal {
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  /** The plan and the question go to stderr, so a person is asked even when stdout is redirected. */
  stderrIsTTY: boolean;
  columns?: number;
  ask?: (question: string) => Promise<string>;
}

/** The CLI's embedded store when D4AI_RECORDS_CONNECTION is unset (records.sqlite.ts); an earlier .d4ai/records.jsonl is imported into it once. */
export const DEFAULT_RECORDS_FILE = '.d4ai/d4ai.db';

/**
 * Exit codes: 0 all fine, 1 a subscription failed (or the run could not start safely), 2 bad usage,
 * configuration or input, 130 interrupted. With --detailed-exitcode (dry runs, apply, report) 3 says
 * changes are pending (Terraform says 2; ours is taken by bad usage), so CI can tell drift from none.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, changes: 3, interrupted: 130 } as const;

export { UsageError };

/** No credential could get a token: a setup problem (exit 2), not a failed decision, so no record. */
export class CredentialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialError';
  }
}

export function outputFormat(flags: GlobalFlags): OutputFormat {
  const wanted = flags.output ?? (flags.json ? 'json' : 'table');
  if (wanted !== 'table' && wanted !== 'json' && wanted !== 'csv') throw new UsageError(`--output must be table, json or csv, got "${escapeControl(wanted)}".`);
  if (flags.json && wanted !== 'json') throw new UsageError(`--json and --output ${wanted} contradict each other.`);
  return wanted;
}

/**
 * Settings, lowest precedence first: the environment, then --settings FILE (the deployed app's:
 * that is the point of passing it), then the flags that stand for a setting (--dry-run,
 * --management-group).
 */
function effectiveSettings(flags: GlobalFlags, env: NodeJS.ProcessEnv, settings: SettingFlags): { env: NodeJS.ProcessEnv; sources: Map<string, SettingSource['source']> } {
  const sources = new Map<string, SettingSource['source']>();
  const merged: NodeJS.ProcessEnv = { ...env };
  for (const name of Object.keys(env)) if (/^D4AI_/i.test(name) && env[name] !== undefined) sources.set(name, 'environment');
  if (flags.settings) {
    for (const [name, value] of Object.entries(readSettingsFile(flags.settings))) {
      merged[name] = value;
      sources.set(name, 'settings file');
    }
  }
  const fromFlags: Record<string, string> = {
    // --dry-run wins over D4AI_MODE from anywhere, so a dry run can never write.
    ...(flags.dryRun ? { D4AI_MODE: 'report' } : {}),
    ...(settings.managementGroup !== undefined ? { D4AI_MANAGEMENT_GROUP: settings.managementGroup } : {}),
  };
  for (const [name, value] of Object.entries(fromFlags)) {
    merged[name] = value;
    sources.set(name, 'flag');
  }
  return { env: merged, sources };
}

export function createCliContext(
  flags: GlobalFlags,
  env: NodeJS.ProcessEnv = process.env,
  settings: SettingFlags = {},
  terminal: Terminal = processTerminal(),
  signal: AbortSignal = new AbortController().signal,
): CliContext {
  const format = outputFormat(flags);
  const effective = effectiveSettings(flags, env, settings);
  const config = loadConfig(effective.env, { fileFallback: DEFAULT_RECORDS_FILE });
  const started = Date.now();
  const err = (text: string): void => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  const logger: Logger = format === 'json' || flags.verbose ? jsonLinesLogger((line) => process.stderr.write(line)) : silentLogger;
  const progress = (message: string, fields: Record<string, unknown> = {}): void => {
    if (format === 'json') err(JSON.stringify({ time: new Date().toISOString(), progress: message, elapsedMs: Date.now() - started, ...fields }));
    else err(escapeControl(message));
  };
  const onWait: WaitListener = (ms, reason) => progress(`waiting for a token: ${reason}`, { waitMs: ms, waitingFor: 'token' });
  // The Azure SDK is loaded when a command first needs it (lazy-load.ts): `records`, `runs`, `lease`
  // and `config` on the default store never do.
  const credential = lazily((): TokenCredential => credentialModule().createCredential(config, onWait));
  const waitLine = (waitingFor: string, shortestMs = 0): WaitListener => (ms, reason) => {
    if (ms !== undefined && ms < shortestMs) return;
    progress(ms !== undefined ? `waiting ${Math.ceil(ms / 1000)} s: ${reason}` : `retrying: ${reason}`, { ...(ms !== undefined ? { waitMs: ms } : {}), waitingFor });
  };
  const arm = lazily((): ArmPorts =>
    compositionModule().createArmPorts(config, credential(), {
      onWait: waitLine('quota'),
      // Only waits a person would notice: a retry after a sub-second Retry-After is not worth a line.
      onRetryWait: waitLine('retry', 1000),
    }),
  );
  // Who did it: the CLI's records of its own runs (cli, revert) carry the object id (and, for an
  // application, the app id) of the identity its token was issued to; see docs/safety.md.
  const records = lazily(() =>
    stampActor(
      createRecordStore(config, credential, (message) => progress(message)),
      async () => actorFromAccessToken((await credential().getToken(config.armScope))?.token ?? ''),
    ),
  );
  const ports = {
    get records() {
      return records();
    },
    logger,
    clock: () => new Date(),
    // Back-off after a 409, 429 or 5xx: say so rather than going silent.
    sleep: async (ms: number) => {
      if (ms >= 1000) progress(`waiting ${Math.ceil(ms / 1000)} s before trying again (the service answered 409, 429 or 5xx, or timed out)`, { waitMs: ms, waitingFor: 'backoff' });
      await realSleep(ms);
    },
  };
  // The ARM ports read through to `arm()`, built the first time any of them is used.
  const withArm: Ports = deferFields(ports, arm, ARM_PORT_NAMES);
  return {
    config,
    ports: withArm,
    format,
    width: terminal.stdoutIsTTY && terminal.columns ? terminal.columns : DEFAULT_WIDTH,
    out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    write: (text) => void process.stdout.write(text),
    err,
    progress,
    elapsedMs: () => Date.now() - started,
    interactive: terminal.stdinIsTTY && terminal.stderrIsTTY,
    attended: terminal.stdinIsTTY,
    yes: flags.yes === true,
    changesOnly: flags.changesOnly === true,
    detailedExitCode: flags.detailedExitcode === true,
    ask: async (question) => {
      const answer = terminal.ask ? await terminal.ask(question) : '';
      // The prompt says "Type yes": a stray "y" (or a key held down) is not consent to a tenant-wide write.
      return answer.trim() === 'yes';
    },
    checkIdentity: async () => {
      try {
        await credential().getToken(config.armScope);
      } catch (error) {
        // errorInfo scrubs: an az login or MSAL message can name the signed-in user.
        const info = errorInfo(error);
        throw new CredentialError(info.code === 'CredentialUnavailable' ? info.message : `Getting a token for ${config.armScope} failed: ${info.message}`);
      }
    },
    settings: settingSources(effective.env, effective.sources),
    signal,
    paint: painter(format === 'table' && colourWanted(terminal.stdoutIsTTY, env)),
  };
}

/** Every ARM port, so the deferred ones cannot miss one (a Record over ArmPorts' keys must name them all). */
const ARM_PORT_NAMES = Object.keys({
  snapshot: true,
  subscriptions: true,
  inventory: true,
  pricing: true,
  exemptions: true,
  policyAssignments: true,
  accounts: true,
  metrics: true,
} satisfies Record<keyof ArmPorts, true>) as (keyof ArmPorts)[];

// eslint-disable-next-line @typescript-eslint/no-require-imports
const credentialModule = lazily(() => require('../azure/credential') as typeof import('../azure/credential'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const compositionModule = lazily(() => require('../composition') as typeof import('../composition'));

function settingSources(env: NodeJS.ProcessEnv, sources: Map<string, SettingSource['source']>): SettingSource[] {
  return [...KNOWN_SETTINGS].sort().map((name) => {
    const raw = env[name]?.trim();
    if (raw) return { name, value: maskSecrets(raw), source: sources.get(name) ?? 'environment' };
    const fallback = (DEFAULTS as Record<string, string>)[name];
    return fallback !== undefined ? { name, value: fallback, source: 'default' } : { name, value: '', source: 'unset' };
  });
}

function processTerminal(): Terminal {
  return {
    stdinIsTTY: process.stdin.isTTY === true,
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    ...(process.stdout.columns ? { columns: process.stdout.columns } : {}),
    ask: async (question) => {
      const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
  };
}

export { ConfigError };
