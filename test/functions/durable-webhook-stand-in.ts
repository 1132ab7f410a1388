/**
 * The Durable Functions extension's HTTP API, as `df.getClient(context)` talks to it, backed by the
 * DurableTestHost. The client reads its binding data ({taskHubName, creationUrls, managementUrls,
 * baseUrl, requiredQueryStringParameters, rpcBaseUrl}) from the invocation's durableClient input and,
 * when rpcBaseUrl is present (as the extension sends it for the Node.js v4 model), calls:
 *   POST {rpc}orchestrators/{name}/{instanceId}  body = input      -> 202 {id, ...} | 500 if running
 *   GET  {rpc}instances/{instanceId}                               -> 200/202 status | 404
 *   POST {rpc}instances/{instanceId}/raiseEvent/{event} body=data  -> 202 | 410 finished | 404
 * The answers follow the extension's HttpApiHandler (a start refused under NonRunningStates comes
 * back as a 500, which the client turns into an Error).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DurableTestHost } from '../../sim/durable-host';

export const TASK_HUB = 'd4aigovernor';
const SYSTEM_KEY = 'test-system-key';

export interface WebhookCall {
  method: string;
  path: string;
  body?: unknown;
  status: number;
}

export interface DurableWebhookStandIn {
  /** Data for the durableClient input binding. */
  clientData: Record<string, unknown>;
  calls: WebhookCall[];
  callsTo(method: string, pattern: RegExp): WebhookCall[];
  /**
   * Stale answers for the next status reads (to recreate races deterministically): '404' answers
   * "not found", 'Running' answers a running status, whatever the host's state is.
   */
  staleStatus: Array<'404' | 'Running'>;
  close(): Promise<void>;
}

/** `host` may be a function, for tests that swap the durable host between cases. */
export async function startDurableWebhookStandIn(hostOrGetter: DurableTestHost | (() => DurableTestHost)): Promise<DurableWebhookStandIn> {
  const currentHost = (): DurableTestHost => (typeof hostOrGetter === 'function' ? hostOrGetter() : hostOrGetter);
  const calls: WebhookCall[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text === '' ? undefined : (JSON.parse(text) as unknown);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const path = decodeURIComponent(url.pathname);
      const answer = handle(req.method ?? 'GET', path, body);
      calls.push({ method: req.method ?? 'GET', path, ...(body !== undefined ? { body } : {}), status: answer.status });
      const payload = answer.body === undefined ? '' : JSON.stringify(answer.body);
      res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
    });
  });

  const handle = (method: string, path: string, body: unknown): { status: number; body?: unknown } => {
    const host = currentHost();
    let m = /^\/durabletask\/orchestrators\/([^/]+)(?:\/([^/]+))?$/.exec(path);
    if (m && method === 'POST') {
      const name = m[1] ?? '';
      const instanceId = m[2] ?? `auto-${calls.length}`;
      try {
        host.start(name, instanceId, body);
      } catch (error) {
        return { status: 500, body: { Message: 'Something went wrong while processing your request', ExceptionMessage: (error as Error).message } };
      }
      return { status: 202, body: managementPayload(instanceId) };
    }
    m = /^\/durabletask\/instances\/([^/]+)\/raiseEvent\/([^/]+)$/.exec(path);
    if (m && method === 'POST') {
      const outcome = host.raise(m[1] ?? '', m[2] ?? '', body);
      return { status: outcome === 'accepted' ? 202 : outcome === 'gone' ? 410 : 404 };
    }
    m = /^\/durabletask\/instances\/([^/]+)$/.exec(path);
    if (m && method === 'GET') {
      const stale = standIn.staleStatus.shift();
      const instance = host.instances.get(m[1] ?? '');
      if (stale === '404') return { status: 404 };
      if (stale === 'Running' && instance) {
        return { status: 202, body: { name: instance.name, instanceId: instance.instanceId, runtimeStatus: 'Running', input: null, customStatus: null, output: null, createdTime: instance.createdTime.toISOString(), lastUpdatedTime: instance.lastUpdatedTime.toISOString() } };
      }
      if (!instance) return { status: 404 };
      const live = host.isLive(instance.instanceId);
      return {
        status: live ? 202 : 200,
        body: {
          name: instance.name,
          instanceId: instance.instanceId,
          runtimeStatus: instance.status === 'ContinuedAsNew' ? 'Running' : instance.status,
          input: instance.input ?? null,
          customStatus: instance.customStatus ?? null,
          output: instance.output ?? null,
          createdTime: instance.createdTime.toISOString(),
          lastUpdatedTime: instance.lastUpdatedTime.toISOString(),
        },
      };
    }
    return { status: 404 };
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const webhook = `${origin}/runtime/webhooks/durabletask`;
  const query = `taskHub=${TASK_HUB}&connection=Storage&code=${SYSTEM_KEY}`;
  function managementPayload(id: string): Record<string, string> {
    const instance = `${webhook}/instances/${id}`;
    return {
      id,
      statusQueryGetUri: `${instance}?${query}`,
      sendEventPostUri: `${instance}/raiseEvent/{eventName}?${query}`,
      terminatePostUri: `${instance}/terminate?reason={text}&${query}`,
      rewindPostUri: `${instance}/rewind?reason={text}&${query}`,
      purgeHistoryDeleteUri: `${instance}?${query}`,
      restartPostUri: `${instance}/restart?${query}`,
      suspendPostUri: `${instance}/suspend?reason={text}&${query}`,
      resumePostUri: `${instance}/resume?reason={text}&${query}`,
    };
  }
  const standIn: DurableWebhookStandIn = {
    clientData: {
      taskHubName: TASK_HUB,
      creationUrls: {
        createNewInstancePostUri: `${webhook}/orchestrators/{functionName}[/{instanceId}]?${query}`,
        createAndWaitOnNewInstancePostUri: `${webhook}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${query}`,
      },
      managementUrls: managementPayload('INSTANCEID'),
      baseUrl: webhook,
      requiredQueryStringParameters: query,
      rpcBaseUrl: `${origin}/durabletask/`,
    },
    calls,
    callsTo: (method, pattern) => calls.filter((c) => c.method === method && pattern.test(c.path)),
    staleStatus: [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return standIn;
}
