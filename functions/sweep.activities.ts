import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { errorInfo } from '../shared/engine/errors';
import { logSweepSummary } from '../shared/engine/decision-log';
import type { SubscriptionInfo } from '../shared/domain/model';
import type { SweepSummaryRecord } from '../shared/records/record';
import { LOG_MESSAGES } from '../shared/observability/log';
import { activityError, configFrom, type GovernSettings } from './govern-run';
import { FN } from './names';
import { flushTelemetry, functionsConfig, loggerFor, portsFor } from './runtime';

/** The sweep's I/O: which subscriptions to visit, and its summary row + log line at the end. */

export interface ListSubscriptionsInput {
  sweepId: string;
  settings: GovernSettings;
}

export interface ListSubscriptionsResult {
  /** As ARM lists them (ids lower-case): each child decides from its entry without reading it again. */
  subscriptions: SubscriptionInfo[];
}

export interface WriteSweepSummaryInput {
  summary: SweepSummaryRecord;
}

export async function listSubscriptions(input: unknown, context: InvocationContext): Promise<ListSubscriptionsResult> {
  const { sweepId, settings } = input as ListSubscriptionsInput;
  const config = configFrom(settings, functionsConfig().records);
  const logger = loggerFor(context, { sweepId });
  try {
    const subscriptions = await portsFor(config, logger).subscriptions.list();
    return { subscriptions: subscriptions.map((s) => ({ ...s, subscriptionId: s.subscriptionId.toLowerCase() })) };
  } catch (error) {
    const info = errorInfo(error);
    logger.error(LOG_MESSAGES.armError, { errorCode: info.code, errorMessage: info.message });
    // Without the list there is nothing to sweep: the orchestration retries, then records the failure.
    throw activityError(info);
  }
}

export async function writeSweepSummary(input: unknown, context: InvocationContext): Promise<{ written: true }> {
  const { summary } = input as WriteSweepSummaryInput;
  const ports = portsFor(functionsConfig(), loggerFor(context, { sweepId: summary.sweepId }));
  try {
    await ports.records.writeSweepSummary(summary);
  } catch (error) {
    throw activityError(errorInfo(error));
  }
  // Logged once the row exists, so a retried write does not log the sweep twice.
  logSweepSummary(ports.logger, summary);
  await flushTelemetry();
  return { written: true };
}

df.app.activity(FN.listSubscriptions, { handler: listSubscriptions });
df.app.activity(FN.writeSweepSummary, { handler: writeSweepSummary });
