import * as fs from 'node:fs';
import * as path from 'node:path';
import { SUB } from './context.builder';

/**
 * Event deliveries for the parser tests. The Azure samples in /work/shared/contracts/eventgrid are
 * read as they are (read-only) and varied per case; everything else is built from scratch.
 */

export type JsonObject = Record<string, unknown>;

export const EVENTGRID_SAMPLES = path.resolve(__dirname, '..', '..', '..', 'shared', 'contracts', 'eventgrid');

export type SampleName =
  | 'resource_write_success.eventgrid.json'
  | 'resource_write_success.cloudevents.json'
  | 'resource_write_failure.eventgrid.json'
  | 'resource_delete_success.eventgrid.json'
  | 'subscription_validation_event.eventgrid.json'
  | 'subscription_validation_response.json';

/** A fresh copy of a sample, safe to mutate. */
export function sample<T = JsonObject>(name: SampleName): T {
  return JSON.parse(fs.readFileSync(path.join(EVENTGRID_SAMPLES, name), 'utf8')) as T;
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
