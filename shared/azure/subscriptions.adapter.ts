import { SubscriptionClient, type Subscription } from '@azure/arm-resources-subscriptions';
import { isRestError } from '@azure/core-rest-pipeline';
import type { SubscriptionInfo } from '../domain/model';
import { sdkClientOptions, type ArmConnection } from './credential';

/**
 * One subscription as ARM has it (Subscriptions_Get, api-version 2022-12-01), for the
 * single-subscription paths. Sweeps and the tenant watch list subscriptions from a Resource Graph
 * snapshot instead.
 */
export interface SubscriptionsPort {
  /** Undefined when the subscription does not exist or the identity cannot see it. */
  get(subscriptionId: string): Promise<SubscriptionInfo | undefined>;
}

/**
 * Every subscription the identity can read (Subscriptions_List, the documented scope), one ARM page
 * at a time: how a tenant or management group over Resource Graph's 10,000-subscription cap is
 * partitioned into explicit subscription lists. `continuation` is the previous page's nextLink.
 */
export interface SubscriptionEnumerationPort {
  listPage(continuation?: string): Promise<{ subscriptionIds: string[]; continuation?: string }>;
}

export class SubscriptionsAdapter implements SubscriptionsPort, SubscriptionEnumerationPort {
  private readonly client: SubscriptionClient;

  constructor(connection: ArmConnection) {
    this.client = new SubscriptionClient(connection.credential, sdkClientOptions(connection));
  }

  async get(subscriptionId: string): Promise<SubscriptionInfo | undefined> {
    try {
      return toInfo(await this.client.subscriptions.get(subscriptionId));
    } catch (error) {
      if (isRestError(error) && (error.statusCode === 404 || error.statusCode === 403)) return undefined;
      throw error;
    }
  }

  async listPage(continuation?: string): Promise<{ subscriptionIds: string[]; continuation?: string }> {
    const pages = this.client.subscriptions.list().byPage(continuation ? { continuationToken: continuation } : {});
    const next = await pages.next();
    if (next.done) return { subscriptionIds: [] };
    const page = next.value as Subscription[] & { continuationToken?: string };
    const subscriptionIds = page.map((s) => s.subscriptionId?.toLowerCase()).filter((id): id is string => id !== undefined);
    return { subscriptionIds, ...(page.continuationToken ? { continuation: page.continuationToken } : {}) };
  }
}

function toInfo(subscription: Subscription): SubscriptionInfo | undefined {
  if (!subscription.subscriptionId) return undefined;
  return {
    subscriptionId: subscription.subscriptionId.toLowerCase(),
    ...(subscription.displayName ? { displayName: subscription.displayName } : {}),
    state: subscription.state ?? 'Enabled',
    tags: subscription.tags ?? {},
  };
}
