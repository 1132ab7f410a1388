/**
 * Function, event and instance names shared by the triggers, the orchestrations and the tests.
 * Instance ids are derived from what they stand for, so the Durable Task framework itself keeps
 * the "at most one per subscription / one per night" promises.
 */
export const FN = {
  onAzureEvent: 'onAzureEvent',
  nightlySweep: 'nightlySweep',
  tenantWatch: 'tenantWatch',
  governSubscription: 'governSubscription',
  sweepTenant: 'sweepTenant',
  applySavedPlan: 'applySavedPlan',
  renewPlanLease: 'renewPlanLease',
  readPlanAncestry: 'readPlanAncestry',
  planGovern: 'planGovern',
  applyPricing: 'applyPricing',
  writeRecord: 'writeRecord',
  readSweepPolicy: 'readSweepPolicy',
  sweepPage: 'sweepPage',
  writeRunSummary: 'writeRunSummary',
  subscriptionWriteLock: 'subscriptionWriteLock',
  adminGovern: 'adminGovernSubscription',
  adminStartSweep: 'adminStartSweep',
  adminGetRun: 'adminGetRun',
  adminListRecords: 'adminListRecords',
  adminApplyPlan: 'adminApplyPlan',
  // The /api/automation twins (function keys, only with D4AI_ADMIN_ALLOW_FUNCTION_KEYS=true).
  adminGovernKey: 'adminGovernSubscriptionKey',
  adminStartSweepKey: 'adminStartSweepKey',
  adminGetRunKey: 'adminGetRunKey',
  adminListRecordsKey: 'adminListRecordsKey',
  adminApplyPlanKey: 'adminApplyPlanKey',
} as const;

/** Raised on a running governSubscription instance to make it check once more before finishing. */
export const RECHECK_EVENT = 'recheck';

/** The one coalescing instance per subscription (events and the admin API). */
export function governInstanceId(subscriptionId: string): string {
  return `govern-${subscriptionId.toLowerCase()}`;
}

/** The nightly sweep of a UTC day: a second timer firing the same day finds it and does not start again. */
export function nightlySweepInstanceId(at: Date): string {
  return `sweep-${at.toISOString().slice(0, 10)}`;
}

/** A sweep started from the admin API; unique so it never collides with the nightly one. */
export function manualSweepInstanceId(guid: string): string {
  return `sweep-manual-${guid}`;
}

/** A sweep's child for one subscription: its own id, never `govern-<sub>` (see sweep-tenant.orchestrator.ts). */
export function sweepChildInstanceId(sweepInstanceId: string, subscriptionId: string): string {
  return `${sweepInstanceId}:${subscriptionId.toLowerCase()}`;
}

/** The apply of a saved plan from the admin API: the plan's digest (its first 12 hex digits) and a guid. */
export function planApplyInstanceId(digest: string, guid: string): string {
  return `plan-${digest.replace(/^sha256:/, '').slice(0, 12)}-${guid}`;
}
