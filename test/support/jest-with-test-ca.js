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
 * TMPDIR points there for the whole run, and it is removed when jest exits, whatever the tests left.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const runTmp = fs.mkdtempSync(path.join(os.tmpdir(), 'd4ai-test-run-'));
process.env.TMPDIR = runTmp;
process.env.TMP = runTmp;
process.env.TEMP = runTmp;
process.on('exit', () => fs.rmSync(runTmp, { recursive: true, force: true }));

const { runNodeTrustingTestCa } = require('../../sim/test-ca.js');

const jestBin = require.resolve('jest/bin/jest', { paths: [path.resolve(__dirname, '..', '..')] });
// node:sqlite's ExperimentalWarning (the only experimental module the tests load) stays out of the test output.
runNodeTrustingTestCa(['--disable-warning=ExperimentalWarning', jestBin, ...process.argv.slice(2)]).catch((err) => {
  console.error('jest-with-test-ca: could not prepare the test CA:', err);
  process.exit(1);
});
