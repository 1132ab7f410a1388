import { EventPayloadError, MAX_EVENT_PAYLOAD_BYTES, parseEvents, type EventOutcome } from '../../shared/events';
import { SUB } from '../builders/context.builder';
import {
  AUDIT_ASSIGNMENT,
  DEFENDER_FOR_AI_DEFINITION,
  PERSONAL,
  SAMPLE,
  VENDED_SUB,
  aiResourceId,
  aiWriteEvent,
  dataOf,
  policyStateEvent,
  sample,
  subscriptionCreatedEvent,
  withPersonalData,
  type JsonObject,
} from '../builders/event.builder';

const WRITE_EVENT_ID = SAMPLE.writeEventId;
const WRITE_EVENT_TIME = new Date(SAMPLE.writeEventTime).toISOString();
const ACCOUNT = aiResourceId('Microsoft.CognitiveServices/accounts/oai-prod');

/** Everything that must never leave the parser: personal data, evidence and the sample placeholders for them. */
const FORBIDDEN = [
  PERSONAL.upn,
  PERSONAL.fullName,
  PERSONAL.givenName,
  PERSONAL.callerIp,
  PERSONAL.clientIp,
  PERSONAL.objectId,
  PERSONAL.token,
  '@',
  'claims',
  'authorization',
  'httpRequest',
  'evidence',
  'clientIpAddress',
  'ipaddr',
  'upn',
  'Owner',
  'Subscription Admin',
  '{IP-address}',
  '{user-name}',
  '{full-name}',
  '{first-name}',
  '{last-name}',
  '{token}',
  'correlationId',
  'tenantId',
  'validationUrl',
];

function expectNoPersonalData(outcomes: EventOutcome[]): void {
  const serialized = JSON.stringify(outcomes);
  for (const text of FORBIDDEN) expect({ text, found: serialized.includes(text) }).toEqual({ text, found: false });
  expect(serialized).not.toMatch(/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/);
}

async function one(body: unknown, options = {}): Promise<EventOutcome> {
  const outcomes = await parseEvents(body, options);
  expect(outcomes).toHaveLength(1);
  return outcomes[0] as EventOutcome;
}

