import { SUB } from './context.builder';

/**
 * Event deliveries for the parser tests, written by this project in the shape the Event Grid
 * documentation gives for subscription events (Microsoft.Resources.*) and the validation
 * handshake: the same fields, placeholders where the documentation has them, values of our own.
 * Nothing here reads outside the repository; test/unit/event-samples.contract.test.ts additionally
 * compares these shapes with the public samples when they are checked out beside it.
 */

export type JsonObject = Record<string, unknown>;

export type SampleName =
  | 'resource_write_success.eventgrid.json'
  | 'resource_write_success.cloudevents.json'
  | 'resource_write_failure.eventgrid.json'
  | 'resource_delete_success.eventgrid.json'
  | 'subscription_validation_event.eventgrid.json'
  | 'subscription_validation_response.json';

/** Ids and times the samples carry, for assertions. */
export const SAMPLE = {
  writeEventId: '6b0f3c7e-2d1a-4e58-9c4b-7a1e2f3d4c5b',
  writeEventTime: '2025-03-14T09:12:44.5172203Z',
  deleteEventId: 'a3c9e1f0-5b7d-4c2e-8f16-0d9b8a7c6e54',
  validationEventId: '8e2d4f6a-1b3c-4d5e-9f70-2a4c6e8b0d13',
  validationCode: 'c41f7b2e-9d08-4a6c-b3e5-71f20d8a9c64',
} as const;

const STORAGE_ID = '/subscriptions/{subscription-id}/resourcegroups/{resource-group}/providers/Microsoft.Storage/storageAccounts/{storage-name}';

/** The token claims a subscription event carries (placeholders, as documented: they are personal data). */
function claims(): JsonObject {
  return {
    aud: '{audience-claim}',
    iss: '{issuer-claim}',
    iat: '{issued-at-claim}',
    nbf: '{not-before-claim}',
    exp: '{expiration-claim}',
    'http://schemas.microsoft.com/claims/authnmethodsreferences': 'pwd,mfa',
    appid: '{ID}',
    ipaddr: '{IP-address}',
    name: '{full-name}',
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname': '{first-name}',
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname': '{last-name}',
    'http://schemas.microsoft.com/identity/claims/objectidentifier': '{ID}',
    'http://schemas.microsoft.com/identity/claims/tenantid': '{ID}',
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name': '{user-name}',
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': '{user-name}',
    aio: '{token}',
    ver: '1.0',
  };
}

function resourceData(operationName: string, withHttpRequest: boolean): JsonObject {
  return {
    authorization: { scope: STORAGE_ID, action: operationName, evidence: { role: 'Subscription Admin' } },
    claims: claims(),
    correlationId: '{ID}',
    ...(withHttpRequest
      ? { httpRequest: { clientRequestId: '{ID}', clientIpAddress: '{IP-address}', method: 'DELETE', url: `https://management.azure.com${STORAGE_ID}?api-version=2023-05-01` } }
      : {}),
    resourceProvider: 'Microsoft.Storage',
    resourceUri: STORAGE_ID,
    operationName,
    status: 'Succeeded',
    subscriptionId: '{subscription-id}',
    tenantId: '{tenant-id}',
  };
}

function eventGridEnvelope(id: string, eventType: string, eventTime: string, data: JsonObject): JsonObject {
  return {
    subject: STORAGE_ID,
    eventType,
    eventTime,
    id,
    data,
    dataVersion: '2',
    metadataVersion: '1',
    topic: '/subscriptions/{subscription-id}/resourceGroups/{resource-group}',
  };
}

const SAMPLES: Record<SampleName, () => unknown> = {
  'resource_write_success.eventgrid.json': () =>
    eventGridEnvelope(SAMPLE.writeEventId, 'Microsoft.Resources.ResourceWriteSuccess', SAMPLE.writeEventTime, resourceData('Microsoft.Storage/storageAccounts/write', false)),
  'resource_write_success.cloudevents.json': () => ({
    source: '/subscriptions/{subscription-id}/resourceGroups/{resource-group}',
    subject: STORAGE_ID,
    type: 'Microsoft.Resources.ResourceWriteSuccess',
    time: SAMPLE.writeEventTime,
    id: SAMPLE.writeEventId,
    data: resourceData('Microsoft.Storage/storageAccounts/write', false),
    specversion: '1.0',
  }),
  'resource_write_failure.eventgrid.json': () =>
    eventGridEnvelope(SAMPLE.writeEventId, 'Microsoft.Resources.ResourceWriteFailure', SAMPLE.writeEventTime, resourceData('Microsoft.Storage/storageAccounts/write', false)),
  'resource_delete_success.eventgrid.json': () =>
    eventGridEnvelope(SAMPLE.deleteEventId, 'Microsoft.Resources.ResourceDeleteSuccess', '2025-03-14T10:02:31.0043187Z', resourceData('Microsoft.Storage/storageAccounts/delete', true)),
  'subscription_validation_event.eventgrid.json': () => [
    {
      id: SAMPLE.validationEventId,
      topic: '/subscriptions/xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx',
      subject: '',
      data: {
        validationCode: SAMPLE.validationCode,
        validationUrl: 'https://rp-swedencentral.eventgrid.azure.net:553/eventsubscriptions/d4ai/validate?id=0000&t=2025-03-14T09:00:00.0000000Z&apiVersion=2025-02-15&token=0000',
      },
      eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      eventTime: '2025-03-14T09:00:00.0000000Z',
      metadataVersion: '1',
      dataVersion: '1',
    },
  ],
  'subscription_validation_response.json': () => ({ validationResponse: SAMPLE.validationCode }),
};

