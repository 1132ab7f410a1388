/* global require, process, __dirname, console */
/* eslint-disable @typescript-eslint/no-require-imports */
'use strict';
/**
 * `npm test` entry point. Node reads NODE_EXTRA_CA_CERTS only when a process starts, so the Azure
 * SDK clients inside jest (and its workers) trust the local ARM stand-in only when the test CA
 * exists and the variable is set before jest itself starts. This generates the CA, runs jest with
 * the same arguments and that environment, deletes the CA and exits with jest's code.
 *
 * Every temporary folder of the run (the CA's, the tests' working directories, Azurite's and the
 * CLI's, in jest, its workers and every process they start) is made under one folder of its own:
 * TMPDIR points there for the whole run. The tests remove what they make; whatever is still there
 * when jest has exited is a leak: it is named and the run fails (exit 1), then the folder is
 * removed anyway so a failed run does not litter the machine either.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

// Caches that outlive a run stay out of its folder. jest's (ts-jest's compiled files: a cold one
// costs every run the compilation of every file) is where jest keeps it without this runner
// (jest.config.js reads it; a nested run keeps its parent's). tsc's Node compile cache is not
// made: tsc turns it on, and the CLI tests' builds would leave it in the run's folder.
process.env.JEST_CACHE_DIRECTORY ??= path.join(fs.realpathSync(os.tmpdir()), `jest_${process.getuid?.().toString(36) ?? 'd4ai'}`);
process.env.NODE_DISABLE_COMPILE_CACHE = '1';

const runTmp = fs.mkdtempSync(path.join(os.tmpdir(), 'd4ai-test-run-'));
process.env.TMPDIR = runTmp;
process.env.TMP = runTmp;
process.env.TEMP = runTmp;
// The backstop for every way out (an error, a signal forwarded to jest); the check is in leftovers() below.
process.on('exit', () => fs.rmSync(runTmp, { recursive: true, force: true }));

/**
 * jest's exit code, or 1 when the run left something in its TMPDIR. Runs after jest has exited,
 * and jest exits only after its workers have, so a test still writing here is a process it started
 * and did not wait for: a leak too.
 */
function leftovers(code) {
  const left = fs.readdirSync(runTmp);
  if (left.length === 0) return code;
  console.error(`\njest-with-test-ca: the tests left ${left.length} temporary item(s) behind (each test removes what it makes; see test/support/temp-dirs.ts):`);
  for (const name of left) console.error(`  ${name}${fs.statSync(path.join(runTmp, name)).isDirectory() ? '/' : ''}`);
  return code === 0 ? 1 : code;
}

const { runNodeTrustingTestCa } = require('../../sim/test-ca.js');

const jestBin = require.resolve('jest/bin/jest', { paths: [path.resolve(__dirname, '..', '..')] });
// node:sqlite's ExperimentalWarning (the only experimental module the tests load) stays out of the test output.
runNodeTrustingTestCa(['--disable-warning=ExperimentalWarning', jestBin, ...process.argv.slice(2)], leftovers).catch((err) => {
  console.error('jest-with-test-ca: could not prepare the test CA:', err);
  process.exit(1);
});
