import { ExtensionSet } from './extension-set';
import type { AiExtensionName } from './extensions';
import type { PricingSnapshot } from './model';

/** Components wanted but not enabled (a Free plan has none enabled, whatever it lists). */
export function missingFrom(pricing: PricingSnapshot, components: readonly AiExtensionName[]): AiExtensionName[] {
  return ExtensionSet.ofPlan(pricing).missing(components);
}