/** A fresh copy of a sample, safe to mutate. */
export function sample<T = JsonObject>(name: SampleName): T {
  return SAMPLES[name]() as T;
}

export function dataOf(event: JsonObject): JsonObject {
  return event.data as JsonObject;
}

/** Realistic personal data (the samples only hold placeholders) that must never reach a request. */
export const PERSONAL = {
  upn: 'alice.admin@contoso.com',
  fullName: 'Alice Admin',
  givenName: 'Alice',
  surname: 'Admin',
  callerIp: '203.0.113.42',
  clientIp: '198.51.100.7',
  objectId: 'c0ffee00-1234-4abc-8def-000000000042',
  token: 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-token-part',
} as const;

export function withPersonalData(event: JsonObject): JsonObject {
  const data = dataOf(event);
  const claims = data.claims as JsonObject;
  claims['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn'] = PERSONAL.upn;
  claims['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name'] = PERSONAL.upn;
  claims['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname'] = PERSONAL.givenName;
  claims['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname'] = PERSONAL.surname;
  claims['http://schemas.microsoft.com/identity/claims/objectidentifier'] = PERSONAL.objectId;
  claims.name = PERSONAL.fullName;
  claims.ipaddr = PERSONAL.callerIp;
  claims.aio = PERSONAL.token;
  (data.authorization as JsonObject).evidence = { role: 'Owner', principalId: PERSONAL.objectId, principalType: 'User' };
  data.httpRequest = { clientRequestId: 'c1', clientIpAddress: PERSONAL.clientIp, method: 'PUT', url: 'https://management.azure.com/x' };
  return event;
}

export function aiResourceId(providerPath: string, subscriptionId = SUB): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/rg-ai/providers/${providerPath}`;
}

/** The ResourceWriteSuccess sample (either schema) turned into the write of an AI resource. */
export function aiWriteEvent(
  schema: 'eventgrid' | 'cloudevents',
  operationName: string | undefined,
  resourceUri: string,
  /** `null` removes data.subscriptionId. */
  subscriptionId: string | null = SUB,
): JsonObject {
  const event = withPersonalData(sample(`resource_write_success.${schema}.json`));
  const data = dataOf(event);
  if (operationName === undefined) delete data.operationName;
  else data.operationName = operationName;
  if (subscriptionId === null) delete data.subscriptionId;
  else data.subscriptionId = subscriptionId;
  data.resourceUri = resourceUri;
  (data.authorization as JsonObject).scope = resourceUri;
  event.subject = resourceUri;
  return event;
}

export const VENDED_SUB = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';

export function subscriptionCreatedEvent(schema: 'eventgrid' | 'cloudevents', data: JsonObject = {}): JsonObject {
  const payload = { subscriptionId: VENDED_SUB, displayName: 'corp-ai-prod', requestedBy: PERSONAL.upn, ...data };
  const common = { id: 'e5a3c1d2-0000-4000-8000-00000000c0de', subject: `subscriptions/${VENDED_SUB}`, data: payload };
  return schema === 'eventgrid'
    ? {
        ...common,
        topic: `/subscriptions/${SUB}/resourceGroups/rg-vending/providers/Microsoft.EventGrid/topics/subscription-vending`,
        eventType: 'LandingZone.SubscriptionCreated',
        eventTime: '2025-03-14T08:00:00.000Z',
        dataVersion: '1.0',
        metadataVersion: '1',
      }
    : {
        ...common,
        specversion: '1.0',
        source: `/subscriptions/${SUB}/resourceGroups/rg-vending/providers/Microsoft.EventGrid/topics/subscription-vending`,
        type: 'LandingZone.SubscriptionCreated',
        time: '2025-03-14T08:00:00.000Z',
      };
}

export const DEFENDER_FOR_AI_DEFINITION = '/providers/Microsoft.Authorization/policyDefinitions/7e92882a-2f8a-4991-9bc4-d3147d40abb0';
export const AUDIT_ASSIGNMENT = '/providers/Microsoft.Management/managementGroups/contoso/providers/Microsoft.Authorization/policyAssignments/d4ai-audit';

/** Microsoft.PolicyInsights.PolicyStateChanged (Event Grid schema), as the documentation shows it. */
export function policyStateEvent(data: JsonObject = {}, eventType = 'Microsoft.PolicyInsights.PolicyStateChanged'): JsonObject {
  return {
    id: '5829794FCB5075FCF585476619577B5A5A30E52C84842CBD4E2AD73996714C4C',
    topic: `/subscriptions/${SUB}`,
    subject: `/subscriptions/${SUB}`,
    eventType,
    eventTime: '2025-03-14T03:15:00.000Z',
    dataVersion: '1',
    metadataVersion: '1',
    data: {
      timestamp: '2025-03-14T03:14:58.000Z',
      policyAssignmentId: AUDIT_ASSIGNMENT,
      policyDefinitionId: '/providers/Microsoft.Authorization/policyDefinitions/00000000-0000-0000-0000-000000000000',
      policyDefinitionReferenceId: '',
      complianceState: 'NonCompliant',
      subscriptionId: SUB,
      complianceReasonCode: '',
      ...data,
    },
  };
}
