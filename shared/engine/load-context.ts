import type { Config } from '../config';
import { contextFromArm } from '../domain/context-sources';
import { skipBeforeReading } from '../domain/decide';
import type { GovernContext, SubscriptionInfo, TriggerDetail } from '../domain/model';
import { GovernError } from './errors';
import type { Ports } from './ports';

/**
 * Reads everything the decision needs for one subscription, straight from ARM (the
 * single-subscription paths: events, the admin API, `govern --subscription`). Subscriptions that
 * are skipped on their own facts (disabled, excluded, opted out) cost no further reads; the rest
 * are read in parallel. The trigger's own resource (an AI-write event's resource id) counts as
 * evidence when the list API does not show it yet.
 */
export interface LoadOptions {
  /** The subscription as the caller already has it (state and tags): not read again. */
  listed?: SubscriptionInfo;
  detail?: TriggerDetail;
}

export async function loadContext(ports: Ports, config: Config, subscriptionId: string, options: LoadOptions = {}): Promise<GovernContext> {
  const subscription = options.listed ?? (await ports.subscriptions.get(subscriptionId));
  if (!subscription) {
    throw new GovernError('SubscriptionNotFound', `Subscription ${subscriptionId} does not exist or the identity cannot read it.`);
  }
  if (skipBeforeReading(subscription, config)) return { subscription, aiResources: [], policyAssignments: [] };

  const id = subscription.subscriptionId;
  const [pricing, typedResources, policyAssignments, exemptions] = await Promise.all([
    ports.pricing.get(id),
    ports.inventory.listAiTypedResources(id),
    ports.policyAssignments.listDefenderForAi(id),
    ports.exemptions.listApplying(id),
  ]);
  return contextFromArm({ subscription, ...(pricing ? { pricing } : {}), typedResources, policyAssignments, exemptions }, config, options.detail, ports.clock());
}
