import { TableClient, odata } from '@azure/data-tables';
import { isRestError } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { maskSecrets, scrub } from '../observability/redact';
import { RecordStoreUnavailable, matchesFilter, type RecordFilter, type RecordList, type RecordStore } from '../records/record-store';
import { VERSION } from '../version';
import type { LeaseBreakRecord, LeaseOwner, LeaseResult, LeaseState, RemediationRecord, RunSummaryRecord } from '../records/record';
import { LEASE_BREAK_PARTITION, LEASE_PARTITION, SWEEP_PARTITION, WATCH_PARTITION, fromEntity, rowKeyFor, summaryEntity, summaryFromEntity, toEntity } from '../records/table-entity';
import { boundedClientOptions } from './credential';

/**
 * Records in Azure Table Storage (@azure/data-tables). Accepts a connection string (Azurite,
 * keys) or a table endpoint URL used with the managed identity (no shared keys in production).
 * Leases use the table's optimistic concurrency (ETags): two sweeps racing for the lease cannot
 * both get it.
 */
export class TableRecordStore implements RecordStore {
  readonly description: string;
  private readonly client: TableClient;
  private ready: Promise<void> | undefined;

  constructor(
    connection: string,
    table: string,
    credential: TokenCredential,
    readonly setting: string,
    timeoutMs = 60_000,
  ) {
    const isUrl = /^https?:\/\//i.test(connection);
    // Two retries per call: a record write is retried once more by the engine, and a store that is
    // down must not hold a run up for long before it is reported.
    const options = { ...boundedClientOptions(timeoutMs, 2), allowInsecureConnection: /^http:\/\/(127\.0\.0\.1|localhost)|UseDevelopmentStorage=true|(TableEndpoint|DefaultEndpointsProtocol)=http:?\/?\/?(127\.0\.0\.1|localhost)?/i.test(connection) };
    this.client = isUrl ? new TableClient(connection, table, credential, options) : TableClient.fromConnectionString(connection, table, options);
    this.description = maskSecrets(`Azure Table Storage table ${table} at ${this.client.url.replace(/\/[^/?]*(\?.*)?$/, '')}`);
  }

  async ensureWritable(): Promise<void> {
    try {
      await this.ensureTable();
      // A row of its own: creating the table can succeed for an identity that may not write rows.
      await this.client.upsertEntity({ partitionKey: LEASE_PARTITION, rowKey: 'store-check', checkedAt: new Date().toISOString() }, 'Replace');
    } catch (error) {
      throw new RecordStoreUnavailable(this.description, this.setting, reason(error));
    }
  }

  async write(record: RemediationRecord): Promise<void> {
    await this.ensureTable();
    // Upsert: the outcome replaces its intent, and a retried activity rewrites the same row.
    await this.client.upsertEntity(toEntity(record), 'Replace');
  }

  async replaceIntent(record: RemediationRecord): Promise<boolean> {
    await this.ensureTable();
    const entity = toEntity(record);
    try {
      const current = await this.client.getEntity<{ outcome?: string }>(entity.partitionKey, entity.rowKey);
      if (current.outcome !== 'intent') return false;
      // The ETag makes it conditional: an outcome stored since the read wins (412), this one is dropped.
      await this.client.updateEntity(entity, 'Replace', { etag: current.etag });
      return true;
    } catch (error) {
      if (isRestError(error) && (error.statusCode === 404 || error.statusCode === 412)) return false;
      throw error;
    }
  }

  async writeRunSummary(summary: RunSummaryRecord): Promise<void> {
    await this.ensureTable();
    await this.client.upsertEntity(summaryEntity(summary), 'Replace');
  }

  async list(subscriptionId: string, limit: number, filter: RecordFilter = {}): Promise<RecordList> {
    const since = filter.since ? odata` and recordedAt ge ${filter.since.toISOString()}` : '';
    return this.query(`${odata`PartitionKey eq ${subscriptionId.toLowerCase()}`}${since}`, limit, (r) => matchesFilter(r, filter));
  }

  async listRun(id: string, limit: number, filter: Pick<RecordFilter, 'since'> = {}): Promise<RecordList> {
    // Across partitions: a run's records are one per subscription. passId is the sweep, watch or revert id.
    const since = filter.since ? odata` and recordedAt ge ${filter.since.toISOString()}` : '';
    return this.query(`(${odata`runId eq ${id} or passId eq ${id}`})${since}`, limit, () => true, true);
  }

