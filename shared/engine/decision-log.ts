import { findingTypes } from '../domain/findings';
import { LOG_MESSAGES, type LogFields, type Logger } from '../observability/log';
import type { RemediationRecord, SweepSummaryRecord, WatchSummaryRecord } from '../records/record';

/** The one structured log line per decision; its fields are the workbook's customDimensions. */
export function logDecision(logger: Logger, record: RemediationRecord, extra: LogFields = {}): void {
  const detail = record.triggerDetail;
  const eventTime = detail?.eventTime ? Date.parse(detail.eventTime) : NaN;
  const fields: LogFields = {
    subscriptionId: record.subscriptionId,
    runId: record.runId,
    trigger: record.trigger,
    eventId: detail?.eventId,
    eventType: detail?.eventType,
    instanceId: detail?.instanceId,
    sweepId: detail?.sweepId,
    action: record.action,
    skipReason: record.skipReason,
    outcome: record.outcome,
    mode: record.mode,
    aiResourceCount: record.aiResourceCount,
    tierBefore: record.pricingBefore?.tier,
    tierAfter: record.pricingAfter?.tier,
    extensionsAfter: record.pricingAfter ? enabledList(record.pricingAfter.extensions) : undefined,
    errorCode: record.error?.code,
    errorMessage: record.error?.message,
    newFailure: record.outcome === 'partial' ? record.partialAttempts === 1 : undefined,
    retryAfter: record.retryAfter,
    findings: record.findings?.length ? findingTypes(record.findings).join(',') : undefined,
    durationMs: record.durationMs,
    eventToAppliedMs: record.outcome === 'applied' && !Number.isNaN(eventTime) ? Date.parse(record.recordedAt) - eventTime : undefined,
    version: record.version,
    ...extra,
  };
  // A record that could not be stored (extra errorCode RecordWriteFailed:*) is an error whatever its outcome.
  const unstored = typeof fields.errorCode === 'string' && fields.errorCode.startsWith('RecordWriteFailed');
  const level = record.outcome === 'failed' || unstored ? 'error' : record.outcome === 'partial' ? 'warn' : 'info';
  logger[level](LOG_MESSAGES.decision, fields);
}

/** The one structured log line per sweep (CLI and Functions alike), from its stored summary. */
export function logSweepSummary(logger: Logger, summary: SweepSummaryRecord): void {
  logger.info(LOG_MESSAGES.sweepSummary, {
    sweepId: summary.sweepId,
    trigger: summary.trigger,
    mode: summary.mode,
    governed: summary.subscriptions,
    applied: summary.byOutcome.applied ?? 0,
    failed: summary.failed,
    skipped: summary.byAction.skip ?? 0,
    capReached: summary.capReached,
    durationMs: Date.parse(summary.finishedAt) - Date.parse(summary.startedAt),
  });
}

/** The one structured log line per tenant watch pass. */
export function logWatchSummary(logger: Logger, summary: WatchSummaryRecord): void {
  logger.info(LOG_MESSAGES.watchSummary, {
    watchId: summary.watchId,
    trigger: summary.trigger,
    mode: summary.mode,
    governed: summary.subscriptions,
    candidates: summary.candidates,
    applied: summary.byOutcome.applied ?? 0,
    failed: summary.failed,
    capReached: summary.capReached,
    durationMs: Date.parse(summary.finishedAt) - Date.parse(summary.startedAt),
  });
}

function enabledList(extensions: Record<string, boolean>): string {
  return Object.entries(extensions)
    .filter(([, on]) => on)
    .map(([name]) => name)
    .join(',');
}
