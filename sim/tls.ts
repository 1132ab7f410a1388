/**
 * TLS material for the HTTPS stand-ins. When jest was started through `npm test`
 * (test/support/jest-with-test-ca.js), D4AISIM_TLS_DIR points at the CA this process already
 * trusts via NODE_EXTRA_CA_CERTS, so that exact certificate must be served; otherwise a fresh CA
 * is generated (useful for the demo, which passes the CA to child processes itself).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateTestTls, readTestTls } from './test-ca.js';

export { relaunchTrustingTestCa } from './test-ca.js';

export interface TestTls {
  /** PEM file to hand to NODE_EXTRA_CA_CERTS (the CA that signed certPem). */
  caCertPath: string;
  certPem: string;
  keyPem: string;
  caPem: string;
}

const cache = new Map<string, Promise<TestTls>>();

function strip(files: { caCertPath: string; certPem: string; keyPem: string; caPem: string }): TestTls {
  return { caCertPath: files.caCertPath, certPem: files.certPem, keyPem: files.keyPem, caPem: files.caPem };
}

async function load(dir: string | undefined): Promise<TestTls> {
  if (dir) {
    const existing = readTestTls(dir);
    return strip(existing ?? (await generateTestTls(dir)));
  }
  const shared = process.env.D4AISIM_TLS_DIR;
  const reused = shared ? readTestTls(shared) : undefined;
  if (reused) return strip(reused);
  // A CA only this process (and the children it starts) uses: remove it when the process ends.
  const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'd4ai-tls-'));
  process.once('exit', () => fs.rmSync(fresh, { recursive: true, force: true }));
  return strip(await generateTestTls(fresh));
}

/**
 * Returns the certificate for localhost / 127.0.0.1 and its CA, written as ca.pem, cert.pem and
 * key.pem. With `dir`, files already there are reused (else generated there). Memoised per process.
 */
export function ensureTestTls(dir?: string): Promise<TestTls> {
  const key = dir ?? `env:${process.env.D4AISIM_TLS_DIR ?? ''}`;
  let pending = cache.get(key);
  if (!pending) {
    pending = load(dir);
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
  }
  return pending;
}
