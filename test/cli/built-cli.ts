import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SimulatedLandingZone } from '../../sim/simulated-landing-zone';

/**
 * The built `d4ai` binary as a separate process against a simulated landing zone, configured only
 * through the production environment variables: what a user's shell or a pipeline runs.
 */
export const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'd4ai.js');

export interface BuiltRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a built-CLI process: PATH and the test run's TMPDIR (so anything the CLI
 * leaves there fails `npm test`, test/support/jest-with-test-ca.js), then `env`.
 */
export function builtEnv(env: Record<string, string | undefined>): Record<string, string> {
  const merged: Record<string, string | undefined> = { PATH: process.env.PATH ?? '', TMPDIR: os.tmpdir(), ...env };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  return merged as Record<string, string>;
}

/**
 * `env` overrides the landing zone's settings; an undefined value removes the setting; `input` is
 * stdin. Without `cwd` it runs in a folder of its own, removed once the process has exited (a
 * test that reads what the CLI left in its folder passes one it owns).
 */
export async function runBuilt(lz: Pick<SimulatedLandingZone, 'env'>, args: string[], env: Record<string, string | undefined> = {}, cwd?: string, input: string | Buffer = ''): Promise<BuiltRun> {
  const dir = cwd ?? fs.mkdtempSync(path.join(os.tmpdir(), 'd4ai-cli-'));
  try {
    return await new Promise<BuiltRun>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: builtEnv({ ...lz.env, ...env }) });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      // 'close': the process has exited and its output is read, so nothing writes in its folder any more.
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      child.stdin.on('error', () => undefined); // a child that stops reading early (the 1 MB cap) closes the pipe
      child.stdin.end(input);
    });
  } finally {
    if (cwd === undefined) fs.rmSync(dir, { recursive: true, force: true });
  }
}
