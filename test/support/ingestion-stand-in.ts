/**
 * Stand-in for the Application Insights ingestion endpoint (`IngestionEndpoint=` of a connection
 * string), over HTTPS with the test CA (the exporter upgrades any http:// endpoint to https://, so
 * telemetry and its bearer token never travel in clear): `POST /v2.1/track` with a JSON array (or newline-delimited JSON) of envelopes, gzip or
 * not, answered as Breeze does (`{itemsReceived, itemsAccepted, errors}`). It keeps every envelope
 * and the Authorization header it came with, so a test can check what the exporter really sent.
 */
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import { ensureTestTls } from '../../sim/tls';

export interface Envelope {
  name: string;
  iKey?: string;
  instrumentationKey?: string;
  time: string;
  tags: Record<string, string>;
  data: { baseType: string; baseData: { message?: string; severityLevel?: string | number; properties?: Record<string, string> } };
}

export interface IngestionStandIn {
  /** `InstrumentationKey=<key>;IngestionEndpoint=https://127.0.0.1:<port>/` */
  connectionString: string;
  instrumentationKey: string;
  envelopes: Envelope[];
  /** The Authorization header of each POST, in order (undefined when none was sent). */
  authorizations: Array<string | undefined>;
  /** Message envelopes (traces) whose message is exactly `message`. */
  traces(message: string): Envelope[];
  /** Waits until `predicate` holds for the envelopes received so far, or fails after `timeoutMs`. */
  waitFor(predicate: (envelopes: Envelope[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startIngestionStandIn(instrumentationKey = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9'): Promise<IngestionStandIn> {
  const envelopes: Envelope[] = [];
  const authorizations: Array<string | undefined> = [];
  const tls = await ensureTestTls();
  const server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || !/^\/v2(\.1)?\/track$/.test(req.url ?? '')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{}');
        return;
      }
      authorizations.push(req.headers.authorization);
      const raw = Buffer.concat(chunks);
      const text = (req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw).toString('utf8').trim();
      const batch = (text.startsWith('[') ? (JSON.parse(text) as Envelope[]) : text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Envelope));
      envelopes.push(...batch);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ itemsReceived: batch.length, itemsAccepted: batch.length, errors: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    connectionString: `InstrumentationKey=${instrumentationKey};IngestionEndpoint=https://127.0.0.1:${port}/`,
    instrumentationKey,
    envelopes,
    authorizations,
    traces: (message) => envelopes.filter((e) => e.data.baseType === 'MessageData' && e.data.baseData.message === message),
    waitFor: async (predicate, timeoutMs = 15000) => {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(envelopes)) {
        if (Date.now() > deadline) throw new Error(`ingestion stand-in: condition not met within ${timeoutMs} ms; received ${envelopes.length} envelope(s)`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
