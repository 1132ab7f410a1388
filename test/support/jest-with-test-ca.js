/* global require, process, __dirname, console */
/* eslint-disable @typescript-eslint/no-require-imports */
'use strict';
/**
 * `npm test` entry point. Node reads NODE_EXTRA_CA_CERTS only when a process starts, so the Azure
 * SDK clients inside jest (and its workers) trust the local ARM stand-in only when the test CA
 * exists and the variable is set before jest itself starts. This script does exactly that, then
 * runs jest with the same arguments and exits with its code.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { generateTestTls } = require('./test-ca.js');

async function main() {
  const tls = await generateTestTls();
  const jestBin = require.resolve('jest/bin/jest', { paths: [path.resolve(__dirname, '..', '..')] });
  const env = { ...process.env, NODE_EXTRA_CA_CERTS: tls.caCertPath, D4AI_TEST_TLS_DIR: tls.dir };
  const child = spawn(process.execPath, [jestBin, ...process.argv.slice(2)], { stdio: 'inherit', env });
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => {
    fs.rmSync(tls.dir, { recursive: true, force: true });
    process.exit(code ?? (signal ? 1 : 0));
  });
}

main().catch((err) => {
  console.error('jest-with-test-ca: could not prepare the test CA:', err);
  process.exit(1);
});