describe('parseEvents: Microsoft.Resources.ResourceWriteSuccess', () => {
  it('ignores the documentation sample as it is: its operation is a storage account write', async () => {
    const event = sample('resource_write_success.eventgrid.json');
    expect(dataOf(event).operationName).toBe('Microsoft.Storage/storageAccounts/write');

    expect(await one(JSON.stringify(event))).toEqual({
      kind: 'ignored',
      reason: 'Resource write Microsoft.Storage/storageAccounts/write is not an AI resource type.',
      eventId: WRITE_EVENT_ID,
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    });
  });

  it('ignores the CloudEvents sample as it is, too', async () => {
    expect(await one(JSON.stringify(sample('resource_write_success.cloudevents.json')))).toEqual({
      kind: 'ignored',
      reason: 'Resource write Microsoft.Storage/storageAccounts/write is not an AI resource type.',
      eventId: WRITE_EVENT_ID,
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    });
  });

  const AI_WRITES: Array<[string, string]> = [
    ['Microsoft.CognitiveServices/accounts/write', aiResourceId('Microsoft.CognitiveServices/accounts/oai-prod')],
    ['Microsoft.CognitiveServices/accounts/projects/write', aiResourceId('Microsoft.CognitiveServices/accounts/foundry-1/projects/agents')],
    ['Microsoft.MachineLearningServices/workspaces/write', aiResourceId('Microsoft.MachineLearningServices/workspaces/mlw-hub')],
    ['Microsoft.MachineLearningServices/registries/write', aiResourceId('Microsoft.MachineLearningServices/registries/models')],
  ];

  describe.each(['eventgrid', 'cloudevents'] as const)('%s schema', (schema) => {
    it.each(AI_WRITES)('governs the subscription after %s', async (operationName, resourceUri) => {
      const outcome = await one(JSON.stringify(aiWriteEvent(schema, operationName, resourceUri)));

      expect(outcome).toEqual({
        kind: 'govern',
        request: {
          subscriptionId: SUB,
          trigger: 'event',
          detail: {
            eventId: WRITE_EVENT_ID,
            eventType: 'Microsoft.Resources.ResourceWriteSuccess',
            eventTime: WRITE_EVENT_TIME,
            operationName,
            resourceId: resourceUri,
          },
        },
      });
      expectNoPersonalData([outcome]);
    });

    it('keeps only ids, types and times in the request detail', async () => {
      const outcome = await one(aiWriteEvent(schema, 'Microsoft.CognitiveServices/accounts/write', ACCOUNT));

      expect(outcome.kind).toBe('govern');
      const detail = outcome.kind === 'govern' ? outcome.request.detail : undefined;
      expect(Object.keys(detail ?? {}).sort()).toEqual(['eventId', 'eventTime', 'eventType', 'operationName', 'resourceId']);
      expectNoPersonalData([outcome]);
    });
  });

  it('matches the operation name case-insensitively and lower-cases the subscription id', async () => {
    const event = aiWriteEvent('eventgrid', 'microsoft.cognitiveservices/ACCOUNTS/write', ACCOUNT, SUB.toUpperCase());
    const outcome = await one(event);

    expect(outcome).toMatchObject({ kind: 'govern', request: { subscriptionId: SUB } });
  });

  it('takes the subscription from the resource id when data.subscriptionId is absent', async () => {
    const other = '22222222-3333-4444-5555-666666666666';
    const uri = aiResourceId('Microsoft.MachineLearningServices/workspaces/mlw', other);
    const outcome = await one(aiWriteEvent('eventgrid', 'Microsoft.MachineLearningServices/workspaces/write', uri, null));

    expect(outcome).toMatchObject({ kind: 'govern', request: { subscriptionId: other } });
  });

  it('governs on the resource type when the event has no operation name', async () => {
    const outcome = await one(aiWriteEvent('eventgrid', undefined, ACCOUNT));

    expect(outcome).toEqual({
      kind: 'govern',
      request: {
        subscriptionId: SUB,
        trigger: 'event',
        detail: { eventId: WRITE_EVENT_ID, eventType: 'Microsoft.Resources.ResourceWriteSuccess', eventTime: WRITE_EVENT_TIME, resourceId: ACCOUNT },
      },
    });
  });

  it.each<[string, string]>([
    ['Microsoft.CognitiveServices/accounts/deployments/write', aiResourceId('Microsoft.CognitiveServices/accounts/oai-prod/deployments/gpt-4o')],
    ['Microsoft.Storage/storageAccounts/write', aiResourceId('Microsoft.Storage/storageAccounts/stai')],
    ['Microsoft.CognitiveServices/accounts/listKeys/action', ACCOUNT],
    ['Microsoft.MachineLearningServices/workspaces/computes/write', aiResourceId('Microsoft.MachineLearningServices/workspaces/w/computes/c')],
  ])('ignores %s', async (operationName, resourceUri) => {
    const outcome = await one(aiWriteEvent('eventgrid', operationName, resourceUri));

    expect(outcome).toEqual({
      kind: 'ignored',
      reason: `Resource write ${operationName} is not an AI resource type.`,
      eventId: WRITE_EVENT_ID,
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    });
    expectNoPersonalData([outcome]);
  });

  it('ignores an AI write whose subscription id is not a GUID', async () => {
    const outcome = await one(aiWriteEvent('eventgrid', 'Microsoft.CognitiveServices/accounts/write', ACCOUNT, '{subscription-id}'));

    expect(outcome).toEqual({
      kind: 'ignored', malformed: true,
      reason: 'Event has no valid data.subscriptionId (got "{subscription-id}").',
      eventId: WRITE_EVENT_ID,
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    });
  });
});

