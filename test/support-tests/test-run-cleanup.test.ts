import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { useTempDirs } from '../support/temp-dirs';

/**
 * `npm test` (test/support/jest-with-test-ca.js) gives its tests a TMPDIR of the run's own and
 * fails a run whose tests leave anything there, naming it, so a test that does not clean up is
 * caught; the folder is removed all the same. Checked by running the runner on a fixture whose
 * passing test leaves folders behind.
 */
const tempDir = useTempDirs();

it('a run whose tests leave temporary folders behind (empty or not) fails naming them, and removes them', () => {
  const report = path.join(tempDir('cleanup'), 'leak.json');
  const root = path.join(__dirname, '..', '..');
  const run = spawnSync(process.execPath, [path.join(root, 'test', 'support', 'jest-with-test-ca.js'), '--rootDir', root, '--testMatch', '**/fixtures/leaves-temp.fixture.ts', '--runInBand'], {
    cwd: root,
    env: { ...process.env, D4AI_LEAK_REPORT: report },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const leaked = JSON.parse(fs.readFileSync(report, 'utf8')) as { tmpdir: string; empty: string; full: string };
  // The fixture's test passed: the failure is the leftovers alone.
  expect(run.stderr).toMatch(/Tests:\s+1 passed, 1 total/);
  expect(run.status).toBe(1);
  expect(run.stderr).toContain('the tests left 2 temporary item(s) behind');
  expect(run.stderr).toContain(`  ${path.basename(leaked.empty)}/`);
  expect(run.stderr).toContain(`  ${path.basename(leaked.full)}/`);
  expect(leaked.tmpdir).toMatch(/d4ai-test-run-/);
  expect(leaked.empty.startsWith(leaked.tmpdir)).toBe(true);
  for (const dir of [leaked.empty, leaked.full, leaked.tmpdir]) expect(fs.existsSync(dir)).toBe(false);
}, 150_000);