  async listSummaries(limit: number, filter: Pick<RecordFilter, 'since'> = {}): Promise<RunSummaryRecord[]> {
    const since = filter.since ? odata` and finishedAt ge ${filter.since.toISOString()}` : '';
    const summaries: RunSummaryRecord[] = [];
    for (const partition of [SWEEP_PARTITION, WATCH_PARTITION]) {
      const pages = this.client.listEntities<Record<string, unknown>>({ queryOptions: { filter: `${odata`PartitionKey eq ${partition}`}${since}` } }).byPage({ maxPageSize: Math.min(limit, 1000) });
      for await (const page of pages) {
        summaries.push(...page.map(summaryFromEntity));
        if (summaries.length >= limit * 2) break;
      }
    }
    return summaries.sort((a, b) => b.finishedAt.localeCompare(a.finishedAt)).slice(0, limit);
  }

  async summary(id: string): Promise<RunSummaryRecord | undefined> {
    await this.ensureTable();
    const filter = `(${odata`PartitionKey eq ${SWEEP_PARTITION} or PartitionKey eq ${WATCH_PARTITION}`}) and (${odata`sweepId eq ${id} or watchId eq ${id}`})`;
    let latest: RunSummaryRecord | undefined;
    // A summary rewritten later (an interrupted pass settled by reconcile.ts) is a second row: the latest wins.
    for await (const entity of this.client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      const summary = summaryFromEntity(entity);
      if (!latest || summary.finishedAt > latest.finishedAt) latest = summary;
    }
    return latest;
  }

  async listIntents(limit: number, filter: { subscriptionId?: string; run?: string } = {}): Promise<RecordList> {
    const parts = [odata`outcome eq ${'intent'}`];
    if (filter.subscriptionId) parts.push(odata`PartitionKey eq ${filter.subscriptionId.toLowerCase()}`);
    if (filter.run !== undefined) parts.push(`(${odata`runId eq ${filter.run} or passId eq ${filter.run}`})`);
    const found = await this.query(parts.join(' and '), limit, () => true, true);
    return { records: found.records.reverse(), problems: found.problems };
  }

  async recentPassIds(since: Date, limit: number): Promise<string[]> {
    await this.ensureTable();
    // Rows without passId do not match a comparison on it: only pass records come back.
    const filter = odata`recordedAt ge ${since.toISOString()} and passId ne ${''}`;
    const last = new Map<string, string>();
    for await (const e of this.client.listEntities<{ passId?: string; recordedAt?: string }>({ queryOptions: { filter, select: ['passId', 'recordedAt'] } })) {
      const id = String(e.passId ?? '');
      const at = String(e.recordedAt ?? '');
      if (id && (last.get(id) ?? '') < at) last.set(id, at);
    }
    return [...last].sort((a, b) => b[1].localeCompare(a[1])).slice(0, limit).map(([id]) => id);
  }

  async *exportAll(): AsyncIterable<RemediationRecord | RunSummaryRecord> {
    await this.ensureTable();
    for await (const entity of this.client.listEntities<Record<string, unknown>>()) {
      const partition = String(entity.partitionKey);
      if (partition === SWEEP_PARTITION || partition === WATCH_PARTITION) yield summaryFromEntity(entity);
      else if (partition !== LEASE_PARTITION && partition !== LEASE_BREAK_PARTITION) yield fromEntity(entity);
    }
  }

