/**
 * Both ways the engine runs bound V8's heap growth (shared/heap-growth.ts) before they do any work:
 * the CLI's main and the Functions app's entry module. What the bound does to peak memory is
 * measured by `npm run bench` (BENCH_LARGE), not here: this checks that it is in place.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { useTempDirs } from '../support/temp-dirs';

/* eslint-disable @typescript-eslint/no-require-imports -- each test loads the modules afresh (jest.resetModules) */
const mockFlags: string[] = [];
jest.mock('node:v8', () => ({
  ...jest.requireActual<typeof import('node:v8')>('node:v8'),
  // Recorded, not set: the jest worker's own heap is left as it is.
  setFlagsFromString: (flags: string) => void mockFlags.push(flags),
}));

const tempDir = useTempDirs();

beforeEach(() => {
  mockFlags.length = 0;
  jest.resetModules();
});

it('the CLI sets it when it starts, whatever the command (the built binary, recorded by a preload)', () => {
  const dir = tempDir('heap-growth');
  const preload = path.join(dir, 'record-flags.js');
  const recorded = path.join(dir, 'flags.txt');
  fs.writeFileSync(
    preload,
    `const v8 = require('node:v8'); const set = v8.setFlagsFromString;
     v8.setFlagsFromString = (flags) => { require('node:fs').appendFileSync(${JSON.stringify(recorded)}, flags + '\\n'); return set(flags); };`,
  );
  // ESM-only commander cannot load inside jest, so the CLI runs as its own process, as users run it.
  const run = spawnSync(process.execPath, ['--require', preload, path.join(__dirname, '..', '..', 'bin', 'd4ai.js'), '--version'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', TMPDIR: os.tmpdir() } });
  expect(run.status).toBe(0);
  expect(fs.readFileSync(recorded, 'utf8')).toBe('--heap-growing-percent=50\n');
});

it('the Functions app sets it when its entry module loads, before any function runs', () => {
  require('../functions/registrations');
  require('../../functions');
  expect(mockFlags).toEqual(['--heap-growing-percent=50']);
});

it('is set once per process', () => {
  const { boundHeapGrowth } = require('../../shared/heap-growth') as typeof import('../../shared/heap-growth');
  boundHeapGrowth();
  boundHeapGrowth();
  expect(mockFlags).toEqual(['--heap-growing-percent=50']);
});
