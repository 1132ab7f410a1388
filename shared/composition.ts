import type { TokenCredential } from '@azure/identity';
import type { Config } from './config';
import { armConnection } from './azure/credential';
import type { WaitListener } from './azure/pipeline-policies';
import { CognitiveAccountsAdapter } from './azure/cognitive-accounts.adapter';
import { ExemptionsAdapter } from './azure/exemptions.adapter';
import { MetricsAdapter } from './azure/metrics.adapter';
import { InventoryAdapter } from './azure/inventory.adapter';
import { PolicyAssignmentsAdapter } from './azure/policy-assignments.adapter';
import { PricingAdapter } from './azure/pricing.adapter';
import { TableRecordStore } from './azure/records.table';
import { ResourceGraphAdapter } from './azure/resource-graph.adapter';
import { SubscriptionsAdapter } from './azure/subscriptions.adapter';
import { TenantSnapshotAdapter } from './azure/tenant-snapshot.adapter';
import { realSleep, type Ports } from './engine/ports';
import type { Logger } from './observability/log';
import { SqliteRecordStore } from './records/records.sqlite';
import type { RecordStore } from './records/record-store';

export interface PortOptions {
  /** Told when an adapter waits on its own (Resource Graph quota pacing), for progress output. */
  onWait?: WaitListener;
  /** Told before an SDK client retries a throttled, failed or unanswered request. */
  onRetryWait?: WaitListener;
  /** Told what the store did on its own (the one-time import of an earlier records.jsonl). */
  onStoreNotice?: (message: string) => void;
}

/** The composition root: real adapters over one credential, for the CLI and the Functions app. */
export function createPorts(config: Config, logger: Logger, credential?: TokenCredential, options: PortOptions = {}): Ports {
  const connection = armConnection(config, credential, options.onRetryWait);
  const subscriptions = new SubscriptionsAdapter(connection);
  return {
    // Over Resource Graph's 10,000-subscription cap the snapshot partitions the scope by ARM's subscription list.
    snapshot: new TenantSnapshotAdapter(new ResourceGraphAdapter(connection, realSleep, options.onWait), subscriptions),
    subscriptions,
    inventory: new InventoryAdapter(connection),
    pricing: new PricingAdapter(connection, config.pricingsApiVersion),
    exemptions: new ExemptionsAdapter(connection),
    policyAssignments: new PolicyAssignmentsAdapter(connection),
    accounts: new CognitiveAccountsAdapter(connection),
    metrics: new MetricsAdapter(connection),
    records: createRecordStore(config, connection.credential, options.onStoreNotice),
    logger,
    clock: () => new Date(),
    sleep: realSleep,
  };
}

/** Table Storage when a connection is configured (always in Functions); otherwise the CLI's embedded SQLite file. */
export function createRecordStore(config: Config, credential: TokenCredential, notice?: (message: string) => void): RecordStore {
  return config.records.kind === 'table'
    ? new TableRecordStore(config.records.connection, config.records.table, credential, config.records.source, config.httpTimeoutMs)
    : new SqliteRecordStore(config.records.path, notice);
}
