import type { AccountsPort } from '../azure/cognitive-accounts.adapter';
import type { ExemptionsPort } from '../azure/exemptions.adapter';
import type { MetricsPort } from '../azure/metrics.adapter';
import type { InventoryPort } from '../azure/inventory.adapter';
import type { PolicyAssignmentsPort } from '../azure/policy-assignments.adapter';
import type { PricingPort } from '../azure/pricing.adapter';
import type { SubscriptionsPort } from '../azure/subscriptions.adapter';
import type { TenantSnapshotPort } from '../azure/tenant-snapshot.adapter';
import type { Logger } from '../observability/log';
import type { RecordStore } from '../records/record-store';

/** Everything the engine touches outside itself; tests and the CLI pass real adapters. */
export interface Ports {
  /** The whole scope at once, from Resource Graph: sweeps and the tenant watch. */
  snapshot: TenantSnapshotPort;
  /** One subscription, from ARM: events, the admin API, `govern`, and every write. */
  subscriptions: SubscriptionsPort;
  inventory: InventoryPort;
  pricing: PricingPort;
  exemptions: ExemptionsPort;
  policyAssignments: PolicyAssignmentsPort;
  /** Azure OpenAI / AI Services accounts one by one: their Defender-for-AI opt-out and content filters. */
  accounts: AccountsPort;
  /** Token volume per account (Azure Monitor metrics), for `d4ai report --tokens` only. */
  metrics: MetricsPort;
  records: RecordStore;
  logger: Logger;
  clock: () => Date;
  /** Waits between retries of a 409 "another update in progress"; injectable for tests. */
  sleep: (ms: number) => Promise<void>;
}

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
