/* global require, process, __dirname, console */
/* eslint-disable @typescript-eslint/no-require-imports */
'use strict';
/**
 * `npm test` entry point. Node reads NODE_EXTRA_CA_CERTS only when a process starts, so the Azure
 * SDK clients inside jest (and its workers) trust the local ARM stand-in only when the test CA
 * exists and the variable is set before jest itself starts. This generates the CA, runs jest with
 * the same arguments and that environment, deletes the CA and exits with jest's code.
 */
const path = require('node:path');
const { runNodeTrustingTestCa } = require('../../sim/test-ca.js');

const jestBin = require.resolve('jest/bin/jest', { paths: [path.resolve(__dirname, '..', '..')] });
// node:sqlite's ExperimentalWarning (the only experimental module the tests load) stays out of the test output.
runNodeTrustingTestCa(['--disable-warning=ExperimentalWarning', jestBin, ...process.argv.slice(2)]).catch((err) => {
  console.error('jest-with-test-ca: could not prepare the test CA:', err);
  process.exit(1);
});
