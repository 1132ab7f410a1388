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

export class SubscriptionsAdapter implements SubscriptionsPort {
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
