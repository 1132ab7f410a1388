import type { TokenCredential } from '@azure/identity';
import type { Config } from '../config';
import { lazily } from '../lazy-load';
import type { RecordStore } from './record-store';
import { SqliteRecordStore } from './records.sqlite';

// Table Storage's SDK is loaded only by a run that uses it (see lazy-load.ts).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tableStore = lazily(() => require('../azure/records.table') as typeof import('../azure/records.table'));

/**
 * Table Storage when a connection is configured (always in Functions); otherwise the CLI's embedded
 * SQLite file. The credential is asked for only by Table Storage (a URL connection authenticates with it).
 */
export function createRecordStore(config: Config, credential: () => TokenCredential, notice?: (message: string) => void): RecordStore {
  if (config.records.kind !== 'table') return new SqliteRecordStore(config.records.path, notice);
  const { TableRecordStore } = tableStore();
  return new TableRecordStore(config.records.connection, config.records.table, credential(), config.records.source, config.httpTimeoutMs);
}
