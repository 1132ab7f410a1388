import { TableClient, odata } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import type { RecordStore } from '../records/record-store';
import type { RemediationRecord, RunSummaryRecord } from '../records/record';
import { fromEntity, summaryEntity, toEntity } from '../records/table-entity';

/**
 * Records in Azure Table Storage (@azure/data-tables). Accepts a connection string (Azurite,
 * keys) or a table endpoint URL used with the managed identity (no shared keys in production).
 */
export class TableRecordStore implements RecordStore {
  readonly description: string;
  private readonly client: TableClient;
  private ready: Promise<void> | undefined;

  constructor(connection: string, table: string, credential: TokenCredential) {
    const isUrl = /^https?:\/\//i.test(connection);
    this.client = isUrl
      ? new TableClient(connection, table, credential)
      : TableClient.fromConnectionString(connection, table, { allowInsecureConnection: /127\.0\.0\.1|localhost|UseDevelopmentStorage/i.test(connection) });
    this.description = `Azure Table Storage table ${table} at ${this.client.url.replace(/\/[^/]*$/, '')}`;
  }

  async write(record: RemediationRecord): Promise<void> {
    await this.ensureTable();
    // Upsert: a retried activity rewrites the same row instead of failing or duplicating it.
    await this.client.upsertEntity(toEntity(record), 'Replace');
  }

  async writeRunSummary(summary: RunSummaryRecord): Promise<void> {
    await this.ensureTable();
    await this.client.upsertEntity(summaryEntity(summary), 'Replace');
  }

  async list(subscriptionId: string, limit: number): Promise<RemediationRecord[]> {
    await this.ensureTable();
    const result: RemediationRecord[] = [];
    const pages = this.client
      .listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${subscriptionId.toLowerCase()}` } })
      .byPage({ maxPageSize: Math.min(limit, 1000) });
    for await (const page of pages) {
      for (const entity of page) {
        result.push(fromEntity(entity));
        if (result.length >= limit) return result;
      }
    }
    return result;
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