  async prune(before: Date): Promise<{ records: number; summaries: number }> {
    await this.ensureTable();
    const cutoff = before.toISOString();
    // Records by recordedAt, summaries by finishedAt; an intent is kept until it is reconciled.
    const filter = `(${odata`recordedAt lt ${cutoff} and outcome ne ${'intent'}`}) or (${odata`finishedAt lt ${cutoff}`})`;
    let records = 0;
    let summaries = 0;
    for await (const entity of this.client.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: ['PartitionKey', 'RowKey'] } })) {
      const partition = String(entity.partitionKey);
      if (partition === LEASE_PARTITION || partition === LEASE_BREAK_PARTITION) continue;
      await this.client.deleteEntity(partition, String(entity.rowKey));
      if (partition === SWEEP_PARTITION || partition === WATCH_PARTITION) summaries++;
      else records++;
    }
    return { records, summaries };
  }

  async writeLeaseBreak(record: LeaseBreakRecord): Promise<void> {
    await this.ensureTable();
    await this.client.upsertEntity({ partitionKey: LEASE_BREAK_PARTITION, rowKey: rowKeyFor({ startedAt: record.brokenAt, runId: record.name }), ...record }, 'Replace');
  }

  async listLeaseBreaks(limit: number): Promise<LeaseBreakRecord[]> {
    await this.ensureTable();
    const breaks: LeaseBreakRecord[] = [];
    for await (const e of this.client.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${LEASE_BREAK_PARTITION}` } })) {
      breaks.push({ kind: 'lease-break', name: String(e.name), holder: String(e.holder), expiresAt: String(e.expiresAt), brokenAt: String(e.brokenAt), brokenBy: String(e.brokenBy), version: String(e.version ?? VERSION) });
      if (breaks.length >= limit) break;
    }
    return breaks;
  }

  private async query(filter: string, limit: number, keep: (r: RemediationRecord) => boolean, sort = false): Promise<RecordList> {
    await this.ensureTable();
    const records: RemediationRecord[] = [];
    const problems: string[] = [];
    const pages = this.client.listEntities<Record<string, unknown>>({ queryOptions: { filter } }).byPage({ maxPageSize: Math.min(limit, 1000) });
    for await (const page of pages) {
      for (const entity of page) {
        try {
          const record = fromEntity(entity);
          if (keep(record)) records.push(record);
        } catch (error) {
          problems.push(`Skipped row ${String(entity.rowKey)}: ${scrub((error as Error).message)}`);
        }
        // Within one partition rows come newest first; across partitions they must be sorted, so read on.
        if (!sort && records.length >= limit) return { records, problems };
      }
    }
    if (sort) records.sort((a, b) => b.recordedAt.localeCompare(a.recordedAt));
    return { records: records.slice(0, limit), problems };
  }

  async acquireLease(name: string, holder: string, ttlMs: number, now: Date, owner?: LeaseOwner): Promise<LeaseResult> {
    await this.ensureTable();
    const wanted: LeaseState = { name, holder, expiresAt: new Date(now.getTime() + ttlMs).toISOString(), ...(owner ? { owner } : {}) };
    const entity = { partitionKey: LEASE_PARTITION, rowKey: name, holder, expiresAt: wanted.expiresAt, ...(owner ? { host: owner.host, pid: owner.pid, since: owner.since } : {}) };
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await this.readLease(name);
      try {
        if (!current) {
          await this.client.createEntity(entity);
          return { acquired: true, lease: wanted };
        }
        if (current.lease.holder !== holder && Date.parse(current.lease.expiresAt) > now.getTime()) return { acquired: false, held: current.lease };
        // Replace, not merge: a holder without an owner must not inherit the previous holder's host and pid.
        await this.client.updateEntity(entity, 'Replace', { etag: current.etag });
        return { acquired: true, lease: wanted };
      } catch (error) {
        // 409 (created meanwhile) or 412 (changed meanwhile): someone else was faster; look again.
        if (!(isRestError(error) && (error.statusCode === 409 || error.statusCode === 412))) throw error;
      }
    }
    const held = await this.readLease(name);
    return held ? { acquired: false, held: held.lease } : { acquired: false, held: { name, holder: '(unknown)', expiresAt: wanted.expiresAt } };
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    const current = await this.readLease(name);
    if (!current || current.lease.holder !== holder) return;
    try {
      await this.client.deleteEntity(LEASE_PARTITION, name, { etag: current.etag });
    } catch (error) {
      if (!(isRestError(error) && (error.statusCode === 404 || error.statusCode === 412))) throw error;
    }
  }

  async currentLease(name: string): Promise<LeaseState | undefined> {
    await this.ensureTable();
    return (await this.readLease(name))?.lease;
  }

  private async readLease(name: string): Promise<{ lease: LeaseState; etag: string } | undefined> {
    try {
      const entity = await this.client.getEntity<{ holder?: string; expiresAt?: string; host?: string; pid?: number; since?: string }>(LEASE_PARTITION, name);
      const owner = typeof entity.host === 'string' && typeof entity.pid === 'number' && typeof entity.since === 'string' ? { owner: { host: entity.host, pid: entity.pid, since: entity.since } } : {};
      return { lease: { name, holder: String(entity.holder ?? ''), expiresAt: String(entity.expiresAt ?? ''), ...owner }, etag: entity.etag };
    } catch (error) {
      if (isRestError(error) && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  private ensureTable(): Promise<void> {
    // createTable is idempotent (409 TableAlreadyExists is swallowed by the SDK); once per process.
    this.ready ??= this.client.createTable().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }
}

function reason(error: unknown): string {
  if (isRestError(error)) return scrub(`${error.code ?? `HTTP ${error.statusCode ?? '?'}`}: ${error.message.split('\n')[0] ?? ''}`);
  return scrub(error instanceof Error ? `${(error as { code?: string }).code ?? error.name}: ${error.message}` : String(error));
}
