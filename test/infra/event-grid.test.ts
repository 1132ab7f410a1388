/**
 * Event Grid wiring: what reaches the `onAzureEvent` function, in which envelope, and what happens
 * to events it cannot take. The Event Grid filter must list exactly the operations the code treats
 * as AI writes (AI_WRITE_OPERATIONS), and the documented event contract must be what the code
 * accepts (docs/events.md samples go through parseEvents).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AI_WRITE_OPERATIONS } from '../../shared/ai-resource-types';
import { FN } from '../../functions/names';
import { SUBSCRIPTION_CREATED_EVENT_TYPE, parseEvents } from '../../shared/events';
import {
  type BicepFile,
  INFRA_DIR,
  REPO_ROOT,
  type ResourceDecl,
  callArguments,
  callName,
  filesUnder,
  infraFile,
  literal,
  loadBicep,
  prop,
  relativeToRepo,
  stringTemplate,
  stringValue,
} from './bicep';

/** The Event Grid trigger the functions register (functions/names.ts). */
const FUNCTION_NAME = FN.onAzureEvent;
const OPERATIONS_FILE = path.join(INFRA_DIR, 'ai-write-operations.json');
/** Event Grid accepts at most 25 values in one StringIn filter. */
const MAX_STRING_IN_VALUES = 25;

async function eventSubscriptions(): Promise<Array<{ file: BicepFile; subscription: ResourceDecl }>> {
  const found: Array<{ file: BicepFile; subscription: ResourceDecl }> = [];
  for (const name of filesUnder(INFRA_DIR, ['.bicep'])) {
    const file = await loadBicep(name);
    for (const subscription of file.resources().filter((r) => /\/eventSubscriptions@/i.test(r.type))) found.push({ file, subscription });
  }
  return found;
}

describe('AI write operations filter', () => {
  test('infra/ai-write-operations.json is exactly AI_WRITE_OPERATIONS (shared/ai-resource-types.ts)', () => {
    const json: unknown = JSON.parse(fs.readFileSync(OPERATIONS_FILE, 'utf8'));
    expect(json).toEqual([...AI_WRITE_OPERATIONS]);
  });

  test('fits in one Event Grid StringIn filter and has no duplicates', () => {
    const json = JSON.parse(fs.readFileSync(OPERATIONS_FILE, 'utf8')) as string[];
    expect(json.length).toBeLessThanOrEqual(MAX_STRING_IN_VALUES);
    expect(new Set(json.map((o) => o.toLowerCase())).size).toBe(json.length);
  });

  test('the subscription system topic filters ResourceWriteSuccess on data.operationName with that file', async () => {
    const module = await infraFile('modules/subscription-events-topic.bicep');
    const [topic] = module.resourcesOfType('Microsoft.EventGrid/systemTopics');
    expect(literal(prop(topic?.body, 'location'))).toBe('global');
    expect(literal(prop(topic?.body, 'properties', 'topicType'))).toBe('Microsoft.Resources.Subscriptions');
    expect(prop(topic?.body, 'properties', 'source')?.text).toBe('subscription().id');

    const [writes] = module.resourcesOfType('Microsoft.EventGrid/systemTopics/eventSubscriptions');
    const filter = prop(writes?.body, 'properties', 'filter');
    expect(literal(prop(filter, 'includedEventTypes'))).toEqual(['Microsoft.Resources.ResourceWriteSuccess']);
    const advanced = prop(filter, 'advancedFilters');
    const filters = advanced?.namedChildren ?? [];
    expect(filters).toHaveLength(1);
    const only = filters[0] ?? undefined;
    expect(literal(prop(only, 'operatorType'))).toBe('StringIn');
    expect(literal(prop(only, 'key'))).toBe('data.operationName');
    const values = module.resolve(prop(only, 'values'));
    expect(callName(values)).toBe('loadJsonContent');
    const loaded = stringValue(callArguments(values)[0]) ?? '';
    expect(path.resolve(path.dirname(module.file), loaded)).toBe(OPERATIONS_FILE);
  });
});

