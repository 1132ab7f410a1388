import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * dist/ is compiled once per test run, in test/support/global-setup.ts. tsc rewrites every file
 * of dist/ when it runs, so a suite that compiled it again while another suite's `d4ai` processes
 * were running (2 jest workers) made those processes load a half-written module, since the CLI
 * loads its command modules and adapters lazily: a flaky "X is not a constructor", exit 1. Only the
 * global setup may compile.
 */
const TEST_ROOT = path.join(__dirname, '..');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return /\.(ts|js)$/.test(entry.name) ? [full] : [];
  });
}

it('no test or test helper compiles dist/ itself (only the global setup does, once per run)', () => {
  const allowed = new Set([path.join(TEST_ROOT, 'support', 'global-setup.ts'), __filename]);
  const compiling = sources(TEST_ROOT)
    .filter((file) => !allowed.has(file))
    .filter((file) => /tsconfig\.build\.json|npm run build|typescript\/bin\/tsc/.test(fs.readFileSync(file, 'utf8')))
    .map((file) => path.relative(TEST_ROOT, file));
  expect(compiling).toEqual([]);
  expect(fs.readFileSync(path.join(TEST_ROOT, 'support', 'global-setup.ts'), 'utf8')).toContain('tsconfig.build.json');
});

it('the global setup’s flag reaches the workers, so a jest run a test starts inside this one does not compile again', () => {
  expect(process.env.D4AITEST_DIST_BUILT).toBe('1');
});
