/**
 * onAzureEvent with a corpus of real-shaped Event Grid and CloudEvents payloads (test/functions/corpus,
 * adapted from /work/shared/contracts/eventgrid). The handler runs with a real InvocationContext and
 * the real durable client, which talks to the durable webhook stand-in; governSubscription is a stub
 * here (what it does is tested elsewhere), so these tests see exactly what the trigger starts.
 */
import './registrations';
import '../../functions';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import * as df from 'durable-functions';
import { InvocationContext } from '@azure/functions';
import { onAzureEvent } from '../../functions/on-azure-event';
import type { GovernInput } from '../../functions/govern-run';
import { FN, governInstanceId } from '../../functions/names';
import { DurableTestHost } from '../../sim/durable-host';
import { startDurableWebhookStandIn, type DurableWebhookStandIn } from './durable-webhook-stand-in';
import { clientInputOf, registered } from './registrations';

interface CorpusCase {
  file: string;
  description: string;
  expected: { kind: 'govern'; subscriptionId: string } | { kind: 'ignored'; reason: string };
  payload: unknown;
}

const CORPUS_DIR = path.join(__dirname, 'corpus');
const corpus: CorpusCase[] = fs
  .readdirSync(CORPUS_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ file, ...(JSON.parse(fs.readFileSync(path.join(CORPUS_DIR, file), 'utf8')) as Omit<CorpusCase, 'file'>) }));

const ASSIGNMENT = '/providers/Microsoft.Management/managementGroups/contoso/providers/Microsoft.Authorization/policyAssignments/d4ai-audit';

df.app.orchestration('stubGovern', function* (context: df.OrchestrationContext): Generator<df.Task, unknown, unknown> {
  // Completes at once: the trigger tests look only at what was started.
  yield* [];
  return { handledRequestIds: [context.df.getInput<GovernInput>().ask.requestId], records: [] };
});

let host: DurableTestHost;
let webhook: DurableWebhookStandIn;
let logs: Array<{ level: string; message: string }>;

beforeAll(() => {
  process.env.D4AI_POLICY_ASSIGNMENT_ID = ASSIGNMENT;
});
afterAll(() => {
  delete process.env.D4AI_POLICY_ASSIGNMENT_ID;
});
beforeEach(async () => {
  const stub = registered.get('stubGovern')?.options.handler;
  if (!stub) throw new Error('stub not registered');
  host = new DurableTestHost({ orchestrators: new Map([[FN.governSubscription, stub]]), activities: new Map(), entities: new Map() });
  webhook = await startDurableWebhookStandIn(host);
  logs = [];
});
afterEach(() => webhook.close());

function context(): InvocationContext {
  const input = clientInputOf(FN.onAzureEvent);
  const ctx = new InvocationContext({
    functionName: FN.onAzureEvent,
    invocationId: randomUUID(),
    options: { extraInputs: [input] },
    logHandler: (level, ...args) => logs.push({ level, message: args.map(String).join(' ') }),
  });
  ctx.extraInputs.set(input, webhook.clientData);
  return ctx;
}

function logged(message: string): Array<Record<string, unknown>> {
  return logs.filter((l) => l.message.startsWith(`${message} {`)).map((l) => JSON.parse(l.message.slice(message.length + 1)) as Record<string, unknown>);
}

const starts = () => webhook.callsTo('POST', /^\/durabletask\/orchestrators\//);

describe('onAzureEvent corpus', () => {
  it('has a case for every kind of payload the brief lists', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(18);
    expect(corpus.filter((c) => c.expected.kind === 'govern').length).toBeGreaterThanOrEqual(6);
  });

  it.each(corpus.map((c) => [c.file, c] as const))('%s', async (_file, testCase) => {
    await expect(onAzureEvent(testCase.payload, context())).resolves.toBeUndefined();
    await host.idle();

    if (testCase.expected.kind === 'govern') {
      const sub = testCase.expected.subscriptionId;
      expect(starts().map((c) => c.path)).toEqual([`/durabletask/orchestrators/${FN.governSubscription}/${governInstanceId(sub)}`]);
      const input = starts()[0]?.body as GovernInput;
      const payload = testCase.payload as { id: string; eventType?: string; type?: string };
      expect(input).toMatchObject({
        coalesce: true,
        ask: { dryRun: false, request: { subscriptionId: sub, trigger: 'event', detail: { eventId: payload.id, eventType: payload.eventType ?? payload.type } } },
      });
      // The input carries ids and trigger detail only: the run decides with the app's own settings.
      expect(Object.keys(input.ask).sort()).toEqual(['dryRun', 'request', 'requestId']);
      // Only ids, types and times are kept: no claims, names, e-mails or IP addresses; no secrets.
      const text = JSON.stringify(input);
      for (const personal of ['jane@contoso.com', '203.0.113.7', 'Jane Doe', 'claims', 'authorization', 'UseDevelopmentStorage']) expect(text).not.toContain(personal);
      expect(logged('D4AI event accepted')).toEqual([
        expect.objectContaining({ subscriptionId: sub, eventId: payload.id, instanceId: governInstanceId(sub), trigger: 'event', reason: 'started a governSubscription run' }),
      ]);
      expect(logged('D4AI event ignored')).toEqual([]);
    } else {
      expect(starts()).toEqual([]);
      const ignored = logged('D4AI event ignored');
      expect(ignored).toHaveLength(1);
      expect(String(ignored[0]?.reason)).toContain(testCase.expected.reason);
      const id = (testCase.payload as { id?: unknown } | null)?.id;
      if (typeof id === 'string') expect(ignored[0]?.eventId).toBe(id);
    }
  });

  it('acknowledges an oversized payload without starting anything', async () => {
    const big = { ...(corpus.find((c) => c.file === 'ai-account-write.eventgrid.json')?.payload as object), padding: 'x'.repeat(1024 * 1024) };
    await expect(onAzureEvent(big, context())).resolves.toBeUndefined();
    expect(starts()).toEqual([]);
    expect(String(logged('D4AI event ignored')[0]?.reason)).toMatch(/never delivers more than 1 MB/);
  });

  it('fails the invocation (so Event Grid redelivers) only when the task hub cannot be reached', async () => {
    await webhook.close();
    const payload = corpus.find((c) => c.file === 'ai-account-write.eventgrid.json')?.payload;
    await expect(onAzureEvent(payload, context())).rejects.toThrow();
  });
});
