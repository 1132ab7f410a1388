import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBuilt } from './built-cli';

/**
 * Issue 16's budget: `d4ai records --subscription <id> --limit 20` answers within 200 ms on a store
 * of a million records. The store's query takes a few ms (docs/store.md); what a person waits for is
 * the process starting, and loading the Azure SDK alone takes about half a second. So the commands
 * that read only the local store must not load it. Asserted as what is loaded (not as a time, which
 * depends on the machine): the built binary, with a preload that reports, at exit, every module
 * loaded from node_modules/@azure. `npm run bench` measures the wall time itself.
 */
const SUBSCRIPTION = '00000000-0000-4000-8000-000000000001';
let work: string;
let preload: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'd4ai-startup-'));
  preload = path.join(work, 'report-azure-modules.js');
  fs.writeFileSync(
    preload,
    `process.on('exit', () => {
  const azure = Object.keys(require.cache).filter((file) => /[\\\\/]node_modules[\\\\/]@azure[\\\\/]/.test(file)).map((file) => file.replace(/^.*[\\\\/]node_modules[\\\\/]/, ''));
  require('node:fs').writeSync(2, '\\nAZURE-MODULES ' + JSON.stringify([...new Set(azure.map((f) => f.split(/[\\\\/]/).slice(0, 2).join('/')))]) + '\\n');
});\n`,
  );
}, 120_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

async function azurePackagesLoaded(args: string[], env: Record<string, string> = {}): Promise<{ code: number; packages: string[]; stderr: string }> {
  const cwd = fs.mkdtempSync(path.join(work, 'cwd-'));
  const run = await runBuilt({ env: {} }, args, { NODE_OPTIONS: `--require ${preload}`, HOME: cwd, ...env }, cwd);
  const line = /^AZURE-MODULES (.*)$/m.exec(run.stderr);
  if (!line) throw new Error(`no module report from d4ai ${args.join(' ')}: ${run.stderr}`);
  return { code: run.code, packages: JSON.parse(line[1] as string) as string[], stderr: run.stderr };
}

describe('commands that read only the local store start without the Azure SDK', () => {
  test.each([
    [['records', '--subscription', SUBSCRIPTION, '--limit', '20']],
    [['records', '--export', 'jsonl']],
    [['runs']],
    [['lease']],
    [['config']],
    [['records', 'prune', '--older-than', '30']],
  ])('d4ai %j', async (args) => {
    const run = await azurePackagesLoaded(args);
    expect(run.code).toBe(0);
    expect(run.packages).toEqual([]);
  });

  test('the check sees the SDK where a command does load it (event reads the Event Grid schema through @azure/eventgrid)', async () => {
    const run = await azurePackagesLoaded(['event', path.join(work, 'missing.json')]);
    expect(run.code).toBe(2);
    expect(run.packages.length).toBeGreaterThan(0);
  });

  test('with D4AI_RECORDS_CONNECTION the store is Table Storage, and its SDK is loaded for it', async () => {
    const run = await azurePackagesLoaded(['records', '--subscription', SUBSCRIPTION], { D4AI_RECORDS_CONNECTION: 'UseDevelopmentStorage=true' });
    expect(run.packages).toContain('@azure/data-tables');
  });
});
