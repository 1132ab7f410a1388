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
  properties,
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

  test('covers the three sources: AI resource writes, policy states and the vending topic', () => {
    expect(all.map(({ file }) => file.name).sort()).toEqual([
      'infra/modules/policy-events.bicep',
      'infra/modules/subscription-events-topic.bicep',
      'infra/modules/vending-topic.bicep',
    ]);
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
    for (const module of ['modules/vending-topic.bicep', 'modules/policy-events.bicep', 'modules/subscription-events.bicep']) expect(fromMain).not.toContain(module);
    const events = await infraFile('events.bicep');
    expect(events.modules().map((m) => m.source).sort()).toEqual(['modules/policy-events.bicep', 'modules/subscription-events.bicep', 'modules/vending-topic.bicep']);
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

describe('policy-state topic', () => {
  let policy: BicepFile;
  beforeAll(async () => {
    policy = await infraFile('modules/policy-events.bicep');
  });

  test('listens to the whole management group', () => {
    const [topic] = policy.resourcesOfType('Microsoft.EventGrid/systemTopics');
    expect(literal(prop(topic?.body, 'properties', 'topicType'))).toBe('Microsoft.PolicyInsights.PolicyStates');
    expect(stringTemplate(prop(topic?.body, 'properties', 'source'))).toBe(
      '/tenants/${tenant().tenantId}/providers/Microsoft.Management/managementGroups/${managementGroupId}',
    );
  });

  test('forwards only NonCompliant states of the audit assignment, for event types the code handles', async () => {
    const [subscription] = policy.resourcesOfType('Microsoft.EventGrid/systemTopics/eventSubscriptions');
    const filter = prop(subscription?.body, 'properties', 'filter');
    const types = literal(prop(filter, 'includedEventTypes')) as string[];
    expect(types.sort()).toEqual(['Microsoft.PolicyInsights.PolicyStateChanged', 'Microsoft.PolicyInsights.PolicyStateCreated']);
    const advanced = (prop(filter, 'advancedFilters')?.namedChildren ?? []).map((n) => ({
      operatorType: literal(prop(n ?? undefined, 'operatorType')),
      key: literal(prop(n ?? undefined, 'key')),
      values: prop(n ?? undefined, 'values')?.text.replace(/\s+/g, ' '),
    }));
    expect(advanced).toEqual([
      { operatorType: 'StringIn', key: 'data.policyAssignmentId', values: '[ policyAssignmentId ]' },
      { operatorType: 'StringIn', key: 'data.complianceState', values: "[ 'NonCompliant' ]" },
    ]);

    // And the code turns exactly such an event into a govern request.
    const assignment = '/providers/Microsoft.Management/managementGroups/contoso/providers/Microsoft.Authorization/policyAssignments/d4ai-audit-ai';
    for (const type of types) {
      const [outcome] = await parseEvents(
        {
          specversion: '1.0',
          id: `evt-${type}`,
          type,
          source: '/tenants/t/providers/Microsoft.Management/managementGroups/contoso',
          time: '2026-01-05T10:00:00Z',
          data: { policyAssignmentId: assignment.toLowerCase(), complianceState: 'NonCompliant', subscriptionId: '11111111-2222-3333-4444-555555555555' },
        },
        { policyAssignmentId: assignment },
      );
      expect(outcome?.kind).toBe('govern');
    }
  });

  test('is fed the same assignment id the app setting uses', async () => {
    const events = await infraFile('events.bicep');
    const module = events.modules().find((m) => m.source === 'modules/policy-events.bicep');
    expect(prop(module?.body, 'params', 'policyAssignmentId')?.text).toBe('policyAssignmentId');
    const params = await infraFile('events.bicepparam');
    expect(stringValue(callArguments(params.params().get('policyAssignmentId')?.defaultValue)[0])).toBe('D4AI_POLICY_ASSIGNMENT_ID');
    const main = await infraFile('main.bicep');
    expect(main.outputs().get('D4AI_POLICY_ASSIGNMENT_ID')?.text).toBe('policyAssignmentId');
    expect(properties(main.vars().get('d4aiSettings')).find((p) => p.key === 'D4AI_POLICY_ASSIGNMENT_ID')?.value.text).toBe('policyAssignmentId');
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
