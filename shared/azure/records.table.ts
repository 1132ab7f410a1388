import { TableClient, odata } from '@azure/data-tables';
import { isRestError } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { maskSecrets, scrub } from '../observability/redact';
import { RecordStoreUnavailable, matchesFilter, type RecordFilter, type RecordList, type RecordStore } from '../records/record-store';
import type { LeaseResult, LeaseState, RemediationRecord, RunSummaryRecord } from '../records/record';
import { LEASE_PARTITION, SWEEP_PARTITION, WATCH_PARTITION, fromEntity, summaryEntity, summaryFromEntity, toEntity } from '../records/table-entity';
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

  async acquireLease(name: string, holder: string, ttlMs: number, now: Date): Promise<LeaseResult> {
    await this.ensureTable();
    const wanted: LeaseState = { name, holder, expiresAt: new Date(now.getTime() + ttlMs).toISOString() };
    const entity = { partitionKey: LEASE_PARTITION, rowKey: name, holder, expiresAt: wanted.expiresAt };
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await this.readLease(name);
      try {
        if (!current) {
          await this.client.createEntity(entity);
          return { acquired: true, lease: wanted };
        }
        if (current.lease.holder !== holder && Date.parse(current.lease.expiresAt) > now.getTime()) return { acquired: false, held: current.lease };
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
      const entity = await this.client.getEntity<{ holder?: string; expiresAt?: string }>(LEASE_PARTITION, name);
      return { lease: { name, holder: String(entity.holder ?? ''), expiresAt: String(entity.expiresAt ?? '') }, etag: entity.etag };
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