describe('every event subscription', () => {
  let all: Array<{ file: BicepFile; subscription: ResourceDecl }>;
  beforeAll(async () => {
    all = await eventSubscriptions();
  });

  test('covers the two event sources: AI resource writes per subscription and the vending topic', () => {
    expect(all.map(({ file }) => file.name).sort()).toEqual(['infra/modules/subscription-events-topic.bicep', 'infra/modules/vending-topic.bicep']);
  });

  test('no system topic takes a management group or a tenant as its source (Event Grid offers only subscription sources)', async () => {
    for (const file of filesUnder(INFRA_DIR, ['.bicep'])) {
      const bicep = await infraFile(path.relative(INFRA_DIR, file));
      for (const topic of bicep.resourcesOfType('Microsoft.EventGrid/systemTopics')) {
        const source = prop(topic.body, 'properties', 'source')?.text ?? '';
        expect({ file: bicep.name, source }).not.toEqual({ file: bicep.name, source: expect.stringMatching(/managementGroups|\/tenants\//i) });
      }
    }
  });

  test(`delivers to the ${FUNCTION_NAME} function as an AzureFunction endpoint, one event per call`, () => {
    for (const { file, subscription } of all) {
      const destination = prop(subscription.body, 'properties', 'destination');
      expect(literal(prop(destination, 'endpointType'))).toBe('AzureFunction');
      expect(stringTemplate(prop(destination, 'properties', 'resourceId'))).toBe('${functionAppId}/functions/${functionName}');
      expect(literal(file.params().get('functionName')?.defaultValue)).toBe(FUNCTION_NAME);
      expect(literal(prop(destination, 'properties', 'maxEventsPerBatch'))).toBe(1);
    }
  });

  test('uses the CloudEvents 1.0 schema (the vending topic is CloudEvents, so everything is)', () => {
    for (const { subscription } of all) expect(literal(prop(subscription.body, 'properties', 'eventDeliverySchema'))).toBe('CloudEventSchemaV1_0');
  });

  test('retries for a day and then dead-letters to the storage container with the Event Grid identity', () => {
    for (const { file, subscription } of all) {
      expect(literal(prop(subscription.body, 'properties', 'retryPolicy'))).toEqual({ maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 });
      const deadLetter = prop(subscription.body, 'properties', 'deadLetterWithResourceIdentity');
      expect(literal(prop(deadLetter, 'identity', 'type'))).toBe('UserAssigned');
      expect(prop(deadLetter, 'identity', 'userAssignedIdentity')?.text).toBe('eventGridIdentityId');
      const destination = prop(deadLetter, 'deadLetterDestination');
      expect(literal(prop(destination, 'endpointType'))).toBe('StorageBlob');
      expect(prop(destination, 'properties', 'resourceId')?.text).toBe('deadLetterStorageId');
      expect(literal(file.resolve(prop(destination, 'properties', 'blobContainerName')))).toBe('eventgrid-deadletter');
    }
  });

  test('the topic that owns it has the Event Grid identity attached (dead-lettering needs it)', () => {
    for (const { file, subscription } of all) {
      const parent = prop(subscription.body, 'parent')?.text;
      const topic = file.resources().find((r) => r.symbol === parent);
      expect(literal(prop(topic?.body, 'identity', 'type'))).toBe('UserAssigned');
      expect(prop(topic?.body, 'identity', 'userAssignedIdentities')?.text).toMatch(/eventGridIdentityId|identities/);
    }
  });

  test('is deployed after the code (events.bicep, postdeploy hook), never by main.bicep', async () => {
    const main = await infraFile('main.bicep');
    const fromMain = main.modules().map((m) => m.source);
    for (const module of ['modules/vending-topic.bicep', 'modules/subscription-events.bicep']) expect(fromMain).not.toContain(module);
    const events = await infraFile('events.bicep');
    expect(events.modules().map((m) => m.source).sort()).toEqual(['modules/subscription-events.bicep', 'modules/vending-topic.bicep']);
  });
});

describe('vending topic', () => {
  test(`accepts CloudEvents and forwards only ${SUBSCRIPTION_CREATED_EVENT_TYPE}`, async () => {
    const vending = await infraFile('modules/vending-topic.bicep');
    const [topic] = vending.resourcesOfType('Microsoft.EventGrid/topics');
    expect(literal(prop(topic?.body, 'properties', 'inputSchema'))).toBe('CloudEventSchemaV1_0');
    const [subscription] = vending.resourcesOfType('Microsoft.EventGrid/topics/eventSubscriptions');
    const types = prop(subscription?.body, 'properties', 'filter', 'includedEventTypes');
    const resolved = (types?.namedChildren ?? []).map((n) => literal(vending.resolve(n ?? undefined)));
    expect(resolved).toEqual([SUBSCRIPTION_CREATED_EVENT_TYPE]);
  });
});

describe('docs/events.md', () => {
  const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'events.md'), 'utf8');
  const samples = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1] as string);

  test('has sample payloads', () => {
    expect(samples.length).toBeGreaterThanOrEqual(3);
  });

  test.each(samples.map((s, i) => [i + 1, s] as const))('sample %i is an event the function governs', async (_i, sample) => {
    const outcomes = await parseEvents(sample, {
      policyAssignmentId: '/providers/Microsoft.Management/managementGroups/contoso-landing-zones/providers/Microsoft.Authorization/policyAssignments/d4ai-audit-ai',
    });
    expect(outcomes.map((o) => o.kind)).toEqual(outcomes.map(() => 'govern'));
  });

  test(`documents the ${SUBSCRIPTION_CREATED_EVENT_TYPE} contract`, () => {
    expect(doc).toContain(SUBSCRIPTION_CREATED_EVENT_TYPE);
    expect(doc).toContain('subscriptionId');
    expect(doc).toContain(relativeToRepo(path.join(INFRA_DIR, 'modules', 'subscription-events.bicep')));
  });
});
