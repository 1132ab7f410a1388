/**
 * The real Bicep compiler for the infra tests: `bicep build`, `build-params` and `lint`.
 *
 * Where it comes from: `.ci/bicep.sh` restores the pinned Azure.Bicep.CommandLine NuGet package
 * with dotnet into .ci/.bicep/ and exports D4AI_BICEP; a developer who ran it once is found through
 * that folder too, and a `bicep` on PATH is the last resort. Absent everywhere, the compile tests
 * say so and skip, unless CI=true or D4AI_REQUIRE_BICEP=1, where they fail: CI must compile.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { INFRA_DIR, REPO_ROOT, filesUnder } from './bicep';

export interface Compiler {
  executable: string;
  version: string;
}

/** One ARM template resource, as `bicep build` writes it (languageVersion 1: an array). */
export interface ArmResource {
  type: string;
  apiVersion?: string;
  name: string;
  condition?: unknown;
  scope?: string;
  properties?: Record<string, unknown> & { template?: ArmTemplate; parameters?: Record<string, { value?: unknown }> };
  [key: string]: unknown;
}

export interface ArmTemplate {
  $schema: string;
  parameters?: Record<string, { type: string; defaultValue?: unknown; allowedValues?: unknown[] }>;
  variables?: Record<string, unknown>;
  resources: ArmResource[];
  outputs?: Record<string, { type: string; value: unknown }>;
}

export const BICEP_REQUIRED = process.env.CI === 'true' || process.env.D4AI_REQUIRE_BICEP === '1';

function candidates(): string[] {
  const found: string[] = [];
  if (process.env.D4AI_BICEP) found.push(process.env.D4AI_BICEP);
  const restored = path.join(REPO_ROOT, '.ci', '.bicep', 'packages');
  if (fs.existsSync(restored)) {
    for (const pkg of fs.readdirSync(restored)) {
      for (const version of fs.readdirSync(path.join(restored, pkg)).sort().reverse()) found.push(path.join(restored, pkg, version, 'tools', 'bicep'));
    }
  }
  found.push('bicep');
  return found;
}

let cached: Compiler | null | undefined;

/** The first candidate that runs and prints its version; null when none does. */
export function findCompiler(): Compiler | null {
  if (cached !== undefined) return cached;
  cached = null;
  for (const executable of candidates()) {
    const run = spawnBicep(executable, ['--version']);
    if (run.status === 0 && /Bicep CLI version/.test(run.stdout)) {
      cached = { executable, version: run.stdout.trim() };
      break;
    }
  }
  return cached;
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function bicep(compiler: Compiler, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  return spawnBicep(compiler.executable, args, env);
}

function spawnBicep(executable: string, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  // The Bicep CLI keeps a `.bicep` folder in its temporary directory, and `npm test` fails a run
  // that leaves anything in its TMPDIR (test/support/jest-with-test-ca.js): each call gets a
  // temporary directory of its own, removed when the compiler has exited.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'd4ai-bicep-tmp-'));
  try {
    // No telemetry from a test run; the module cache stays inside the ignored tools folder.
    const run = spawnSync(executable, args, {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, BICEP_TRACING_ENABLED: 'false', DOTNET_CLI_TELEMETRY_OPTOUT: '1', TMPDIR: tmp, TMP: tmp, TEMP: tmp, ...env },
    });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Diagnostics as the compiler prints them: `<file>(line,col) : <Level> <code>: <message>`. */
export interface Diagnostic {
  file: string;
  line: number;
  level: string;
  code: string;
  message: string;
}

export function diagnostics(text: string): Diagnostic[] {
  const found: Diagnostic[] = [];
  for (const line of text.split(/\r?\n/)) {
    const match = /^(.*)\((\d+),\d+\) : (Error|Warning|Info) ([^:]+): (.*)$/.exec(line.trim());
    if (match) found.push({ file: path.relative(REPO_ROOT, match[1] as string), line: Number(match[2]), level: match[3] as string, code: match[4] as string, message: match[5] as string });
  }
  return found;
}

export const BICEP_FILES = filesUnder(INFRA_DIR, ['.bicep']);
export const PARAM_FILES = filesUnder(INFRA_DIR, ['.bicepparam']);

/** Every .bicep under infra/ compiled once (one process: --pattern), as parsed ARM JSON by repo-relative path. */
export function buildAll(compiler: Compiler): { templates: Map<string, ArmTemplate>; run: Run } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'd4ai-bicep-'));
  try {
    const run = bicep(compiler, ['build', '--pattern', 'infra/**/*.bicep', '--outdir', outdir]);
    const templates = new Map<string, ArmTemplate>();
    for (const file of BICEP_FILES) {
      const relative = path.relative(INFRA_DIR, file).replace(/\.bicep$/, '.json');
      const out = path.join(outdir, relative);
      if (fs.existsSync(out)) templates.set(path.relative(REPO_ROOT, file).split(path.sep).join('/'), JSON.parse(fs.readFileSync(out, 'utf8')) as ArmTemplate);
    }
    return { templates, run };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** A resource and every resource of the modules it deploys (nested templates), with the module path. */
export function allResources(template: ArmTemplate, via: string[] = []): Array<{ resource: ArmResource; template: ArmTemplate; via: string[] }> {
  const out: Array<{ resource: ArmResource; template: ArmTemplate; via: string[] }> = [];
  for (const resource of template.resources) {
    out.push({ resource, template, via });
    const nested = resource.properties?.template;
    if (resource.type === 'Microsoft.Resources/deployments' && nested) out.push(...allResources(nested, [...via, resource.name]));
  }
  return out;
}

/** `[variables('x')]` resolved against the template's variables; anything else as written. */
export function resolveVariables(value: unknown, template: ArmTemplate): unknown {
  if (typeof value !== 'string') return value;
  return value.replace(/variables\('([^']+)'\)/g, (whole, name: string) => {
    const resolved = template.variables?.[name];
    return typeof resolved === 'string' ? `'${resolved}'` : whole;
  });
}
