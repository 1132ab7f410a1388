/**
 * The identity stand-in speaks the real App Service managed identity protocol (proved with
 * @azure/identity's DefaultAzureCredential), and the test CA is trusted by a fresh Node process
 * only through NODE_EXTRA_CA_CERTS.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { DefaultAzureCredential } from '@azure/identity';
import { startArmStandIn, type ArmStandIn } from '../../sim/arm-stand-in';
import { startIdentityStandIn, useIdentityEnv, type IdentityStandIn } from '../../sim/identity-stand-in';
import { ensureTestTls } from '../../sim/tls';

const run = promisify(execFile);

function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('identity stand-in', () => {
  let identity: IdentityStandIn;
  let restoreEnv: () => void;

  beforeAll(async () => {
    identity = await startIdentityStandIn();
    restoreEnv = useIdentityEnv(identity);
  });
  afterAll(async () => {
    restoreEnv();
    await identity.close();
  });

  it('issues a token to DefaultAzureCredential through IDENTITY_ENDPOINT / IDENTITY_HEADER', async () => {
    const resource = 'https://127.0.0.1:5555';
    const before = identity.requests;
    const token = await new DefaultAzureCredential().getToken(`${resource}/.default`);
    expect(identity.requests).toBe(before + 1);
    expect(token.token.split('.')).toHaveLength(3);
    // MSAL strips '/.default': the audience is the bare origin.
    expect(identity.verify(token.token, resource)).toBe(true);
    expect(identity.verify(token.token, `${resource}/`)).toBe(true);
    expect(identity.verify(token.token, 'https://management.azure.com')).toBe(false);
    const expiresInSeconds = (token.expiresOnTimestamp - Date.now()) / 1000;
    expect(expiresInSeconds).toBeGreaterThan(3500);
    expect(expiresInSeconds).toBeLessThanOrEqual(3600);
    const claims = JSON.parse(Buffer.from(token.token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ aud: resource, tid: identity.tenantId, oid: identity.objectId });
  });

  it('rejects tampered tokens and tokens from another instance', async () => {
    const token = identity.issueToken('https://x');
    const [h, p] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ aud: 'https://x', exp: 9999999999 })).toString('base64url');
    expect(identity.verify(`${h}.${forged}.${token.split('.')[2]}`, 'https://x')).toBe(false);
    expect(identity.verify(`${h}.${p}`, 'https://x')).toBe(false);
    const other = await startIdentityStandIn();
    try {
      expect(other.verify(token, 'https://x')).toBe(false);
    } finally {
      await other.close();
    }
  });

  it('answers 400 without X-IDENTITY-HEADER and 401 with a wrong one', async () => {
    const url = `${identity.endpoint}?api-version=2019-08-01&resource=https://x`;
    expect((await rawGet(url, {})).status).toBe(400);
    expect((await rawGet(url, { 'X-IDENTITY-HEADER': 'wrong' })).status).toBe(401);
    const ok = await rawGet(url, { 'X-IDENTITY-HEADER': identity.header });
    expect(ok.status).toBe(200);
    const body = JSON.parse(ok.body) as Record<string, unknown>;
    expect(body).toMatchObject({ resource: 'https://x', token_type: 'Bearer' });
    expect(body.expires_on).toMatch(/^\d+$/);
  });
});

describe('test TLS material', () => {
  let identity: IdentityStandIn;
  let arm: ArmStandIn;

  beforeAll(async () => {
    identity = await startIdentityStandIn();
    arm = await startArmStandIn({ identity });
    arm.state.addSubscription({ subscriptionId: '00000000-0000-0000-0000-0000000000c1', displayName: 'child-visible' });
  });
  afterAll(async () => {
    await arm.close();
    await identity.close();
  });

  it('reuses the CA the jest process was started with', async () => {
    const tls = await ensureTestTls();
    expect(process.env.D4AISIM_TLS_DIR).toBeTruthy();
    expect(tls.caCertPath).toBe(path.join(process.env.D4AISIM_TLS_DIR ?? '', 'ca.pem'));
    expect(tls.caCertPath).toBe(process.env.NODE_EXTRA_CA_CERTS);
    expect(tls.caPem).toContain('BEGIN CERTIFICATE');
  });

  const childScript = `
    const https = require('https');
    https.get(process.env.URL, { headers: { authorization: 'Bearer ' + process.env.TOKEN } }, (res) => {
      let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => console.log(res.statusCode + ' ' + b));
    }).on('error', (e) => console.log('ERR ' + e.code));`;

  function childEnv(withCa: boolean): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      URL: `${arm.endpoint}/subscriptions?api-version=2022-12-01`,
      TOKEN: identity.issueToken(arm.endpoint),
    };
    if (!withCa) delete env.NODE_EXTRA_CA_CERTS;
    return env;
  }

  it('lets a child node process with NODE_EXTRA_CA_CERTS reach the stand-in over HTTPS', async () => {
    const { stdout } = await run(process.execPath, ['-e', childScript], { env: childEnv(true) });
    expect(stdout.startsWith('200 ')).toBe(true);
    const body = JSON.parse(stdout.slice(4)) as { value: Array<{ displayName: string }> };
    expect(body.value.map((s) => s.displayName)).toEqual(['child-visible']);
  });

  it('is rejected by a child without NODE_EXTRA_CA_CERTS (the CA is what makes it work)', async () => {
    const { stdout } = await run(process.execPath, ['-e', childScript], { env: childEnv(false) });
    expect(stdout.trim()).toMatch(/^ERR (UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
  });

  it('relaunchTrustingTestCa() re-runs a script so it trusts a fresh CA, then cleans up and passes the exit code', async () => {
    const helper = path.join(__dirname, '..', '..', 'sim', 'test-ca.js');
    const script = `
      const https = require('https');
      const h = require(${JSON.stringify(helper)});
      h.relaunchTrustingTestCa().then(() => {
        const t = h.readTestTls(process.env.D4AISIM_TLS_DIR);
        const srv = https.createServer({ cert: t.certPem, key: t.keyPem }, (q, r) => r.end('trusted')).listen(0, '127.0.0.1', () => {
          https.get('https://127.0.0.1:' + srv.address().port + '/', (res) => {
            res.on('data', (d) => console.log(String(d) + ' ' + process.env.D4AISIM_TLS_DIR));
            res.on('end', () => { srv.close(); process.exitCode = 3; });
          }).on('error', (e) => { console.log('ERR ' + e.code); srv.close(); });
        });
      });`;
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    delete env.D4AISIM_TLS_DIR;
    const err = (await run(process.execPath, ['-e', script], { env }).catch((e: unknown) => e)) as { code?: number; stdout?: string };
    expect(err.code).toBe(3);
    const [word, dir] = (err.stdout ?? '').trim().split(' ');
    expect(word).toBe('trusted');
    expect(fs.existsSync(dir ?? '')).toBe(false);
  });
});

