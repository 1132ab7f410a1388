import { changeKinds, changeText, isChange, planChange } from '../../../shared/domain/plan';
import { freePlan, standardPlan } from '../../builders/context.builder';
import { defaultEnablePricing } from '../../fixtures/pricing-bodies';

const KNOWN = ['AIPromptEvidence', 'AIPromptSharingWithPurview', 'AIModelScanner'];

describe('planChange', () => {
  it('Free to Standard: the wanted extensions switch on, the rest stay off', () => {
    const change = planChange(freePlan(), defaultEnablePricing());
    expect(change).toEqual({ tier: { from: 'Free', to: 'Standard' }, switchOn: ['AIPromptEvidence', 'AIModelScanner'], keptOn: [], staysOff: ['AIPromptSharingWithPurview'], switchOff: [], passedThrough: [] });
    expect(changeText(change)).toBe('Free → Standard +AIPromptEvidence +AIModelScanner (AIPromptSharingWithPurview stays off)');
    expect(changeKinds(change)).toEqual(['Free → Standard', '+AIPromptEvidence', '+AIModelScanner']);
    expect(isChange(change)).toBe(true);
  });

  it('extensions on a Free plan count as off (the service ignores them there)', () => {
    const free = { ...freePlan(), extensions: [{ name: 'AIPromptEvidence', enabled: true }] };
    expect(planChange(free, defaultEnablePricing()).switchOn).toEqual(['AIPromptEvidence', 'AIModelScanner']);
  });

  it('a revert to Free switches off what was on', () => {
    const body = { pricingTier: 'Free' as const, extensions: KNOWN.map((name) => ({ name, isEnabled: 'False' as const })) };
    const change = planChange(standardPlan(['AIPromptEvidence', 'AIModelScanner']), body);
    expect(changeText(change)).toBe('Standard → Free -AIPromptEvidence -AIModelScanner (AIPromptSharingWithPurview stays off)');
    expect(changeKinds(change)).toEqual(['Standard → Free', '-AIPromptEvidence', '-AIModelScanner']);
  });

  it('no change when the body restates the plan', () => {
    const current = standardPlan(['AIPromptEvidence', 'AIModelScanner']);
    const change = planChange(current, defaultEnablePricing());
    expect(isChange(change)).toBe(false);
    expect(changeText(change)).toBe('Standard (AIPromptEvidence, AIModelScanner kept on; AIPromptSharingWithPurview stays off)');
  });
});
