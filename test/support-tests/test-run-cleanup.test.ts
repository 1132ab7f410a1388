import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * `npm test` (test/support/jest-with-test-ca.js) leaves no temporary folders behind: every one a
 * test makes is under the run's own TMPDIR, removed when jest exits, even when the test does not
 * clean up. Checked by running the runner on a fixture that leaves folders behind.
 */
it('a test run removes the temporary folders its tests leave behind (empty or not)', () => {
  const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'd4ai-cleanup-')), 'leak.json');
  const root = path.join(__dirname, '..', '..');
  const run = spawnSync(process.execPath, [path.join(root, 'test', 'support', 'jest-with-test-ca.js'), '--rootDir', root, '--testMatch', '**/fixtures/leaves-temp.fixture.ts', '--runInBand'], {
    cwd: root,
    env: { ...process.env, D4AI_LEAK_REPORT: report },
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(run.status).toBe(0);
  const leaked = JSON.parse(fs.readFileSync(report, 'utf8')) as { tmpdir: string; empty: string; full: string };
  fs.rmSync(path.dirname(report), { recursive: true, force: true });
  expect(leaked.tmpdir).toMatch(/d4ai-test-run-/);
  expect(leaked.empty.startsWith(leaked.tmpdir)).toBe(true);
  for (const dir of [leaked.empty, leaked.full, leaked.tmpdir]) expect(fs.existsSync(dir)).toBe(false);
}, 150_000);
