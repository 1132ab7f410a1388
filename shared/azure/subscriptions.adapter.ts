import { getContinuationToken, ManagementGroupsAPI, type DescendantInfo } from '@azure/arm-managementgroups';
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
 * The subscriptions of a scope, one ARM page at a time: how a tenant or management group over
 * Resource Graph's 10,000-subscription cap is partitioned into explicit subscription lists.
 * Without a management group, every subscription the identity can read (Subscriptions_List, the
 * documented scope); with one, the subscriptions below it at any depth (ManagementGroups_GetDescendants,
 * which needs Reader on the group, the role the governor already has there), so a group of 12,000
 * in a tenant of 50,000 costs the listing of 12,000, not of the whole tenant. `continuation` is the
 * previous page's nextLink.
 */
export interface SubscriptionEnumerationPort {
  listPage(continuation?: string, managementGroup?: string): Promise<{ subscriptionIds: string[]; continuation?: string }>;
}

export class SubscriptionsAdapter implements SubscriptionsPort, SubscriptionEnumerationPort {
  private readonly client: SubscriptionClient;
  private readonly groups: ManagementGroupsAPI;

  constructor(connection: ArmConnection) {
    this.client = new SubscriptionClient(connection.credential, sdkClientOptions(connection));
    this.groups = new ManagementGroupsAPI(connection.credential, sdkClientOptions(connection));
  }

  async get(subscriptionId: string): Promise<SubscriptionInfo | undefined> {
    try {
      return toInfo(await this.client.subscriptions.get(subscriptionId));
    } catch (error) {
      if (isRestError(error) && (error.statusCode === 404 || error.statusCode === 403)) return undefined;
      throw error;
    }
  }

  async listPage(continuation?: string, managementGroup?: string): Promise<{ subscriptionIds: string[]; continuation?: string }> {
    if (managementGroup) return this.descendantsPage(managementGroup, continuation);
    const pages = this.client.subscriptions.list().byPage(continuation ? { continuationToken: continuation } : {});
    const next = await pages.next();
    if (next.done) return { subscriptionIds: [] };
    const page = next.value as Subscription[] & { continuationToken?: string };
    const subscriptionIds = page.map((s) => s.subscriptionId?.toLowerCase()).filter((id): id is string => id !== undefined);
    return { subscriptionIds, ...(page.continuationToken ? { continuation: page.continuationToken } : {}) };
  }

  /** One page of the group's descendants: its subscriptions (the management groups in it are skipped; they are listed for their own subscriptions). */
  private async descendantsPage(group: string, continuation?: string): Promise<{ subscriptionIds: string[]; continuation?: string }> {
    const pages = this.groups.managementGroups.listDescendants(group).byPage(continuation ? { continuationToken: continuation } : {});
    const next = await pages.next();
    if (next.done) return { subscriptionIds: [] };
    const page: DescendantInfo[] = next.value;
    const subscriptionIds = page.map(subscriptionOf).filter((id): id is string => id !== undefined);
    // This SDK keeps a page's nextLink beside the page (getContinuationToken), not on it.
    const link = getContinuationToken(page);
    return { subscriptionIds, ...(link ? { continuation: link } : {}) };
  }
}

/** A descendant that is a subscription (`type` "/subscriptions", `id` "/subscriptions/<id>"): its id in lower case. */
function subscriptionOf(descendant: DescendantInfo): string | undefined {
  const m = /^\/subscriptions\/([^/]+)$/i.exec(descendant.id ?? '');
  return m?.[1] ? m[1].toLowerCase() : undefined;
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
