/**
 * Stand-in for the App Service / Azure Functions managed identity endpoint (api-version 2019-08-01),
 * the source MSAL node's `AppService` picks when IDENTITY_ENDPOINT and IDENTITY_HEADER are set:
 *   GET <IDENTITY_ENDPOINT>?api-version=2019-08-01&resource=<resource>[&client_id|principal_id|mi_res_id=...]
 *   header X-IDENTITY-HEADER: <IDENTITY_HEADER>
 * and it answers { access_token, expires_on (epoch seconds, as a string), resource, token_type, client_id }.
 * Tokens are JWT-shaped and HMAC-signed with a per-instance secret so the ARM stand-in can verify them.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface IdentityStandIn {
  /** Value for IDENTITY_ENDPOINT, e.g. http://127.0.0.1:40123/msi/token */
  endpoint: string;
  /** Value for IDENTITY_HEADER (the shared secret sent back as X-IDENTITY-HEADER). */
  header: string;
  /** Number of token requests received (valid or not). */
  requests: number;
  /** While true, token requests get no answer at all (the client's timeout must end them). */
  hang: boolean;
  /** The next `failing.count` token requests are answered `failing.status` (App Service's 5xx / 429 shape): the client retries. */
  failing: { count: number; status: number };
  /** Tenant and object id put into every token. */
  tenantId: string;
  objectId: string;
  clientId: string;
  /** True when the token was issued by this instance, is unexpired and its aud matches (trailing '/' ignored). */
  verify(token: string, expectedAudience: string): boolean;
  /** Issues a token directly (for raw HTTP tests that do not go through @azure/identity). */
  issueToken(resource: string): string;
  close(): Promise<void>;
  env(): Record<string, string>;
}

export const IDENTITY_API_VERSION = '2019-08-01';
const TOKEN_LIFETIME_SECONDS = 3600;

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function trimSlash(value: string): string {
  return value.replace(/\/+$/, '');
}

export async function startIdentityStandIn(): Promise<IdentityStandIn> {
  const secret = randomBytes(32);
  const header = randomUUID();
  const ids = { tenantId: randomUUID(), objectId: randomUUID(), clientId: randomUUID() };

  const sign = (input: string): string => createHmac('sha256', secret).update(input).digest('base64url');

  const issueToken = (resource: string): string => {
    const now = Math.floor(Date.now() / 1000);
    const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const payload = b64url(
      JSON.stringify({
        aud: resource,
        iss: `https://sts.windows.net/${ids.tenantId}/`,
        oid: ids.objectId,
        sub: ids.objectId,
        appid: ids.clientId,
        tid: ids.tenantId,
        idtyp: 'app',
        iat: now,
        nbf: now,
        exp: now + TOKEN_LIFETIME_SECONDS,
      }),
    );
    return `${head}.${payload}.${sign(`${head}.${payload}`)}`;
  };

  const verify = (token: string, expectedAudience: string): boolean => {
    const parts = token.split('.');
    if (parts.length !== 3) return false;
    const [head, payload, signature] = parts as [string, string, string];
    const expected = Buffer.from(sign(`${head}.${payload}`));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false;
    try {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { aud?: unknown; exp?: unknown };
      if (typeof claims.aud !== 'string' || typeof claims.exp !== 'number') return false;
      if (claims.exp <= Math.floor(Date.now() / 1000)) return false;
      return trimSlash(claims.aud).toLowerCase() === trimSlash(expectedAudience).toLowerCase();
    } catch {
      return false;
    }
  };

  const standIn: IdentityStandIn = {
    endpoint: '',
    header,
    requests: 0,
    hang: false,
    failing: { count: 0, status: 503 },
    ...ids,
    verify,
    issueToken,
    close: () => Promise.resolve(),
    env: () => ({ IDENTITY_ENDPOINT: standIn.endpoint, IDENTITY_HEADER: header }),
  };

  const server = http.createServer((req, res) => {
    standIn.requests += 1;
    if (standIn.hang) return;
    if (standIn.failing.count > 0) {
      standIn.failing.count -= 1;
      const { status } = standIn.failing;
      sendJson(res, status, { statusCode: status, message: status === 429 ? 'Too many requests' : 'The managed identity endpoint is temporarily unavailable', correlationId: randomUUID() });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== '/msi/token') {
      sendJson(res, 404, { error: { code: 'NotFound', message: `No route for ${req.method} ${url.pathname}` } });
      return;
    }
    // App Service answers a missing secret with 400 and a wrong one with 401.
    const given = req.headers['x-identity-header'];
    if (given === undefined) {
      sendJson(res, 400, { statusCode: 400, message: 'X-IDENTITY-HEADER header is missing', correlationId: randomUUID() });
      return;
    }
    if (given !== header) {
      sendJson(res, 401, { statusCode: 401, message: 'X-IDENTITY-HEADER is invalid', correlationId: randomUUID() });
      return;
    }
    const apiVersion = url.searchParams.get('api-version');
    const resource = url.searchParams.get('resource');
    if (apiVersion !== IDENTITY_API_VERSION || !resource) {
      sendJson(res, 400, {
        statusCode: 400,
        message: `api-version must be ${IDENTITY_API_VERSION} and resource is required`,
        correlationId: randomUUID(),
      });
      return;
    }
    const expiresOn = Math.floor(Date.now() / 1000) + TOKEN_LIFETIME_SECONDS;
    sendJson(res, 200, {
      access_token: issueToken(resource),
      expires_on: String(expiresOn),
      resource,
      token_type: 'Bearer',
      client_id: url.searchParams.get('client_id') ?? ids.clientId,
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  standIn.endpoint = `http://127.0.0.1:${port}/msi/token`;
  standIn.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return standIn;
}

/**
 * Points @azure/identity's managed identity source at the stand-in by setting IDENTITY_ENDPOINT /
 * IDENTITY_HEADER on process.env (and clearing variables that would pick another credential).
 * Returns a function that restores the previous values.
 */
export function useIdentityEnv(identity: IdentityStandIn): () => void {
  const names = [
    'IDENTITY_ENDPOINT',
    'IDENTITY_HEADER',
    'MSI_ENDPOINT',
    'MSI_SECRET',
    'AZURE_CLIENT_ID',
    'AZURE_CLIENT_SECRET',
    'AZURE_TENANT_ID',
    'AZURE_FEDERATED_TOKEN_FILE',
    'AZURE_TOKEN_CREDENTIALS',
  ];
  const saved = new Map(names.map((n) => [n, process.env[n]]));
  for (const n of names) delete process.env[n];
  Object.assign(process.env, identity.env());
  return () => {
    for (const [n, v] of saved) {
      if (v === undefined) delete process.env[n];
      else process.env[n] = v;
    }
  };
}
