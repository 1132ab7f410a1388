/* global require, module, process, console */
/* eslint-disable @typescript-eslint/no-require-imports */
'use strict';
/**
 * Test TLS material: a throw-away CA plus a server certificate for localhost / 127.0.0.1 signed by it.
 * Plain CommonJS because jest-with-test-ca.js needs it before ts-jest exists; tls.ts wraps it.
 * A separate CA (rather than one self-signed leaf) is what Node's NODE_EXTRA_CA_CERTS expects:
 * a trust anchor with basicConstraints cA=true and keyCertSign.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const selfsigned = require('selfsigned');

const FILES = { ca: 'ca.pem', cert: 'cert.pem', key: 'key.pem' };

function filesIn(dir) {
  return {
    caCertPath: path.join(dir, FILES.ca),
    certPath: path.join(dir, FILES.cert),
    keyPath: path.join(dir, FILES.key),
  };
}

/** Reads the material from dir, or returns undefined when any of the three files is missing. */
function readTestTls(dir) {
  const p = filesIn(dir);
  if (![p.caCertPath, p.certPath, p.keyPath].every((f) => fs.existsSync(f))) return undefined;
  return {
    dir,
    caCertPath: p.caCertPath,
    caPem: fs.readFileSync(p.caCertPath, 'utf8'),
    certPem: fs.readFileSync(p.certPath, 'utf8'),
    keyPem: fs.readFileSync(p.keyPath, 'utf8'),
  };
}

/** Generates a fresh CA + server certificate into dir (created when missing; a new temp dir when omitted). */
async function generateTestTls(dir) {
  const target = dir || fs.mkdtempSync(path.join(os.tmpdir(), 'd4ai-test-tls-'));
  fs.mkdirSync(target, { recursive: true });
  const notBeforeDate = new Date(Date.now() - 60 * 60 * 1000); // tolerate small clock skew
  const notAfterDate = new Date(Date.now() + 7 * 24 * 60 * 60 * 1000);
  // EC keys: generating two RSA-2048 keys costs seconds on a small machine.
  const common = { keyType: 'ec', curve: 'P-256', algorithm: 'sha256', notBeforeDate, notAfterDate };
  const ca = await selfsigned.generate([{ name: 'commonName', value: 'd4ai test CA' }], {
    ...common,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const leaf = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    ...common,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  const p = filesIn(target);
  fs.writeFileSync(p.caCertPath, ca.cert);
  fs.writeFileSync(p.certPath, leaf.cert);
  fs.writeFileSync(p.keyPath, leaf.private, { mode: 0o600 });
  return { dir: target, caCertPath: p.caCertPath, caPem: ca.cert, certPem: leaf.cert, keyPem: leaf.private };
}

/**
 * Runs `node <args>` with a fresh test CA trusted (NODE_EXTRA_CA_CERTS, D4AISIM_TLS_DIR set),
 * removes the CA afterwards and exits this process with the child's code, or with what
 * `finish(code)` makes of it (npm test's check of what the tests left behind). Never resolves.
 */
async function runNodeTrustingTestCa(args, finish = (code) => code) {
  const tls = await generateTestTls();
  const env = { ...process.env, NODE_EXTRA_CA_CERTS: tls.caCertPath, D4AISIM_TLS_DIR: tls.dir };
  const child = spawn(process.execPath, args, { stdio: 'inherit', env });
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const done = (code) => {
    fs.rmSync(tls.dir, { recursive: true, force: true });
    process.exit(finish(code));
  };
  child.on('exit', (code, signal) => done(code ?? (signal ? 1 : 0)));
  child.on('error', (err) => {
    console.error(err);
    done(1);
  });
  return new Promise(() => {});
}

/**
 * For scripts such as `npm run demo`: Node reads NODE_EXTRA_CA_CERTS only at start-up, so when
 * this process does not already trust a test CA it re-runs the same command with one and exits
 * with that run's code (never resolving). Resolves at once in the process that trusts it.
 */
async function relaunchTrustingTestCa() {
  const dir = process.env.D4AISIM_TLS_DIR;
  if (process.env.NODE_EXTRA_CA_CERTS && dir && readTestTls(dir)) return;
  await runNodeTrustingTestCa([...process.execArgv, ...process.argv.slice(1)]);
}

module.exports = { generateTestTls, readTestTls, runNodeTrustingTestCa, relaunchTrustingTestCa };