describe('parseEvents: other resource events', () => {
  it('ignores the delete sample', async () => {
    expect(await one(JSON.stringify(sample('resource_delete_success.eventgrid.json')))).toEqual({
      kind: 'ignored',
      reason: 'Event type Microsoft.Resources.ResourceDeleteSuccess is not handled.',
      eventId: SAMPLE.deleteEventId,
      eventType: 'Microsoft.Resources.ResourceDeleteSuccess',
    });
  });

  it('ignores the delete of an AI resource (nothing is ever switched off)', async () => {
    const event = withPersonalData(sample('resource_delete_success.eventgrid.json'));
    Object.assign(dataOf(event), { operationName: 'Microsoft.CognitiveServices/accounts/delete', resourceUri: ACCOUNT, subscriptionId: SUB });
    const outcome = await one(event);

    expect(outcome).toMatchObject({ kind: 'ignored', reason: 'Event type Microsoft.Resources.ResourceDeleteSuccess is not handled.' });
    expectNoPersonalData([outcome]);
  });

  it('ignores the write failure sample, also for an AI resource', async () => {
    const failure = sample('resource_write_failure.eventgrid.json');
    const aiFailure = withPersonalData(sample('resource_write_failure.eventgrid.json'));
    Object.assign(dataOf(aiFailure), { operationName: 'Microsoft.CognitiveServices/accounts/write', resourceUri: ACCOUNT, subscriptionId: SUB });
    const outcomes = await parseEvents(JSON.stringify([failure, aiFailure]));

    expect(outcomes).toEqual([
      {
        kind: 'ignored',
        reason: 'Event type Microsoft.Resources.ResourceWriteFailure is not handled.',
        eventId: WRITE_EVENT_ID,
        eventType: 'Microsoft.Resources.ResourceWriteFailure',
      },
      {
        kind: 'ignored',
        reason: 'Event type Microsoft.Resources.ResourceWriteFailure is not handled.',
        eventId: WRITE_EVENT_ID,
        eventType: 'Microsoft.Resources.ResourceWriteFailure',
      },
    ]);
  });
});

describe('parseEvents: subscription validation', () => {
  it('returns the validation code of the handshake sample, as the response sample expects it', async () => {
    const response = sample<{ validationResponse: string }>('subscription_validation_response.json');
    const outcomes = await parseEvents(JSON.stringify(sample('subscription_validation_event.eventgrid.json')));

    expect(outcomes).toEqual([
      { kind: 'validation', validationCode: SAMPLE.validationCode, eventId: SAMPLE.validationEventId },
    ]);
    expect(outcomes[0]).toMatchObject({ validationCode: response.validationResponse });
    expectNoPersonalData(outcomes);
  });

  it('ignores a validation event without a code', async () => {
    const [event] = sample<JsonObject[]>('subscription_validation_event.eventgrid.json');
    delete dataOf(event as JsonObject).validationCode;

    expect(await one([event])).toEqual({
      kind: 'ignored', malformed: true,
      reason: 'Subscription validation event without a validationCode.',
      eventId: SAMPLE.validationEventId,
      eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
    });
  });
});

describe('parseEvents: LandingZone.SubscriptionCreated', () => {
  it.each(['eventgrid', 'cloudevents'] as const)('governs the new subscription (%s schema)', async (schema) => {
    const outcome = await one(JSON.stringify(subscriptionCreatedEvent(schema)));

    expect(outcome).toEqual({
      kind: 'govern',
      request: {
        subscriptionId: VENDED_SUB,
        trigger: 'event',
        detail: {
          eventId: 'e5a3c1d2-0000-4000-8000-00000000c0de',
          eventType: 'LandingZone.SubscriptionCreated',
          eventTime: '2025-03-14T08:00:00.000Z',
          note: 'subscription created (vending pipeline)',
        },
      },
    });
    expectNoPersonalData([outcome]);
  });

  it.each<[string, JsonObject, string]>([
    ['not a GUID', { subscriptionId: 'corp-ai-prod' }, '"corp-ai-prod"'],
    ['a GUID with braces', { subscriptionId: `{${VENDED_SUB}}` }, `"{${VENDED_SUB}}"`],
    ['empty', { subscriptionId: '' }, 'null'],
    ['a number', { subscriptionId: 42 }, 'null'],
    ['missing', { subscriptionId: undefined }, 'null'],
  ])('ignores a subscription id that is %s', async (_case, data, got) => {
    const outcome = await one(subscriptionCreatedEvent('eventgrid', data));

    expect(outcome).toEqual({
      kind: 'ignored', malformed: true,
      reason: `Event has no valid data.subscriptionId (got ${got}).`,
      eventId: 'e5a3c1d2-0000-4000-8000-00000000c0de',
      eventType: 'LandingZone.SubscriptionCreated',
    });
  });
});

