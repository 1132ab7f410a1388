import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSimulatedLandingZone, type SimulatedLandingZone } from '../../scripts/simulated-landing-zone';
import { aiWriteEvent } from '../fixtures/landing-zone';

/**
 * The built `d4ai` binary as a separate process, configured only through the production
 * environment variables (ARM endpoint, managed identity endpoint, CA file, records connection).
 */
const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'd4ai.js');
let lz: SimulatedLandingZone;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function d4ai(args: string[], env: Record<string, string> = {}, input = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: fs.mkdtempSync(path.join(os.tmpdir(), 'd4ai-cli-')),
      env: { PATH: process.env.PATH ?? '', ...lz.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

beforeAll(async () => {
  // The CLI runs from dist/, as an installed package would; build it from the current sources.
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  lz = await startSimulatedLandingZone();
}, 180_000);
afterAll(async () => {
  await lz?.close();
});

it('govern --json prints exactly one JSON record on stdout and logs JSON lines on stderr', async () => {
  const run = await d4ai(['govern', '--subscription', lz.zone.ids['corp-ai-prod'], '--json']);
  expect(run.code).toBe(0);
  const record = JSON.parse(run.stdout) as { action: string; outcome: string; trigger: string };
  expect(record).toMatchObject({ action: 'enable', outcome: 'applied', trigger: 'cli' });
  const logs = run.stderr.trim().split('\n').map((l) => JSON.parse(l) as { message: string; subscriptionId?: string });
  expect(logs.map((l) => l.message)).toContain('D4AI decision');
  expect(lz.arm.state.getPricing(lz.zone.ids['corp-ai-prod'], 'AI')?.pricingTier).toBe('Standard');
});

it('--dry-run never writes, whatever D4AI_MODE says', async () => {
  const puts = lz.arm.requestsMatching('PUT').length;
  const run = await d4ai(['govern', '--subscription', lz.zone.ids['ml-platform'], '--dry-run', '--json'], { D4AI_MODE: 'enforce' });
  expect(run.code).toBe(0);
  expect(JSON.parse(run.stdout)).toMatchObject({ action: 'enable', outcome: 'dry-run', mode: 'report' });
  expect(lz.arm.requestsMatching('PUT').length).toBe(puts);
});

it('exits 1 when a subscription fails, with the error in the record', async () => {
  const run = await d4ai(['govern', '--subscription', lz.zone.ids['flaky-scanner'], '--json']);
  expect(run.code).toBe(1);
  expect(JSON.parse(run.stdout)).toMatchObject({ outcome: 'failed', error: { code: 'ExtensionFailed' } });
});

it('exits 2 on bad usage and on bad settings, naming the setting, before any ARM call', async () => {
  const before = lz.arm.requests.length;
  const badId = await d4ai(['govern', '--subscription', 'not-a-guid']);
  expect(badId.code).toBe(2);
  expect(badId.stderr).toContain('--subscription must be a subscription id');
  const badSetting = await d4ai(['sweep'], { D4AI_ENABLE_WHEN: 'sometimes', D4AI_ARM_ENDPOINT: 'http://insecure.example' });
  expect(badSetting.code).toBe(2);
  expect(badSetting.stderr).toContain('D4AI_ENABLE_WHEN="sometimes"');
  expect(badSetting.stderr).toContain('D4AI_ARM_ENDPOINT');
  const unknown = await d4ai(['frobnicate']);
  expect(unknown.code).toBe(2);
  expect(lz.arm.requests.length).toBe(before);
});

it('event - governs the subscription of an AI resource write read from stdin and ignores the rest', async () => {
  const target = lz.zone.ids.identity;
  lz.arm.state.addResource(target, { name: 'oai-cli', type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI', resourceGroup: 'rg-new-ai' });
  const other = { ...(aiWriteEvent(target, 'kv') as Record<string, unknown>), id: 'evt-kv', data: { subscriptionId: target, operationName: 'Microsoft.KeyVault/vaults/write' } };
  const run = await d4ai(['event', '-', '--json'], {}, JSON.stringify([aiWriteEvent(target, 'oai-cli'), other]));
  expect(run.code).toBe(0);
  const out = JSON.parse(run.stdout) as { records: Array<{ triggerDetail: Record<string, string>; outcome: string }>; ignored: Array<{ eventId: string; reason: string }> };
  expect(out.records).toHaveLength(1);
  expect(out.records[0]?.outcome).toBe('applied');
  expect(out.records[0]?.triggerDetail).toMatchObject({ eventId: 'evt-oai-cli', eventType: 'Microsoft.Resources.ResourceWriteSuccess' });
  // No claims, names, e-mails or IPs from the event end up in the record.
  expect(run.stdout).not.toMatch(/jane|Jane Doe|203\.0\.113\.7/);
  expect(out.ignored).toEqual([{ eventId: 'evt-kv', eventType: 'Microsoft.Resources.ResourceWriteSuccess', reason: expect.stringContaining('not an AI resource type') }]);
});

it('records lists the audit trail newest first', async () => {
  const run = await d4ai(['records', '--subscription', lz.zone.ids['corp-ai-prod'], '--limit', '5', '--json']);
  expect(run.code).toBe(0);
  const records = JSON.parse(run.stdout) as Array<{ recordedAt: string; outcome: string }>;
  expect(records.length).toBeGreaterThanOrEqual(1);
  const times = records.map((r) => r.recordedAt);
  expect([...times].sort().reverse()).toEqual(times);
});

it('without a records store, writes JSON lines to .d4ai/records.jsonl and says so', async () => {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'd4ai-file-'));
  const run = await new Promise<Run>((resolve) => {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', ...lz.env };
    delete env.D4AI_RECORDS_CONNECTION;
    const child = spawn(process.execPath, [BIN, 'govern', '--subscription', lz.zone.ids['ai-compliant']], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
  expect(run.code).toBe(0);
  expect(run.stderr).toContain(path.join(cwd, '.d4ai', 'records.jsonl'));
  const lines = fs.readFileSync(path.join(cwd, '.d4ai', 'records.jsonl'), 'utf8').trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ action: 'none', outcome: 'no-op' });
});
