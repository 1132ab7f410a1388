import * as df from 'durable-functions';
import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';
import type { GovernAsk, GovernInput, GovernOutput } from './govern-run';
import { FN, RECHECK_EVENT, governInstanceId } from './names';

/**
 * Start `govern-<sub>`, or hand the ask to the run already going (coalescing). Relies on host.json
 * `overridableExistingInstanceStates: NonRunningStates`: a start while the instance runs is refused,
 * so two triggers racing to start end as one start and one recheck.
 *
 *  - not found / finished / failed -> startNew (a finished instance is replaced by the new run);
 *  - running -> raise `recheck`, then look again: the durable client swallows the 410 it gets when
 *    the instance finished in between, so a finished instance that did not list our ask as handled
 *    means the event was dropped and we start afresh.
 * The one window left is an event accepted while the run executes its very last step; the run's
 * settle wait makes that a few milliseconds after 30 quiet seconds, and the nightly sweep covers it.
 */

export interface StartOutcome {
  instanceId: string;
  outcome: 'started' | 'coalesced';
  requestId: string;
}

const LIVE: ReadonlySet<string> = new Set([
  df.OrchestrationRuntimeStatus.Running,
  df.OrchestrationRuntimeStatus.Pending,
  df.OrchestrationRuntimeStatus.ContinuedAsNew,
  df.OrchestrationRuntimeStatus.Suspended,
]);

const ATTEMPTS = 3;

export function isLive(status: DurableOrchestrationStatus): boolean {
  return LIVE.has(status.runtimeStatus);
}

/** The instance's status, or undefined when there is none (the client reports a 404 as an Error). */
export async function statusOf(client: DurableClient, instanceId: string): Promise<DurableOrchestrationStatus | undefined> {
  try {
    return await client.getStatus(instanceId);
  } catch (error) {
    if (error instanceof Error && /HTTP 404 response/.test(error.message)) return undefined;
    throw error;
  }
}

export async function startOrCoalesce(client: DurableClient, ask: GovernAsk): Promise<StartOutcome> {
  const instanceId = governInstanceId(ask.request.subscriptionId);
  const input: GovernInput = { ask, coalesce: true };
  let lastError: unknown;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const status = await statusOf(client, instanceId);
    if (!status || !isLive(status)) {
      try {
        await client.startNew(FN.governSubscription, { instanceId, input });
        return { instanceId, outcome: 'started', requestId: ask.requestId };
      } catch (error) {
        // Most likely a racing trigger started it first: look again and coalesce.
        lastError = error;
        continue;
      }
    }
    await client.raiseEvent(instanceId, RECHECK_EVENT, ask);
    const after = await statusOf(client, instanceId);
    if (after && (isLive(after) || handled(after, ask.requestId))) return { instanceId, outcome: 'coalesced', requestId: ask.requestId };
  }
  throw lastError instanceof Error ? lastError : new Error(`Could not start or coalesce ${instanceId} after ${ATTEMPTS} attempts.`);
}

function handled(status: DurableOrchestrationStatus, requestId: string): boolean {
  const output = status.output as Partial<GovernOutput> | null | undefined;
  return Array.isArray(output?.handledRequestIds) && output.handledRequestIds.includes(requestId);
}
