import type { PricingBody, PricingSnapshot } from '../../../shared/domain/model';
import type { PricingSummary } from '../../../shared/records/record';
import { decideRevert } from '../../../shared/domain/decide';
import { differencesBetween } from '../../../shared/engine/revert';
import { standardPlan } from '../../builders/context.builder';

const before = { tier: 'Standard' as const, extensions: { AIPromptEvidence: true, AIPromptSharingWithPurview: true, AIModelScanner: false } };

/** The body a revert PUTs (decideRevert's desired state). */
const revertBody = (restore: PricingSummary, current: PricingSnapshot): PricingBody => decideRevert(restore, current, 'run-1').desired as PricingBody;

describe('decideRevert: the body', () => {
  it('restores the tier and every extension explicitly, keeping what the service holds per extension', () => {
    const current = { ...standardPlan(['AIPromptEvidence', 'AIModelScanner']), subPlan: 'P2' };
    current.extensions = [...current.extensions, { name: 'AIFuture', enabled: true, additionalExtensionProperties: { x: 1 } }];
    expect(revertBody({ ...before, subPlan: 'P1' }, current)).toEqual({
      pricingTier: 'Standard',
      subPlan: 'P1',
      extensions: [
        { name: 'AIPromptEvidence', isEnabled: 'True' },
        { name: 'AIPromptSharingWithPurview', isEnabled: 'True' },
        { name: 'AIModelScanner', isEnabled: 'False' },
        { name: 'AIFuture', isEnabled: 'False', additionalExtensionProperties: { x: 1 } },
      ],
    });
  });

  it('back to Free lists every extension as False', () => {
    const body = revertBody({ tier: 'Free', extensions: {} }, standardPlan(['AIPromptEvidence']));
    expect(body.pricingTier).toBe('Free');
    expect(body.extensions.every((e) => e.isEnabled === 'False')).toBe(true);
  });
});

describe('differencesBetween', () => {
  it('names each extension that differs, the tier, and the subPlan', () => {
    expect(differencesBetween({ tier: 'Standard', extensions: { AIPromptEvidence: true, AIPromptSharingWithPurview: false } }, before)).toEqual([
      'AIPromptSharingWithPurview is off, that run left it on',
    ]);
    expect(differencesBetween({ tier: 'Free', extensions: {} }, before)).toEqual(['the plan is Free, that run left it Standard']);
    expect(differencesBetween({ ...before, subPlan: 'P2' }, before)).toEqual(['subPlan is P2, was none']);
    expect(differencesBetween(before, before)).toEqual([]);
  });

  it('ignores extension states on Free, and extension name case', () => {
    expect(differencesBetween({ tier: 'Free', extensions: { AIPromptEvidence: true } }, { tier: 'Free', extensions: {} })).toEqual([]);
    expect(differencesBetween({ tier: 'Standard', extensions: { aipromptevidence: true } }, { tier: 'Standard', extensions: { AIPromptEvidence: true } })).toEqual([]);
  });
});
