import type { AiExtensionName } from './extensions';
import type { PricingSnapshot } from './model';

/** Components wanted but not enabled (a Free plan has none enabled, whatever it lists). */
export function missingFrom(pricing: PricingSnapshot, components: readonly AiExtensionName[]): AiExtensionName[] {
  if (pricing.tier !== 'Standard') return [...components];
  const enabled = new Set(pricing.extensions.filter((e) => e.enabled).map((e) => e.name.toLowerCase()));
  return components.filter((c) => !enabled.has(c.toLowerCase()));
}
