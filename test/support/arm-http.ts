/**
 * Raw HTTPS calls to the ARM stand-in for tests that need exact control over the request
 * (racing PUTs, bodies the SDK would never send, missing tokens). Uses Node's default trust
 * store, i.e. the test CA from NODE_EXTRA_CA_CERTS, exactly like the SDK clients do.
 */
import * as https from 'node:https';
import type { IdentityStandIn } from '../../sim/identity-stand-in';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body (undefined when empty). */
  body: unknown;
  text: string;
}

export interface RawOptions {
  body?: unknown;
  /** Bearer token to send; default: a fresh valid token for the stand-in; null: no Authorization header. */
  token?: string | null;
}

export function armCall(
  arm: { endpoint: string },
  identity: IdentityStandIn,
  method: string,
  pathAndQuery: string,
  opts: RawOptions = {},
): Promise<RawResponse> {
  const url = new URL(pathAndQuery, arm.endpoint);
  const token = opts.token === undefined ? identity.issueToken(arm.endpoint) : opts.token;
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = text ? (JSON.parse(text) as unknown) : undefined;
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
      });
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** `{ error: { code, message } }` of an ARM error body, or undefined. */
export function armErrorOf(res: RawResponse): { code: string; message: string } | undefined {
  const body = res.body as { error?: { code: string; message: string } } | undefined;
  return body?.error;
}
