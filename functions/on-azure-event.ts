import { randomUUID } from 'node:crypto';
import { app, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { EventPayloadError, parseEvents, type EventOutcome } from '../shared/events';
import { LOG_MESSAGES } from '../shared/observability/log';
import { FN } from './names';
import { functionsConfig, loggerFor } from './runtime';
import { startOrCoalesce } from './start-govern';

/**
 * Event Grid -> governSubscription. Accepts the Event Grid schema and CloudEvents 1.0 (the host
 * hands over the event object either way); shared/events.ts decides what an event means.
 * The function only starts or coalesces the subscription's run and returns: a transient Azure
 * failure inside the run is retried by the orchestration, never by Event Grid redelivering the
 * event. Anything not for us (other types, malformed, oversized) is logged with the reason and
 * acknowledged, so Event Grid does not retry it. Only a failure to reach the Durable Task hub
 * itself fails the invocation, which is then safely redelivered (nothing was started).
 */

export const durableClientInput = df.input.durableClient();

export async function onAzureEvent(event: unknown, context: InvocationContext): Promise<void> {
  const config = functionsConfig();
  const logger = loggerFor(context, { trigger: 'event' });

  let outcomes: EventOutcome[];
  try {
    outcomes = await parseEvents(event, config.policyAssignmentId ? { policyAssignmentId: config.policyAssignmentId } : {});
  } catch (error) {
    if (!(error instanceof EventPayloadError)) throw error;
    logger.warn(LOG_MESSAGES.eventIgnored, { ...identify(event), reason: error.message });
    return;
  }

  const client = df.getClient(context);
  for (const outcome of outcomes) {
    if (outcome.kind === 'ignored') {
      logger.info(LOG_MESSAGES.eventIgnored, { eventId: outcome.eventId, eventType: outcome.eventType, reason: outcome.reason });
      continue;
    }
    if (outcome.kind === 'validation') {
      logger.info(LOG_MESSAGES.eventIgnored, {
        eventId: outcome.eventId,
        eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
        reason: "Subscription validation is answered by the Functions host's Event Grid extension, not by this function.",
      });
      continue;
    }
    const { request } = outcome;
    const started = await startOrCoalesce(client, { requestId: randomUUID(), request, dryRun: false });
    logger.info(LOG_MESSAGES.eventAccepted, {
      subscriptionId: request.subscriptionId,
      eventId: request.detail?.eventId,
      eventType: request.detail?.eventType,
      instanceId: started.instanceId,
      reason: started.outcome === 'started' ? 'started a governSubscription run' : 'coalesced into the running governSubscription run',
    });
  }
}

/** id and type of an event we could not parse, when they are plain strings. */
function identify(event: unknown): { eventId?: string; eventType?: string } {
  if (!event || typeof event !== 'object' || Array.isArray(event)) return {};
  const raw = event as Record<string, unknown>;
  const type = raw.eventType ?? raw.type;
  return {
    ...(typeof raw.id === 'string' ? { eventId: raw.id.slice(0, 200) } : {}),
    ...(typeof type === 'string' ? { eventType: type.slice(0, 200) } : {}),
  };
}

app.eventGrid<unknown>(FN.onAzureEvent, { extraInputs: [durableClientInput], handler: onAzureEvent });
