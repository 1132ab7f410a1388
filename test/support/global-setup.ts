/**
 * jest globalSetup, once per run before any suite:
 *  - refuses to run when jest was not started through `npm test` (test/support/jest-with-test-ca.js).
 *    Without NODE_EXTRA_CA_CERTS set at process start, every SDK call to the HTTPS ARM stand-in
 *    would fail with a certificate error deep inside a test;
 *  - compiles dist/ from the current sources: the built-CLI suites run `bin/d4ai.js` from there,
 *    as an installed package would. Only here: tsc rewrites every file of dist/, and a suite that
 *    rebuilt it while another suite's CLI processes were running made them load a half-written
 *    module (the CLI loads command modules and adapters lazily, mid-run) and fail with
 *    "X is not a constructor" (test/support-tests/single-build.test.ts keeps it here).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export default async function globalSetup(): Promise<void> {
  const ca = process.env.NODE_EXTRA_CA_CERTS;
  const dir = process.env.D4AISIM_TLS_DIR;
  if (!ca || !dir || !fs.existsSync(ca)) {
    throw new Error(
      'NODE_EXTRA_CA_CERTS / D4AISIM_TLS_DIR are not set (or the CA file is missing). ' +
        'Run tests with `npm test` (e.g. `npm test -- test/some-folder`), which generates the test CA ' +
        'and sets NODE_EXTRA_CA_CERTS before jest starts.',
    );
  }
  // A run that a test starts inside this one (test-run-cleanup.test.ts) must not rebuild it either:
  // the flag reaches the workers and whatever they start.
  if (process.env[BUILT_FLAG] === '1') return;
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(__dirname, '..', '..', 'tsconfig.build.json')], { stdio: 'inherit' });
  process.env[BUILT_FLAG] = '1';
}

const BUILT_FLAG = 'D4AITEST_DIST_BUILT';
