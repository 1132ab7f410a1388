import type { DesiredPricing, PricingSnapshot } from '../domain/model';
import { errorInfo, isConflict } from './errors';
import type { Ports } from './ports';

/**
 * The only place that writes: PUT the decided body, then read back and verify. A 200 can still be
 * a partial failure (an extension's operationStatus is Failed), and a read-back that disagrees
 * means the write did not stick; both are failures with their own codes.
 */
export interface ApplyResult {
  outcome: 'applied' | 'failed';
  pricingAfter?: PricingSnapshot;
  error?: { code: string; message: string };
  notes: string[];
}

/** Waits before retrying a 409; the service lets one pricing update run per subscription. */
export const CONFLICT_BACKOFF_MS = [2000, 5000, 10000];

export async function applyDesired(ports: Ports, subscriptionId: string, desired: DesiredPricing): Promise<ApplyResult> {
  const notes: string[] = [];
  let response: PricingSnapshot;
  try {
    response = await putWithConflictRetry(ports, subscriptionId, desired, notes);
  } catch (error) {
    return { outcome: 'failed', error: errorInfo(error), notes };
  }

  let readBack: PricingSnapshot | undefined;
  try {
    readBack = await ports.pricing.get(subscriptionId);
  } catch (error) {
    // The write went through; without a read-back we cannot prove it, so it is not "applied".
    return { outcome: 'failed', pricingAfter: response, error: { ...errorInfo(error), code: 'VerificationReadFailed' }, notes };
  }
  const after = readBack ?? response;

  const failedExtensions = response.extensions.filter((e) => e.operationStatus?.code?.toLowerCase() === 'failed');
  if (failedExtensions.length > 0) {
    const detail = failedExtensions.map((e) => `${e.name}: ${e.operationStatus?.message ?? 'Failed'}`).join('; ');
    return { outcome: 'failed', pricingAfter: after, error: { code: 'ExtensionFailed', message: detail }, notes };
  }

  const mismatch = verify(desired, after);
  if (mismatch) return { outcome: 'failed', pricingAfter: after, error: { code: 'VerificationFailed', message: mismatch }, notes };
  return { outcome: 'applied', pricingAfter: after, notes };
}

async function putWithConflictRetry(
  ports: Ports,
  subscriptionId: string,
  desired: DesiredPricing,
  notes: string[],
): Promise<PricingSnapshot> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await ports.pricing.put(subscriptionId, desired);
    } catch (error) {
      const wait = CONFLICT_BACKOFF_MS[attempt];
      if (!isConflict(error) || wait === undefined) throw error;
      notes.push(`Pricing update conflicted with another update in progress; retried after ${wait} ms.`);
      await ports.sleep(wait);
    }
  }
}

/** Undefined when the read-back state satisfies the PUT; otherwise what is wrong. */
export function verify(desired: DesiredPricing, after: PricingSnapshot): string | undefined {
  if (after.tier !== 'Standard') return `Read-back shows pricingTier ${after.tier}, expected Standard.`;
  const enabled = new Set(after.extensions.filter((e) => e.enabled).map((e) => e.name.toLowerCase()));
  const missing = desired.extensions.filter((e) => e.isEnabled === 'True' && !enabled.has(e.name.toLowerCase())).map((e) => e.name);
  return missing.length ? `Read-back shows ${missing.join(', ')} not enabled.` : undefined;
}

