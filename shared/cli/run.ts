import { ConfigError } from '../config';
import { errorInfo } from '../engine/errors';
import { PassInProgress } from '../engine/tenant-lease';
import { escapeControl } from '../observability/redact';
import { RecordStoreUnavailable } from '../records/record-store';
import { createCliContext, CredentialError, EXIT, UsageError, outputFormat, type CliContext, type GlobalFlags, type SettingFlags, type Terminal } from './context';

/**
 * Runs one command: builds its context (settings validated first) and turns every failure into an
 * exit code and a message naming what is wrong. With --json, stdout is one JSON document whatever
 * happens, errors included: `{"error": {"code", "message", "exitCode"}}`.
 */
export async function runCommand(
  flags: GlobalFlags,
  settings: SettingFlags,
  command: (ctx: CliContext) => Promise<number> | number,
  terminal?: Terminal,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let json = flags.json === true;
  try {
    json = outputFormat(flags) === 'json';
    return await command(createCliContext(flags, env, settings, terminal));
  } catch (error) {
    const [exit, code, message] = classify(error);
    if (json) process.stdout.write(`${JSON.stringify({ error: { code, message, exitCode: exit } })}\n`);
    process.stderr.write(`d4ai: ${escapeControl(message)}\n`);
    return exit;
  }
}

function classify(error: unknown): [number, string, string] {
  if (error instanceof ConfigError) return [EXIT.usage, 'ConfigError', error.message];
  if (error instanceof UsageError) return [EXIT.usage, 'UsageError', error.message];
  if (error instanceof CredentialError) return [EXIT.usage, 'CredentialUnavailable', error.message];
  // Nothing was written: the store cannot keep records, or another pass holds the tenant lease.
  if (error instanceof RecordStoreUnavailable || error instanceof PassInProgress) return [EXIT.failed, error.code, error.message];
  const info = errorInfo(error);
  return [EXIT.failed, info.code, `${info.code}: ${info.message}`];
}
