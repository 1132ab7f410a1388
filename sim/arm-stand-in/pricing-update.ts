/**
 * What a subscription-scope `PUT .../providers/Microsoft.Security/pricings/{plan}` (2024-01-01)
 * does to the stored pricing, as the REST examples and Terraform's azurerm provider show it:
 * - Standard without `extensions` (or without one of them) turns on every omitted extension of the
 *   plan: the service default. This is the trap the product must avoid by naming all of them.
 * - Free turns every extension off and clears subPlan / enablementTime.
 * - An extension that switches state while a failExtension() rule is armed comes back with
 *   operationStatus Failed (HTTP 200 — partial success) and keeps its previous stored value.
 * - A pricing inherited from a parent that enforces it cannot be written: 400 PricingInherited.
 */
import { ArmError } from './http';
import type { PlanInfo } from './plans';
import type { PricingExtension, PricingProperties, TrueFalse } from './types';

export interface PricingPutOutcome {
  stored: PricingProperties;
  /** The 200 body's properties: stored state plus per-extension operationStatus. */
  response: PricingProperties;
}

type ExtensionRequest = { isEnabled: TrueFalse; additionalExtensionProperties?: Record<string, unknown> };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTrueFalse = (v: unknown): v is TrueFalse => v === 'True' || v === 'False';
const invalid = (message: string): ArmError => new ArmError(400, 'InvalidInput', message);

function parseExtensions(plan: PlanInfo, raw: unknown): Map<string, ExtensionRequest> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) throw invalid("'properties.extensions' must be an array.");
  const requested = new Map<string, ExtensionRequest>();
  for (const item of raw) {
    if (!isRecord(item) || typeof item.name !== 'string') throw invalid('Each extension must have a string name.');
    const canonical = plan.extensions.find((e) => e.toLowerCase() === (item.name as string).toLowerCase());
    if (!canonical) {
      throw invalid(`Extension '${item.name}' is not supported for plan '${plan.name}'. Supported extensions: ${plan.extensions.join(', ') || 'none'}.`);
    }
    if (requested.has(canonical)) throw invalid(`Extension '${canonical}' is specified more than once.`);
    if (!isTrueFalse(item.isEnabled)) throw invalid(`Extension '${canonical}': isEnabled must be the string "True" or "False".`);
    const ext: ExtensionRequest = { isEnabled: item.isEnabled };
    if (item.additionalExtensionProperties !== undefined) {
      if (!isRecord(item.additionalExtensionProperties)) throw invalid(`Extension '${canonical}': additionalExtensionProperties must be an object.`);
      ext.additionalExtensionProperties = structuredClone(item.additionalExtensionProperties);
    }
    requested.set(canonical, ext);
  }
  return requested;
}

function checkWritable(plan: PlanInfo, current: PricingProperties): void {
  if (current.inherited === 'True' && current.enforce === 'True') {
    throw new ArmError(
      400,
      'PricingInherited',
      `The '${plan.name}' pricing is inherited from '${current.inheritedFrom ?? 'a parent scope'}', which enforces it; it cannot be changed at subscription scope.`,
    );
  }
}

export function applyPricingPut(
  plan: PlanInfo,
  current: PricingProperties,
  body: unknown,
  takeFailure: (extensionName: string) => string | undefined,
  now: Date = new Date(),
): PricingPutOutcome {
  checkWritable(plan, current);
  if (!isRecord(body) || !isRecord(body.properties)) throw invalid("The request body must be a JSON object with 'properties'.");
  const props = body.properties;
  const tier = props.pricingTier;
  if (tier !== 'Free' && tier !== 'Standard') throw invalid(`pricingTier must be 'Free' or 'Standard', got '${String(tier)}'.`);
  if (props.enforce !== undefined && !isTrueFalse(props.enforce)) throw invalid('enforce must be the string "True" or "False".');
  if (props.subPlan !== undefined && typeof props.subPlan !== 'string') throw invalid('subPlan must be a string.');
  if (tier === 'Standard' && typeof props.subPlan === 'string' && plan.subPlans && !plan.subPlans.includes(props.subPlan)) {
    throw invalid(`subPlan '${props.subPlan}' is not valid for plan '${plan.name}'. Valid values: ${plan.subPlans.join(', ')}.`);
  }
  if (tier === 'Standard' && plan.deprecated) throw invalid(`Plan '${plan.name}' is deprecated and cannot be enabled; use ${plan.deprecated.replacedBy.join(', ')}.`);
  const requested = parseExtensions(plan, props.extensions);

  const stored: PricingProperties = { pricingTier: tier };
  if (tier === 'Standard' && typeof props.subPlan === 'string') stored.subPlan = props.subPlan;
  if (current.freeTrialRemainingTime !== undefined) stored.freeTrialRemainingTime = current.freeTrialRemainingTime;
  if (tier === 'Standard') stored.enablementTime = current.pricingTier === 'Standard' && current.enablementTime ? current.enablementTime : now.toISOString();
  stored.enforce = (props.enforce as TrueFalse | undefined) ?? current.enforce ?? 'False';
  // Writing at subscription scope makes the configuration explicit: no longer inherited.
  if (current.inherited !== undefined) stored.inherited = 'False';
  stored.resourcesCoverageStatus = tier === 'Standard' ? 'FullyCovered' : 'NotCovered';
  if (current.deprecated) {
    stored.deprecated = true;
    stored.replacedBy = [...(current.replacedBy ?? [])];
  }

  const storedExts: PricingExtension[] = [];
  const responseExts: PricingExtension[] = [];
  for (const name of plan.extensions) {
    const previous = current.extensions?.find((e) => e.name === name);
    const before: TrueFalse = previous?.isEnabled ?? 'False';
    const ask = requested?.get(name);
    // Omitted on Standard = the service default (on); Free = everything off.
    const wanted: TrueFalse = tier === 'Free' ? 'False' : (ask?.isEnabled ?? 'True');
    const extra = ask?.additionalExtensionProperties ?? previous?.additionalExtensionProperties;
    const failure = wanted !== before ? takeFailure(name) : undefined;
    const kept: PricingExtension = { name, isEnabled: failure ? before : wanted };
    if (extra !== undefined) kept.additionalExtensionProperties = structuredClone(extra);
    storedExts.push(kept);
    responseExts.push({
      ...structuredClone(kept),
      isEnabled: wanted,
      operationStatus: failure
        ? { code: 'Failed', message: failure }
        : { code: 'Succeeded', message: wanted === 'True' ? 'Successfully enabled extension' : 'Successfully disabled extension' },
    });
  }
  if (storedExts.length > 0) stored.extensions = storedExts;
  const response: PricingProperties = structuredClone(stored);
  if (responseExts.length > 0) response.extensions = responseExts;
  return { stored, response };
}
