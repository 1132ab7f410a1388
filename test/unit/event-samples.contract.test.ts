/**
 * The project's event samples (test/builders/event.builder.ts) against the public ones they
 * follow. The public samples live outside this repository (the team's read-only contracts folder,
 * ../shared/contracts/eventgrid beside the checkout); when it is there, each of ours must have the
 * same envelope and data fields and be classified the same way. Without it, our samples stand on
 * their own: they still carry every field the parser reads, which the first test checks.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseEvents } from '../../shared/events';
import { sample, type JsonObject, type SampleName } from '../builders/event.builder';

const NAMES: SampleName[] = [
  'resource_write_success.eventgrid.json',
  'resource_write_success.cloudevents.json',
  'resource_write_failure.eventgrid.json',
  'resource_delete_success.eventgrid.json',
  'subscription_validation_event.eventgrid.json',
  'subscription_validation_response.json',
];
const PUBLIC_DIR = path.resolve(__dirname, '..', '..', '..', 'shared', 'contracts', 'eventgrid');

const keys = (value: unknown): string[] => (value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value).sort() : []);
const first = (value: unknown): JsonObject => (Array.isArray(value) ? (value[0] as JsonObject) : (value as JsonObject));

/** Outcomes without the ids and codes, which differ by design. */
async function classified(body: unknown): Promise<Array<{ kind: string; reason?: string }>> {
  if ((body as { validationResponse?: unknown }).validationResponse !== undefined) return [];
  return (await parseEvents(JSON.stringify(body))).map((o) => ({ kind: o.kind, ...(o.kind === 'ignored' ? { reason: o.reason } : {}) }));
}

it('our samples carry the fields the parser reads', () => {
  for (const name of NAMES.filter((n) => n.startsWith('resource_'))) {
    const event = first(sample(name));
    expect({ name, data: keys(event.data) }).toEqual({ name, data: expect.arrayContaining(['operationName', 'resourceUri', 'subscriptionId', 'claims', 'authorization']) });
    expect(event.id).toEqual(expect.any(String));
  }
});

it('have the same fields as the public samples and are classified the same, when those are beside the repo', async () => {
  const present = NAMES.filter((name) => fs.existsSync(path.join(PUBLIC_DIR, name)));
  for (const name of present) {
    const theirs = JSON.parse(fs.readFileSync(path.join(PUBLIC_DIR, name), 'utf8')) as unknown;
    const ours = sample<unknown>(name);
    expect({ name, envelope: keys(first(ours)) }).toEqual({ name, envelope: keys(first(theirs)) });
    expect({ name, data: keys(first(ours).data) }).toEqual({ name, data: keys(first(theirs).data) });
    expect({ name, outcome: await classified(ours) }).toEqual({ name, outcome: await classified(theirs) });
  }
});
