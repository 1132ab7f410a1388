import { EventGridDeserializer, isSystemEvent, type CloudEvent, type EventGridEvent } from '@azure/eventgrid';
import { isAiWriteOperation, isAiResourceType, resourceTypeOf } from './ai-resource-types';
import { isGuid } from './config';
import { findDefenderForAiPolicy } from './domain/policy-conflicts';
import type { GovernRequest, TriggerDetail } from './domain/model';

/**
 * Event Grid / CloudEvents payload -> what to do. Accepted:
 *  - Microsoft.Resources.ResourceWriteSuccess of an AI resource type -> govern its subscription;
 *  - LandingZone.SubscriptionCreated (the vending pipeline's custom event, data.subscriptionId);
 *  - Microsoft.PolicyInsights.PolicyStateCreated/Changed reporting a subscription NonCompliant with
 *    our audit assignment or a Defender for AI policy (how new subscriptions are noticed, since
 *    no system event announces a subscription's creation).
 * Everything else is ignored with a reason. Only ids, types and times are kept from an event:
 * never claims, authorization evidence or httpRequest (personal data).
 */

export const SUBSCRIPTION_CREATED_EVENT_TYPE = 'LandingZone.SubscriptionCreated';
/** Event Grid rejects events over 1 MB; anything larger is not a real delivery. */
export const MAX_EVENT_PAYLOAD_BYTES = 1024 * 1024;
/** Real events nest a handful of levels; anything deeper is refused before any recursive code sees it. */
export const MAX_EVENT_DEPTH = 64;

/**
 * `malformed`: the event is broken (not an object, no valid subscription id, fails the schema),
 * as opposed to a well-formed event that is simply not for us. The CLI exits 2 on it; the
 * Functions app acknowledges both (a redelivery would not fix it).
 */
export type EventOutcome =
  | { kind: 'govern'; request: GovernRequest }
  | { kind: 'ignored'; reason: string; eventId?: string; eventType?: string; malformed?: true }
  | { kind: 'validation'; validationCode: string; eventId?: string };

export interface EventParseOptions {
  /** D4AI_POLICY_ASSIGNMENT_ID: policy state events of this assignment count. */
  policyAssignmentId?: string;
}

export class EventPayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventPayloadError';
  }
}

type AnyEvent = EventGridEvent<unknown> | CloudEvent<unknown>;

