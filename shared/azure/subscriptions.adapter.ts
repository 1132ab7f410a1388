import { SubscriptionClient, type Subscription } from '@azure/arm-resources-subscriptions';
import { isRestError } from '@azure/core-rest-pipeline';
import type { SubscriptionInfo } from '../domain/model';
import { sdkClientOptions, type ArmConnection } from './credential';

/** Subscriptions the identity can see (Subscriptions_List / _Get, api-version 2022-12-01). */
export interface SubscriptionsPort {
  list(): Promise<SubscriptionInfo[]>;
  /** Undefined when the subscription does not exist or the identity cannot see it. */
  get(subscriptionId: string): Promise<SubscriptionInfo | undefined>;
}

export class SubscriptionsAdapter implements SubscriptionsPort {
  private readonly client: SubscriptionClient;

  constructor(connection: ArmConnection) {
    this.client = new SubscriptionClient(connection.credential, sdkClientOptions(connection));
  }

  async list(): Promise<SubscriptionInfo[]> {
    const result: SubscriptionInfo[] = [];
    for await (const subscription of this.client.subscriptions.list()) {
      const info = toInfo(subscription);
      if (info) result.push(info);
    }
    return result;
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
