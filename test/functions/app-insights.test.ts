/**
 * The Functions logger's Application Insights path, for real: the applicationinsights SDK sends to a
 * local ingestion stand-in (connection string with IngestionEndpoint=http://127.0.0.1:<port>/) and
 * the test reads what arrived. Structured fields must arrive as the trace's properties, which is
 * what Application Insights stores as customDimensions.
 */
import * as http from 'node:http';
import * as zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { InvocationContext } from '@azure/functions';
import { LOG_MESSAGES } from '../../shared/observability/log';

import { startIdentityStandIn, useIdentityEnv } from '../support/identity-stand-in';

interface Envelope {
  name: string;
  iKey: string;
  tags: Record<string, string>;
  data: { baseType: string; baseData: { message: string; severityLevel: number; properties?: Record<string, string> } };
}

const IKEY = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';
let server: http.Server;
const received: Envelope[] = [];
const authorizations: Array<string | undefined> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v2.1/track') {
        authorizations.push(req.headers.authorization);
        const raw = Buffer.concat(chunks);
        const text = (req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw).toString('utf8');
        for (const line of text.split('\n').filter((l) => l.trim())) received.push(JSON.parse(line) as Envelope);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ itemsReceived: text.split('\n').length, itemsAccepted: text.split('\n').length, errors: [] }));
        return;
      }
      res.writeHead(404);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  process.env.APPLICATION_INSIGHTS_NO_STATSBEAT = 'true';
  process.env.APPLICATIONINSIGHTS_CONNECTION_STRING = `InstrumentationKey=${IKEY};IngestionEndpoint=http://127.0.0.1:${port}/`;
});

afterAll(async () => {
  delete process.env.APPLICATIONINSIGHTS_CONNECTION_STRING;
  await new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
});

it('sends each log line as a trace whose properties are exactly the structured fields', async () => {
  // Loaded after the connection string is set, as the Functions worker loads the app.
  const { loggerFor, flushTelemetry } = await import('../../functions/runtime');
  const lines: string[] = [];
  const context = new InvocationContext({
    functionName: 'writeRecord',
    invocationId: 'inv-1',
    traceContext: { traceParent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    logHandler: (_level, ...args) => lines.push(args.map(String).join(' ')),
  });
  const logger = loggerFor(context, { subscriptionId: '3f2c1b7e-5a4d-4e1b-9c3a-8d7e6f5a4b3c', runId: 'run-1', instanceId: 'govern-3f2c1b7e-5a4d-4e1b-9c3a-8d7e6f5a4b3c' });
  logger.info(LOG_MESSAGES.decision, { action: 'enable', outcome: 'applied', trigger: 'event', durationMs: 1234, aiResourceCount: 2 });
  logger.error(LOG_MESSAGES.armError, { errorCode: 'AuthorizationFailed', errorMessage: 'The client does not have authorization' });
  // A key outside LOG_FIELDS never reaches customDimensions.
  (logger.info as (m: string, f: Record<string, unknown>) => void)('D4AI event ignored', { eventId: 'e-1', upn: 'jane@contoso.com' });
  await flushTelemetry();
  const deadline = Date.now() + 10000;
  while (received.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));

  const byMessage = new Map(received.map((e) => [e.data.baseData.message, e]));
  const decision = byMessage.get('D4AI decision');
  expect(decision).toBeDefined();
  expect(decision?.iKey).toBe(IKEY);
  expect(decision?.data.baseType).toBe('MessageData');
  expect(decision?.data.baseData.severityLevel).toBe(1);
  expect(decision?.data.baseData.properties).toEqual({
    subscriptionId: '3f2c1b7e-5a4d-4e1b-9c3a-8d7e6f5a4b3c',
    runId: 'run-1',
    instanceId: 'govern-3f2c1b7e-5a4d-4e1b-9c3a-8d7e6f5a4b3c',
    action: 'enable',
    outcome: 'applied',
    trigger: 'event',
    durationMs: '1234',
    aiResourceCount: '2',
  });
  // Correlated with the invocation's operation (W3C trace id).
  expect(decision?.tags['ai.operation.id']).toBe('4bf92f3577b34da6a3ce929d0e0e4736');

  const armError = byMessage.get('D4AI ARM error');
  expect(armError?.data.baseData.severityLevel).toBe(3);
  expect(armError?.data.baseData.properties).toMatchObject({ errorCode: 'AuthorizationFailed' });

  const ignored = byMessage.get('D4AI event ignored');
  expect(ignored?.data.baseData.properties).toEqual({ subscriptionId: '3f2c1b7e-5a4d-4e1b-9c3a-8d7e6f5a4b3c', runId: 'run-1', instanceId: 'govern-3f2c1b7e-5a4d-4e1b-9c3a-8d7e6f5a4b3c', eventId: 'e-1' });
  expect(JSON.stringify(received)).not.toContain('jane@contoso.com');

  // The invocation log keeps the same line for the log stream and `func start`.
  expect(lines[0]).toMatch(/^D4AI decision \{"subscriptionId":"3f2c1b7e-5a4d-4e1b-9c3a-8d7e6f5a4b3c".*"action":"enable"/);
});

it('signs ingestion with the managed identity named in APPLICATIONINSIGHTS_AUTHENTICATION_STRING (local auth is disabled)', async () => {
  const identity = await startIdentityStandIn();
  const restore = useIdentityEnv(identity);
  process.env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING = `Authorization=AAD;ClientId=${identity.clientId}`;
  try {
    authorizations.length = 0;
    received.length = 0;
    await jest.isolateModulesAsync(async () => {
      const { loggerFor, flushTelemetry } = await import('../../functions/runtime');
      loggerFor(new InvocationContext({ functionName: 'writeRecord', logHandler: () => undefined })).info(LOG_MESSAGES.decision, { action: 'none' });
      await flushTelemetry();
    });
    const deadline = Date.now() + 10000;
    while (received.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(received.map((e) => e.data.baseData.message)).toEqual(['D4AI decision']);
    const token = /^Bearer (.+)$/.exec(authorizations[0] ?? '')?.[1] ?? '';
    expect(identity.verify(token, 'https://monitor.azure.com/')).toBe(true);
  } finally {
    delete process.env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING;
    restore();
    await identity.close();
  }
});
