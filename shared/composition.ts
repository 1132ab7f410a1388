import type { TokenCredential } from '@azure/identity';
import type { Config } from './config';
import { armConnection, type ArmConnection } from './azure/credential';
import type { WaitListener } from './azure/pipeline-policies';
import { CognitiveAccountsAdapter } from './azure/cognitive-accounts.adapter';
import { ExemptionsAdapter } from './azure/exemptions.adapter';
import { MetricsAdapter } from './azure/metrics.adapter';
import { InventoryAdapter } from './azure/inventory.adapter';
import { PolicyAssignmentsAdapter } from './azure/policy-assignments.adapter';
import { PricingAdapter } from './azure/pricing.adapter';
import { ResourceGraphAdapter } from './azure/resource-graph.adapter';
import { SubscriptionsAdapter } from './azure/subscriptions.adapter';
import { TenantSnapshotAdapter } from './azure/tenant-snapshot.adapter';
import { realSleep, type Ports } from './engine/ports';
import type { Logger } from './observability/log';
import { createRecordStore } from './records/create-record-store';

export interface PortOptions {
  /** Told when an adapter waits on its own (Resource Graph quota pacing), for progress output. */
  onWait?: WaitListener;
  /** Told before an SDK client retries a throttled, failed or unanswered request. */
  onRetryWait?: WaitListener;
  /** Told what the store did on its own (the one-time import of an earlier records.jsonl). */
  onStoreNotice?: (message: string) => void;
}

/** The ports that call Azure Resource Manager and Resource Graph (every port but the record store). */
export type ArmPorts = Omit<Ports, 'records' | 'logger' | 'clock' | 'sleep'>;

/** The composition root: real adapters over one credential, for the CLI and the Functions app. */
export function createPorts(config: Config, logger: Logger, credential?: TokenCredential, options: PortOptions = {}): Ports {
  const connection = armConnection(config, credential, options.onRetryWait);
  return {
    ...armPorts(config, connection, options),
    records: createRecordStore(config, () => connection.credential, options.onStoreNotice),
    logger,
    clock: () => new Date(),
    sleep: realSleep,
  };
}

/** The ARM and Resource Graph adapters over one credential (the CLI builds them only for the commands that call Azure). */
export function createArmPorts(config: Config, credential: TokenCredential, options: PortOptions = {}): ArmPorts {
  return armPorts(config, armConnection(config, credential, options.onRetryWait), options);
}

function armPorts(config: Config, connection: ArmConnection, options: PortOptions): ArmPorts {
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
  };
}
