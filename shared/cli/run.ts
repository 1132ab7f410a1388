import { ConfigError } from '../config';
import { errorInfo } from '../engine/errors';
import { PassInProgress } from '../engine/tenant-lease';
import { escapeControl } from '../observability/redact';
import { RecordStoreUnavailable } from '../records/record-store';
import { EXIT_INTERRUPTED, watchForInterruption } from './interruption';
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
  // Ctrl-C, SIGTERM, SIGHUP and a closed stdout stop the command cleanly (interruption.ts): exit 130.
  const interruption = watchForInterruption({ say: (message) => void process.stderr.write(`d4ai: ${message}\n`) });
  try {
    json = outputFormat(flags) === 'json';
    const code = await command(createCliContext(flags, env, settings, terminal, interruption.signal));
    return interruption.signal.aborted ? EXIT_INTERRUPTED : code;
  } catch (thrown) {
    if (interruption.signal.aborted) {
      process.stderr.write(`d4ai: interrupted: ${escapeControl(thrown instanceof Error ? thrown.message : String(thrown))}\n`);
      return EXIT_INTERRUPTED;
    }
    // A command that had already opened its JSON document closed it with the error inside.
    const reported = thrown instanceof ErrorInDocument;
    const error = reported ? thrown.error : thrown;
    const document = errorDocument(error);
    if (json && !reported) process.stdout.write(`${JSON.stringify({ error: document })}\n`);
    process.stderr.write(`d4ai: ${stderrText(error, document.message)}\n`);
    return document.exitCode;
  } finally {
    interruption.dispose();
  }
}

/** One line, escaped; the problems of a ConfigError one per line (each escaped on its own, so the line breaks are real). */
function stderrText(error: unknown, message: string): string {
  if (error instanceof ConfigError) return ['Invalid configuration:', ...error.problems.map((p) => `  - ${escapeControl(p)}`)].join('\n');
  return escapeControl(message);
}

/** The `error` member of a JSON document: `{"code", "message", "exitCode"}`. */
export function errorDocument(error: unknown): { code: string; message: string; exitCode: number } {
  const [exitCode, code, message] = classify(error);
  return { code, message, exitCode };
}

/** Thrown by a command whose streamed JSON document already carries `error` (runCommand adds no second document). */
export class ErrorInDocument extends Error {
  constructor(readonly error: unknown) {
    super(error instanceof Error ? error.message : String(error));
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
