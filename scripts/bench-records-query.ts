/**
 * Run by the benchmark as its own process: opens the default store cold and answers
 * `records --subscription <id> --limit 20` the way the CLI does (SqliteRecordStore.list), and
 * prints the milliseconds that took and the records found. The d4ai process itself also loads
 * every Azure SDK client at start-up; this isolates what the store costs at a given size.
 */
import { performance } from 'node:perf_hooks';
import { SqliteRecordStore } from '../shared/records/records.sqlite';

async function main(): Promise<void> {
  const [file, subscriptionId] = process.argv.slice(2);
  if (!file || !subscriptionId) throw new Error('usage: bench-records-query <db file> <subscription id>');
  const started = performance.now();
  const store = new SqliteRecordStore(file);
  const { records } = await store.list(subscriptionId, 20);
  const ms = performance.now() - started;
  store.close();
  process.stdout.write(JSON.stringify({ ms, records: records.length }));
}

void main();
