import * as path from 'node:path';
import { TENANT_PASS_LEASE } from '../../shared/engine/tenant-lease';
import type { LeaseOwner, LeaseState, RemediationRecord, RunSummaryRecord } from '../../shared/records/record';
import { SqliteRecordStore } from '../../shared/records/records.sqlite';

/** The CLI's default store in a working directory (`.d4ai/d4ai.db`), read and arranged by tests as the CLI would. */
export function localStore(cwd: string): SqliteRecordStore {
  return new SqliteRecordStore(path.join(cwd, '.d4ai', 'd4ai.db'));
}

/** Every record and summary stored in `cwd`'s database. */
export async function storedInDirectory(cwd: string): Promise<{ records: RemediationRecord[]; summaries: RunSummaryRecord[] }> {
  const store = localStore(cwd);
  const records: RemediationRecord[] = [];
  const summaries: RunSummaryRecord[] = [];
  try {
    for await (const item of store.exportAll()) {
      if ('kind' in item) summaries.push(item);
      else records.push(item);
    }
  } finally {
    store.close();
  }
  return { records, summaries };
}

/** Takes the tenant-pass lease in `cwd`'s database, as another process would. */
export async function holdTenantLease(cwd: string, holder: string, ttlMs: number, owner?: LeaseOwner): Promise<void> {
  const store = localStore(cwd);
  try {
    const result = await store.acquireLease(TENANT_PASS_LEASE, holder, ttlMs, new Date(), owner);
    if (!result.acquired) throw new Error(`lease already held by ${result.held.holder}`);
  } finally {
    store.close();
  }
}

/** The tenant-pass lease as stored in `cwd`'s database. */
export async function tenantLeaseIn(cwd: string): Promise<LeaseState | undefined> {
  const store = localStore(cwd);
  try {
    return await store.currentLease(TENANT_PASS_LEASE);
  } finally {
    store.close();
  }
}
