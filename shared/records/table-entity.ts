import { findingTypes } from '../domain/findings';
import type { Actor } from '../domain/model';
import type { RemediationRecord, RunSummaryRecord } from './record';
import { passIdOf } from './record-store';

/**
 * RemediationRecord <-> Table Storage entity. Partition = subscription, so one subscription's
 * history is one range scan; RowKey = inverted time + run id, so the scan returns newest first.
 * Nested values are JSON strings (tables have no arrays), flat columns stay queryable in the portal.
 */

// Larger than any ms timestamp until year 2286; fixed width keeps lexical order = numeric order.
const MAX_TICKS = 9_999_999_999_999;

/** Inverted start time + run id: newest first, and the same row for a pass's intent and its outcome. */
export function rowKeyFor(record: Pick<RemediationRecord, 'startedAt' | 'runId'>): string {
  const inverted = MAX_TICKS - Date.parse(record.startedAt);
  return `${String(inverted).padStart(13, '0')}-${record.runId}`;
}

export interface RecordEntity {
  partitionKey: string;
  rowKey: string;
  [column: string]: string | number | boolean;
}

const JSON_COLUMNS = ['triggerDetail', 'pricingBefore', 'pricingAfter', 'desired', 'change', 'planBasis', 'findings', 'optedOutAccounts', 'failedExtensions', 'aiResourceIds', 'reasons', 'warnings'] as const;

export function toEntity(record: RemediationRecord): RecordEntity {
  const entity: RecordEntity = {
    partitionKey: record.subscriptionId,
    rowKey: rowKeyFor(record),
    subscriptionId: record.subscriptionId,
    runId: record.runId,
    startedAt: record.startedAt,
    recordedAt: record.recordedAt,
    trigger: record.trigger,
    mode: record.mode,
    action: record.action,
    outcome: record.outcome,
    aiResourceCount: record.aiResourceCount,
    durationMs: record.durationMs,
    version: record.version,
  };
  if (record.subscriptionName) entity.subscriptionName = record.subscriptionName;
  Object.assign(entity, actorColumns(record.actor));
  // Flat, so the portal and a table query can filter on it: the finding types, comma-separated.
  if (record.findings?.length) entity.findingTypes = findingTypes(record.findings).join(',');
  // The pass a record belongs to (sweep, watch or revert id): a flat column, so one run's records are one query.
  const passId = passIdOf(record);
  if (passId) entity.passId = passId;
  if (record.recovered) entity.recovered = true;
  if (record.skipReason) entity.skipReason = record.skipReason;
  // Flat, so one query finds every record a saved plan applied.
  if (record.planDigest) entity.planDigest = record.planDigest;
  if (record.pricingBefore) entity.tierBefore = record.pricingBefore.tier;
  if (record.pricingAfter) entity.tierAfter = record.pricingAfter.tier;
  if (record.error) {
    entity.errorCode = record.error.code;
    entity.errorMessage = record.error.message.slice(0, 4000);
  }
  if (record.retryAfter) entity.retryAfter = record.retryAfter;
  if (record.partialAttempts !== undefined) entity.partialAttempts = record.partialAttempts;
  for (const column of JSON_COLUMNS) {
    const value = record[column];
    if (value === undefined) continue;
    const { text, omitted } = boundedJson(value);
    if (text !== undefined) entity[column] = text;
    if (omitted) entity[`${column}Omitted`] = omitted;
  }
  return entity;
}

/**
 * Table Storage takes at most 64 KiB per string property (and 1 MiB per entity): a column is kept
 * under MAX_COLUMN_CHARS by dropping items off the end of an array (an object too large is left
 * out whole, never cut into invalid JSON). How many were dropped is stored beside it,
 * `<column>Omitted`, and read back as a warning, so one subscription with hundreds of findings
 * cannot fail its record (and with it a sweep page) and a reader is told the record is shortened.
 */
export const MAX_COLUMN_CHARS = 30_000;

function boundedJson(value: unknown): { text?: string; omitted: number } {
  let text = JSON.stringify(value);
  if (text.length <= MAX_COLUMN_CHARS) return { text, omitted: 0 };
  if (!Array.isArray(value)) return { omitted: 1 };
  let kept = value.length;
  while (kept > 0 && text.length > MAX_COLUMN_CHARS) {
    kept = Math.floor(kept * 0.8);
    text = JSON.stringify(value.slice(0, kept));
  }
  return { text, omitted: value.length - kept };
}

