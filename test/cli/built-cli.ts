import { execFileSync, spawn } from 'node:child_process';
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
  cwd: string;
}

/** Compiles dist/ from the current sources (the binary runs from there, as an installed package would). */
export function buildCli(): void {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
}

/** `env` overrides the landing zone's settings; an undefined value removes the setting; `input` is stdin. */
export function runBuilt(lz: Pick<SimulatedLandingZone, 'env'>, args: string[], env: Record<string, string | undefined> = {}, cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'd4ai-cli-')), input: string | Buffer = ''): Promise<BuiltRun> {
  const merged: Record<string, string | undefined> = { PATH: process.env.PATH ?? '', ...lz.env, ...env };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: merged as Record<string, string> });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, cwd }));
    child.stdin.on('error', () => undefined); // a child that stops reading early (the 1 MB cap) closes the pipe
    child.stdin.end(input);
  });
}