/** Parses a delivery body (one event or an array, either schema); throws EventPayloadError if unreadable. */
export async function parseEvents(body: string | unknown, options: EventParseOptions = {}): Promise<EventOutcome[]> {
  // JSON.stringify and the SDK deserializer recurse: measure the depth iteratively first.
  if (typeof body !== 'string' && depthExceeds(body, MAX_EVENT_DEPTH)) {
    throw new EventPayloadError(`Event payload nests deeper than ${MAX_EVENT_DEPTH} levels; no Event Grid event does.`);
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? null);
  if (Buffer.byteLength(text, 'utf8') > MAX_EVENT_PAYLOAD_BYTES) {
    throw new EventPayloadError(`Event payload is ${Buffer.byteLength(text, 'utf8')} bytes; Event Grid never delivers more than 1 MB.`);
  }
  if (typeof body === 'string' && textDepthExceeds(text, MAX_EVENT_DEPTH)) {
    throw new EventPayloadError(`Event payload nests deeper than ${MAX_EVENT_DEPTH} levels; no Event Grid event does.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new EventPayloadError('Event payload is not JSON.');
  }
  const items = Array.isArray(json) ? json : [json];
  if (items.length === 0) throw new EventPayloadError('Event payload is an empty array.');
  const outcomes: EventOutcome[] = [];
  for (const item of items) outcomes.push(await parseOne(item, options));
  return outcomes;
}

async function parseOne(item: unknown, options: EventParseOptions): Promise<EventOutcome> {
  if (!item || typeof item !== 'object' || Array.isArray(item)) {
    return { kind: 'ignored', reason: 'Not an event object.', malformed: true };
  }
  const raw = item as Record<string, unknown>;
  // Checked before deserializing: the Event Grid deserializer turns a string `data` into an object of its characters.
  const rawType = raw.eventType ?? raw.type;
  if (rawType === 'Microsoft.Resources.ResourceWriteSuccess' && 'data' in raw && raw.data !== undefined && !isDataObject(raw.data)) {
    return { kind: 'ignored', reason: `ResourceWriteSuccess event whose data is ${dataKind(raw.data)}, not an object.`, eventType: rawType, malformed: true, ...(typeof raw.id === 'string' ? { eventId: shortText(raw.id) } : {}) };
  }
  const deserializer = new EventGridDeserializer();
  let event: AnyEvent;
  try {
    const parsed = 'specversion' in raw ? await deserializer.deserializeCloudEvents(raw) : await deserializer.deserializeEventGridEvents(raw);
    event = parsed[0] as AnyEvent;
  } catch (error) {
    return {
      kind: 'ignored',
      reason: `Malformed event: ${(error as Error).message}`,
      malformed: true,
      ...(typeof raw.id === 'string' ? { eventId: raw.id.slice(0, 200) } : {}),
    };
  }
  return classify(event, options);
}

/** Classifies an event already deserialized (the Functions trigger hands these over). */
export function classify(event: AnyEvent, options: EventParseOptions = {}): EventOutcome {
  const eventType = 'eventType' in event ? event.eventType : event.type;
  const time = 'eventTime' in event ? event.eventTime : event.time;
  const eventTime = time instanceof Date && !Number.isNaN(time.getTime()) ? time.toISOString() : undefined;
  const base: TriggerDetail = { eventId: event.id, eventType, ...(eventTime ? { eventTime } : {}) };
  // What is not for us is echoed back: cut, so a huge field is never printed whole.
  const named = { eventId: shortText(event.id), eventType: shortText(eventType) };
  const ignore = (reason: string): EventOutcome => ({ kind: 'ignored', reason, ...named });
  const malformed = (reason: string): EventOutcome => ({ kind: 'ignored', reason, ...named, malformed: true });

  if (isSystemEvent('Microsoft.EventGrid.SubscriptionValidationEvent', event as EventGridEvent<unknown>)) {
    const code = (event.data as { validationCode?: unknown } | undefined)?.validationCode;
    return typeof code === 'string'
      ? { kind: 'validation', validationCode: code, eventId: event.id }
      : malformed('Subscription validation event without a validationCode.');
  }

  if (eventType === 'Microsoft.Resources.ResourceWriteSuccess') {
    // Event Grid always sends this event's data as an object: anything else is broken input, not an event for someone else.
    if (!isDataObject(event.data)) return malformed(`ResourceWriteSuccess event whose data is ${dataKind(event.data)}, not an object.`);
    const data = dataRecord(event);
    const operationName = text(data.operationName);
    const resourceId = text(data.resourceUri);
    const type = resourceId ? resourceTypeOf(resourceId) : undefined;
    const aiWrite = (operationName && isAiWriteOperation(operationName)) || (type !== undefined && isAiResourceType(type) && !operationName);
    if (!aiWrite) return ignore(`Resource write ${operationName || type ? cut(operationName ?? type ?? '') : '(no operation)'} is not an AI resource type.`);
    return govern(text(data.subscriptionId) ?? subscriptionFromId(resourceId), {
      ...base,
      ...(operationName ? { operationName } : {}),
      ...(resourceId ? { resourceId } : {}),
    }, malformed);
  }

  if (eventType === SUBSCRIPTION_CREATED_EVENT_TYPE) {
    return govern(text(dataRecord(event).subscriptionId), { ...base, note: 'subscription created (vending pipeline)' }, malformed);
  }

  if (eventType === 'Microsoft.PolicyInsights.PolicyStateCreated' || eventType === 'Microsoft.PolicyInsights.PolicyStateChanged') {
    const data = dataRecord(event);
    if (text(data.complianceState)?.toLowerCase() !== 'noncompliant') return ignore('Policy state is not NonCompliant.');
    const assignment = text(data.policyAssignmentId);
    const definition = text(data.policyDefinitionId);
    const ours =
      (options.policyAssignmentId !== undefined && assignment?.toLowerCase() === options.policyAssignmentId.toLowerCase()) ||
      (definition !== undefined && findDefenderForAiPolicy(definition) !== undefined);
    if (!ours) return ignore(`Policy state of ${assignment ? cut(assignment) : 'an unknown assignment'} is not about Defender for AI.`);
    return govern(text(data.subscriptionId), { ...base, note: 'policy reported the subscription non-compliant' }, malformed);
  }

  return ignore(`Event type ${cut(eventType)} is not handled.`);
}

function govern(subscriptionId: string | undefined, detail: TriggerDetail, malformed: (reason: string) => EventOutcome): EventOutcome {
  if (!subscriptionId || !isGuid(subscriptionId)) {
    return malformed(`Event has no valid data.subscriptionId (got ${subscriptionId === undefined ? 'null' : quote(subscriptionId)}).`);
  }
  return { kind: 'govern', request: { subscriptionId: subscriptionId.toLowerCase(), trigger: 'event', detail } };
}

/** Input quoted back to its sender: JSON-quoted, cut to QUOTE_CHARS characters with the full length named. */
export const QUOTE_CHARS = 60;
export function quote(value: string): string {
  return value.length <= QUOTE_CHARS ? JSON.stringify(value) : `${JSON.stringify(value.slice(0, QUOTE_CHARS))}… (${value.length} characters)`;
}

/** A name (an operation, a resource or assignment id) echoed back as it is, cut to 300 characters with the full length named. */
function cut(value: string): string {
  return value.length <= 300 ? value : `${value.slice(0, 300)}… (${value.length} characters)`;
}

function shortText(value: string): string;
function shortText(value: string | undefined): string | undefined;
function shortText(value: string | undefined): string | undefined {
  return value === undefined || value.length <= 200 ? value : `${value.slice(0, 200)}… (${value.length} characters)`;
}

function isDataObject(data: unknown): boolean {
  return data !== null && typeof data === 'object' && !Array.isArray(data);
}

function dataKind(data: unknown): string {
  return data === null ? 'null' : data === undefined ? 'missing' : Array.isArray(data) ? 'an array' : `a ${typeof data}`;
}

function dataRecord(event: AnyEvent): Record<string, unknown> {
  return event.data && typeof event.data === 'object' ? (event.data as Record<string, unknown>) : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function subscriptionFromId(resourceId: string | undefined): string | undefined {
  return resourceId?.match(/^\/subscriptions\/([^/]+)/i)?.[1];
}

/** Nesting depth of JSON text above `limit` (brackets outside strings), without recursion. */
export function textDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Nesting depth of a parsed value above `limit`, breadth first, without recursion (and safe on cycles: it stops at the limit). */
export function depthExceeds(value: unknown, limit: number): boolean {
  let level: unknown[] = [value];
  for (let depth = 0; level.length > 0; depth++) {
    if (depth > limit) return true;
    const next: unknown[] = [];
    for (const v of level) if (v && typeof v === 'object') for (const child of Object.values(v as object)) if (child && typeof child === 'object') next.push(child);
    level = next;
  }
  return false;
}
