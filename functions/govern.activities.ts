import { isRestError } from '@azure/core-rest-pipeline';
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { DesiredPricing, GovernContext, SubscriptionInfo } from '../shared/domain/model';
import { applyDesired, type ApplyResult } from '../shared/engine/apply';
import { logDecision } from '../shared/engine/decision-log';
import { errorInfo } from '../shared/engine/errors';
import { loadContext } from '../shared/engine/load-context';
import { LOG_MESSAGES } from '../shared/observability/log';
import type { RemediationRecord } from '../shared/records/record';
import { activityError, configFrom, type GovernSettings } from './govern-run';
import { FN } from './names';
import { functionsConfig, loggerFor, portsFor } from './runtime';

/**
 * The I/O steps of one governSubscription pass. They translate and delegate to the engine:
 * loadContext (ARM reads), applyDesired (PUT + read-back verify), the record store. The
 * orchestration calls each with retry; what a retry cannot fix is returned as data instead.
 */

export interface ActivityCorrelation {
  runId: string;
  instanceId: string;
}

export interface LoadGovernContextInput extends ActivityCorrelation {
  subscriptionId: string;
  settings: GovernSettings;
  /** The subscription as a sweep listed it (state, tags), so it is not read again. */
  listed?: SubscriptionInfo;
}

export type LoadGovernContextResult = { ok: true; context: GovernContext } | { ok: false; error: { code: string; message: string } };

export interface ApplyPricingInput extends ActivityCorrelation {
  subscriptionId: string;
  desired: DesiredPricing;
  settings: GovernSettings;
}

export interface WriteRecordInput {
  record: RemediationRecord;
}

/** Throttling, server errors and network failures are worth the orchestration's retry; a 403 or 404 is not. */
export function isTransient(error: unknown): boolean {
  if (!isRestError(error)) return false;
  const status = error.statusCode;
  return status === undefined || status === 408 || status === 429 || status >= 500;
}

function runtimeFor(settings: GovernSettings, context: InvocationContext, correlation: ActivityCorrelation & { subscriptionId: string }) {
  const config = configFrom(settings, functionsConfig().records);
  const logger = loggerFor(context, { subscriptionId: correlation.subscriptionId, runId: correlation.runId, instanceId: correlation.instanceId });
  return { config, ports: portsFor(config, logger), logger };
}

export async function loadGovernContext(input: unknown, context: InvocationContext): Promise<LoadGovernContextResult> {
  const args = input as LoadGovernContextInput;
  const { config, ports, logger } = runtimeFor(args.settings, context, args);
  try {
    return { ok: true, context: await loadContext(ports, config, args.subscriptionId, args.listed) };
  } catch (error) {
    const info = errorInfo(error);
    logger.error(LOG_MESSAGES.armError, { errorCode: info.code, errorMessage: info.message });
    // Thrown: the orchestration's RetryOptions try again. Returned: a failed record, no retry storm.
    if (isTransient(error)) throw activityError(info);
    return { ok: false, error: info };
  }
}

export async function applyPricing(input: unknown, context: InvocationContext): Promise<ApplyResult> {
  const args = input as ApplyPricingInput;
  const { ports, logger } = runtimeFor(args.settings, context, args);
  // applyDesired never throws for ARM errors (409s are retried inside it); a failed PUT or read-back
  // is a result the orchestration records, exactly like the CLI does.
  const result = await applyDesired(ports, args.subscriptionId, args.desired);
  if (result.error) logger.error(LOG_MESSAGES.armError, { errorCode: result.error.code, errorMessage: result.error.message });
  return result;
}

export async function writeRecord(input: unknown, context: InvocationContext): Promise<{ written: true }> {
  const { record } = input as WriteRecordInput;
  const config = functionsConfig();
  const ports = portsFor(config, loggerFor(context));
  try {
    await ports.records.write(record);
  } catch (error) {
    throw activityError(errorInfo(error));
  }
  // Logged once the row exists: a retried write does not log the decision twice.
  logDecision(ports.logger, record);
  return { written: true };
}

df.app.activity(FN.loadGovernContext, { handler: loadGovernContext });
df.app.activity(FN.applyPricing, { handler: applyPricing });
df.app.activity(FN.writeRecord, { handler: writeRecord });
