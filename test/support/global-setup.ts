/**
 * jest globalSetup: refuse to run when jest was not started through `npm test`
 * (test/support/jest-with-test-ca.js). Without NODE_EXTRA_CA_CERTS set at process start, every
 * SDK call to the HTTPS ARM stand-in would fail with a certificate error deep inside a test.
 */
import * as fs from 'node:fs';

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
}