export function fromEntity(entity: Record<string, unknown>): RemediationRecord {
  const text = (name: string): string | undefined => (typeof entity[name] === 'string' ? (entity[name] as string) : undefined);
  const json = <T>(name: string): T | undefined => {
    const raw = text(name);
    return raw === undefined ? undefined : (JSON.parse(raw) as T);
  };
  const errorCode = text('errorCode');
  const recordedAt = text('recordedAt') ?? '';
  const durationMs = Number(entity.durationMs ?? 0);
  const record = {
    subscriptionId: text('subscriptionId') ?? String(entity.partitionKey),
    subscriptionName: text('subscriptionName'),
    runId: text('runId') ?? '',
    // Rows written before startedAt existed: it is what recordedAt and the duration say.
    startedAt: text('startedAt') ?? (recordedAt ? new Date(Date.parse(recordedAt) - durationMs).toISOString() : ''),
    recordedAt,
    trigger: text('trigger'),
    triggerDetail: json('triggerDetail'),
    actor: actorFrom(entity),
    mode: text('mode'),
    action: text('action'),
    skipReason: text('skipReason'),
    outcome: text('outcome'),
    pricingBefore: json('pricingBefore'),
    pricingAfter: json('pricingAfter'),
    desired: json('desired'),
    change: json('change'),
    planBasis: json('planBasis'),
    planDigest: text('planDigest'),
    findings: json('findings'),
    optedOutAccounts: json<string[]>('optedOutAccounts'),
    failedExtensions: json<string[]>('failedExtensions'),
    retryAfter: text('retryAfter'),
    partialAttempts: typeof entity.partialAttempts === 'number' ? entity.partialAttempts : undefined,
    aiResourceCount: Number(entity.aiResourceCount ?? 0),
    aiResourceIds: json<string[]>('aiResourceIds') ?? [],
    reasons: json<string[]>('reasons') ?? [],
    warnings: [...(json<string[]>('warnings') ?? []), ...omittedWarnings(entity)],
    error: errorCode ? { code: errorCode, message: text('errorMessage') ?? '' } : undefined,
    durationMs,
    version: text('version') ?? '',
    recovered: entity.recovered === true ? (true as const) : undefined,
  };
  // Drop absent optionals so a round trip equals the original record.
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as unknown as RemediationRecord;
}

function omittedWarnings(entity: Record<string, unknown>): string[] {
  return JSON_COLUMNS.flatMap((column) => {
    const n = entity[`${column}Omitted`];
    return typeof n === 'number' && n > 0 ? [`${n} item(s) of ${column} left out of this stored record: over the Table Storage column limit.`] : [];
  });
}

/** Flat columns, so the portal and a table query can filter a person's or an app's runs. */
function actorColumns(actor: Actor | undefined): Record<string, string> {
  if (!actor) return {};
  return { actorObjectId: actor.objectId, ...(actor.appId ? { actorAppId: actor.appId } : {}) };
}

function actorFrom(entity: Record<string, unknown>): Actor | undefined {
  const objectId = entity.actorObjectId;
  if (typeof objectId !== 'string' || !objectId) return undefined;
  const appId = entity.actorAppId;
  return { objectId, ...(typeof appId === 'string' && appId ? { appId } : {}) };
}

/** Run summaries share the records table, one partition per kind, newest first. */
export const SWEEP_PARTITION = 'sweeps';
export const WATCH_PARTITION = 'watches';

export function summaryEntity(summary: RunSummaryRecord): RecordEntity {
  const id = summary.kind === 'sweep-summary' ? summary.sweepId : summary.watchId;
  const common: RecordEntity = {
    partitionKey: summary.kind === 'sweep-summary' ? SWEEP_PARTITION : WATCH_PARTITION,
    rowKey: rowKeyFor({ startedAt: summary.finishedAt, runId: id }),
    kind: summary.kind,
    trigger: summary.trigger,
    ...actorColumns(summary.actor),
    mode: summary.mode,
    scope: JSON.stringify(summary.scope),
    startedAt: summary.startedAt,
    finishedAt: summary.finishedAt,
    subscriptions: summary.subscriptions,
    byOutcome: JSON.stringify(summary.byOutcome),
    ...(summary.byChange ? { byChange: JSON.stringify(summary.byChange) } : {}),
    capReached: summary.capReached,
    failed: summary.failed,
    version: summary.version,
    ...(summary.interrupted ? { interrupted: true } : {}),
  };
  return summary.kind === 'sweep-summary'
    ? { ...common, sweepId: summary.sweepId, byAction: JSON.stringify(summary.byAction) }
    : { ...common, watchId: summary.watchId, candidates: summary.candidates };
}

export function summaryFromEntity(entity: Record<string, unknown>): RunSummaryRecord {
  const text = (name: string): string => (typeof entity[name] === 'string' ? (entity[name] as string) : '');
  const json = <T>(name: string, fallback: T): T => (typeof entity[name] === 'string' ? (JSON.parse(entity[name] as string) as T) : fallback);
  const count = (name: string): number => Number(entity[name] ?? 0);
  const common = {
    trigger: text('trigger') as RunSummaryRecord['trigger'],
    ...(actorFrom(entity) ? { actor: actorFrom(entity) } : {}),
    mode: text('mode') as RunSummaryRecord['mode'],
    scope: json('scope', {}),
    startedAt: text('startedAt'),
    finishedAt: text('finishedAt'),
    subscriptions: count('subscriptions'),
    byOutcome: json<Record<string, number>>('byOutcome', {}),
    ...(typeof entity.byChange === 'string' ? { byChange: json<Record<string, number>>('byChange', {}) } : {}),
    capReached: count('capReached'),
    failed: count('failed'),
    version: text('version'),
    ...(entity.interrupted === true ? { interrupted: true as const } : {}),
  };
  return text('kind') === 'watch-summary'
    ? { kind: 'watch-summary', watchId: text('watchId'), candidates: count('candidates'), ...common }
    : { kind: 'sweep-summary', sweepId: text('sweepId'), byAction: json<Record<string, number>>('byAction', {}), ...common };
}

/** Leases (one sweep or watch pass at a time) share the records table under their own partition. */
export const LEASE_PARTITION = 'leases';

/** `d4ai lease --break` records, newest first. */
export const LEASE_BREAK_PARTITION = 'lease-breaks';