describe('parseEvents: Microsoft.PolicyInsights policy states', () => {
  const GOVERN = {
    kind: 'govern',
    request: {
      subscriptionId: SUB,
      trigger: 'event',
      detail: {
        eventId: '5829794FCB5075FCF585476619577B5A5A30E52C84842CBD4E2AD73996714C4C',
        eventType: 'Microsoft.PolicyInsights.PolicyStateChanged',
        eventTime: '2025-03-14T03:15:00.000Z',
        note: 'policy reported the subscription non-compliant',
      },
    },
  };

  it('governs a subscription NonCompliant with the configured audit assignment (case-insensitive)', async () => {
    expect(await one(policyStateEvent(), { policyAssignmentId: AUDIT_ASSIGNMENT.toUpperCase() })).toEqual(GOVERN);
  });

  it('governs a subscription NonCompliant with a Defender for AI policy, without any option', async () => {
    const event = policyStateEvent({ policyAssignmentId: '/subscriptions/x/providers/Microsoft.Authorization/policyAssignments/asb', policyDefinitionId: DEFENDER_FOR_AI_DEFINITION });

    expect(await one(event)).toEqual(GOVERN);
  });

  it('governs on PolicyStateCreated too', async () => {
    const outcome = await one(policyStateEvent({}, 'Microsoft.PolicyInsights.PolicyStateCreated'), { policyAssignmentId: AUDIT_ASSIGNMENT });

    expect(outcome).toMatchObject({ kind: 'govern', request: { detail: { eventType: 'Microsoft.PolicyInsights.PolicyStateCreated' } } });
  });

  it.each(['Compliant', 'Unknown', 'Exempt'])('ignores a %s state', async (complianceState) => {
    const outcome = await one(policyStateEvent({ complianceState, policyDefinitionId: DEFENDER_FOR_AI_DEFINITION }), {
      policyAssignmentId: AUDIT_ASSIGNMENT,
    });

    expect(outcome).toEqual({
      kind: 'ignored',
      reason: 'Policy state is not NonCompliant.',
      eventId: '5829794FCB5075FCF585476619577B5A5A30E52C84842CBD4E2AD73996714C4C',
      eventType: 'Microsoft.PolicyInsights.PolicyStateChanged',
    });
  });

  it('ignores the states of other assignments and policies', async () => {
    const other = '/subscriptions/x/providers/Microsoft.Authorization/policyAssignments/require-tags';

    expect(await one(policyStateEvent({ policyAssignmentId: other }), { policyAssignmentId: AUDIT_ASSIGNMENT })).toEqual({
      kind: 'ignored',
      reason: `Policy state of ${other} is not about Defender for AI.`,
      eventId: '5829794FCB5075FCF585476619577B5A5A30E52C84842CBD4E2AD73996714C4C',
      eventType: 'Microsoft.PolicyInsights.PolicyStateChanged',
    });
  });

  it('ignores the audit assignment when it is not the configured one', async () => {
    expect(await one(policyStateEvent())).toMatchObject({ kind: 'ignored', reason: `Policy state of ${AUDIT_ASSIGNMENT} is not about Defender for AI.` });
  });

  it('ignores a NonCompliant state without a valid subscription id', async () => {
    expect(await one(policyStateEvent({ subscriptionId: 'n/a' }), { policyAssignmentId: AUDIT_ASSIGNMENT })).toMatchObject({
      kind: 'ignored',
      reason: 'Event has no valid data.subscriptionId (got "n/a").',
    });
  });
});

