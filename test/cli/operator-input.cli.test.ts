import { startSimulatedLandingZone, type SimulatedLandingZone } from '../../sim/simulated-landing-zone';
import { aiWriteEvent } from '../../sim/landing-zone';
import { runBuilt, type BuiltRun } from './built-cli';

/**
 * Issue 19, safety and input: errors that name their cause, through the built binary configured
 * by the production environment variables only.
 */
let lz: SimulatedLandingZone;

function d4ai(args: string[], env: Record<string, string | undefined> = {}, input = ''): Promise<BuiltRun> {
  return runBuilt(lz, args, env, undefined, input);
}

beforeAll(async () => {
  lz = await startSimulatedLandingZone();
}, 180_000);
afterAll(async () => {
  await lz?.close();
});

it('a managed identity endpoint answering 500: exit 2 naming the endpoint and the status, no ARM request', async () => {
  const before = lz.arm.requests.length;
  lz.identity.failing = { count: 1000, status: 500 };
  try {
    const run = await d4ai(['govern', '--subscription', lz.zone.ids['corp-ai-prod'], '--yes']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`The managed identity endpoint ${lz.identity.endpoint} (IDENTITY_ENDPOINT) answered HTTP 500`);
    expect(lz.arm.requests.length).toBe(before);
  } finally {
    lz.identity.failing = { count: 0, status: 503 };
  }
}, 60_000);

it.each([
  ['a table endpoint URL over http (its bearer token is sent over https only)', 'http://127.0.0.1:10002/devstoreaccount1', 'is a table endpoint URL over http'],
  ['AccountName and AccountKey without an endpoint or protocol', 'AccountName=acct;AccountKey=a2V5', 'has AccountName and AccountKey but no endpoint: add DefaultEndpointsProtocol=https'],
])('D4AI_RECORDS_CONNECTION as %s is a configuration error: exit 2 naming the setting and what is missing', async (_case, connection, message) => {
  const run = await d4ai(['--dry-run', 'sweep'], { D4AI_RECORDS_CONNECTION: connection });
  expect(run.code).toBe(2);
  expect(run.stderr).toContain(`D4AI_RECORDS_CONNECTION ${message}`);
  expect(run.stderr).not.toContain('a2V5');
});

it('every bad setting at once: one per line, with real line breaks', async () => {
  const run = await d4ai(['--dry-run', 'sweep'], { D4AI_COMPONENTS: 'Nonsense', D4AI_SWEEP_BATCH: 'lots' });
  expect(run.code).toBe(2);
  expect(run.stderr).not.toContain('\\n');
  const lines = run.stderr.trim().split('\n');
  expect(lines[0]).toBe('d4ai: Invalid configuration:');
  expect(lines.filter((l) => l.startsWith('  - D4AI_'))).toHaveLength(2);
});

it('event -: a huge data.subscriptionId is quoted cut to a short prefix with its length, not echoed whole', async () => {
  const event = aiWriteEvent(lz.zone.ids['corp-ai-prod'], 'oai-huge') as { data: Record<string, unknown> };
  event.data.subscriptionId = 'x'.repeat(900_000);
  const run = await d4ai(['--dry-run', 'event', '-'], {}, JSON.stringify(event));
  expect(run.code).toBe(2);
  expect(run.stdout.length + run.stderr.length).toBeLessThan(2000);
  expect(run.stdout).toContain(`(got "${'x'.repeat(60)}"… (900000 characters))`);
});

it.each([
  ['a string', 'not an object'],
  ['null', null],
])('event -: a ResourceWriteSuccess whose data is %s is malformed (exit 2), not "not for us"', async (_case, data) => {
  const event = { ...aiWriteEvent(lz.zone.ids['corp-ai-prod'], 'oai-odd'), data };
  const run = await d4ai(['--dry-run', 'event', '-'], {}, JSON.stringify(event));
  expect(run.code).toBe(2);
  expect(run.stdout).toMatch(/^malformed /m);
  expect(run.stdout).not.toContain('is not an AI resource type');
});