describe('parseEvents: deliveries', () => {
  it('classifies each event of a mixed array, in order', async () => {
    const body = [
      aiWriteEvent('eventgrid', 'Microsoft.CognitiveServices/accounts/write', ACCOUNT),
      sample('resource_delete_success.eventgrid.json'),
      ...sample<JsonObject[]>('subscription_validation_event.eventgrid.json'),
      subscriptionCreatedEvent('cloudevents'),
      policyStateEvent({ complianceState: 'Compliant' }),
      { id: 'x', eventType: 'Contoso.Custom', subject: 's', topic: 't', eventTime: '2025-01-01T00:00:00Z', dataVersion: '1', metadataVersion: '1', data: {} },
      42,
      null,
      [],
    ];
    const outcomes = await parseEvents(JSON.stringify(body));

    expect(outcomes.map((o) => (o.kind === 'ignored' ? `ignored: ${o.reason}` : o.kind))).toEqual([
      'govern',
      'ignored: Event type Microsoft.Resources.ResourceDeleteSuccess is not handled.',
      'validation',
      'govern',
      'ignored: Policy state is not NonCompliant.',
      'ignored: Event type Contoso.Custom is not handled.',
      'ignored: Not an event object.',
      'ignored: Not an event object.',
      'ignored: Not an event object.',
    ]);
    expect(outcomes.map((o) => (o.kind === 'govern' ? o.request.subscriptionId : undefined))).toEqual([
      SUB,
      undefined,
      undefined,
      VENDED_SUB,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expectNoPersonalData(outcomes);
  });

  it('accepts an already parsed body', async () => {
    expect(await one(subscriptionCreatedEvent('eventgrid'))).toMatchObject({ kind: 'govern', request: { subscriptionId: VENDED_SUB } });
  });

  it.each<[string, string, string]>([
    ['malformed JSON', '{"id": "1", ', 'Event payload is not JSON.'],
    ['an empty body', '', 'Event payload is not JSON.'],
    ['an empty array', '[]', 'Event payload is an empty array.'],
    ['an empty array with whitespace', ' [ ] ', 'Event payload is an empty array.'],
  ])('rejects %s with EventPayloadError', async (_case, body, message) => {
    const attempt = parseEvents(body);

    await expect(attempt).rejects.toBeInstanceOf(EventPayloadError);
    await expect(parseEvents(body)).rejects.toThrow(message);
  });

  it('rejects a payload over 1 MB, counted in bytes', async () => {
    const event = subscriptionCreatedEvent('eventgrid', { padding: 'x'.repeat(MAX_EVENT_PAYLOAD_BYTES) });
    const body = JSON.stringify([event]);

    await expect(parseEvents(body)).rejects.toThrow(
      new EventPayloadError(`Event payload is ${Buffer.byteLength(body)} bytes; Event Grid never delivers more than 1 MB.`),
    );
    // 600k two-byte characters: under 1M characters, over 1 MB.
    const wide = JSON.stringify([subscriptionCreatedEvent('eventgrid', { padding: 'é'.repeat(600_000) })]);
    expect(wide.length).toBeLessThan(MAX_EVENT_PAYLOAD_BYTES);
    await expect(parseEvents(wide)).rejects.toBeInstanceOf(EventPayloadError);
  });

  it('accepts a payload just under 1 MB', async () => {
    const event = subscriptionCreatedEvent('eventgrid', { padding: '' });
    const size = Buffer.byteLength(JSON.stringify(event));
    (event.data as JsonObject).padding = 'x'.repeat(MAX_EVENT_PAYLOAD_BYTES - size);
    const body = JSON.stringify(event);

    expect(Buffer.byteLength(body)).toBe(MAX_EVENT_PAYLOAD_BYTES);
    expect(await one(body)).toMatchObject({ kind: 'govern' });
  });

  it('names the error EventPayloadError', () => {
    expect(new EventPayloadError('x').name).toBe('EventPayloadError');
  });
});

describe('parseEvents: malformed events are ignored, not thrown', () => {
  it.each(['eventTime', 'subject', 'eventType', 'topic', 'dataVersion', 'metadataVersion'])('an Event Grid event without %s', async (field) => {
    const event = aiWriteEvent('eventgrid', 'Microsoft.CognitiveServices/accounts/write', ACCOUNT);
    delete event[field];
    const outcome = await one(JSON.stringify(event));

    expect(outcome.kind).toBe('ignored');
    expect(outcome).toMatchObject({ eventId: WRITE_EVENT_ID });
    const reason = outcome.kind === 'ignored' ? outcome.reason : '';
    expect(reason).toMatch(/^Malformed event: /);
    expect(reason).toContain(field);
    expectNoPersonalData([outcome]);
  });

  it('an Event Grid event without an id has no eventId', async () => {
    const event = subscriptionCreatedEvent('eventgrid');
    delete event.id;

    expect(await one(event)).toEqual({ kind: 'ignored', reason: "Malformed event: event is missing required property 'id'", malformed: true });
  });

  it.each(['source', 'type', 'id'])('a CloudEvent without %s', async (field) => {
    const event = aiWriteEvent('cloudevents', 'Microsoft.CognitiveServices/accounts/write', ACCOUNT);
    delete event[field];
    const outcome = await one(event);

    expect(outcome).toMatchObject({ kind: 'ignored', reason: `Malformed event: event is missing required property '${field}'` });
  });

  it('a CloudEvent of another spec version', async () => {
    const outcome = await one({ ...subscriptionCreatedEvent('cloudevents'), specversion: '0.3' });

    expect(outcome).toMatchObject({ kind: 'ignored', reason: expect.stringMatching(/^Malformed event: /) });
  });
});
