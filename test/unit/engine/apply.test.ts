import { desiredPricing } from '../../../shared/domain/decide';
import type { DesiredPricing } from '../../../shared/domain/model';
import { verify } from '../../../shared/engine/apply';
import { extension, freePlan, standardPlan } from '../../builders/context.builder';

const DESIRED: DesiredPricing = {
  pricingTier: 'Standard',
  extensions: [
    { name: 'AIPromptEvidence', isEnabled: 'True' },
    { name: 'AIPromptSharingWithPurview', isEnabled: 'False' },
    { name: 'AIModelScanner', isEnabled: 'True' },
  ],
};

describe('verify', () => {
  it('accepts a read-back that has every desired extension on', () => {
    expect(verify(DESIRED, standardPlan(['AIPromptEvidence', 'AIModelScanner']))).toBeUndefined();
  });

  it('accepts extra extensions being on (nothing desired False must be off)', () => {
    expect(verify(DESIRED, standardPlan(['AIPromptEvidence', 'AIPromptSharingWithPurview', 'AIModelScanner']))).toBeUndefined();
  });

  it('rejects a read-back that is not Standard', () => {
    expect(verify(DESIRED, freePlan())).toBe('Read-back shows pricingTier Free, expected Standard.');
  });

  it('rejects a Free read-back even when it lists the extensions as enabled', () => {
    const after = freePlan({ extensions: [extension('AIPromptEvidence', true), extension('AIModelScanner', true)] });

    expect(verify(DESIRED, after)).toBe('Read-back shows pricingTier Free, expected Standard.');
  });

  it('names the one desired extension that is off', () => {
    expect(verify(DESIRED, standardPlan(['AIPromptEvidence']))).toBe('Read-back shows AIModelScanner not enabled.');
  });

  it('names every desired extension that is off or missing, in body order', () => {
    const after = standardPlan([], { extensions: [extension('AIPromptSharingWithPurview', true)] });

    expect(verify(DESIRED, after)).toBe('Read-back shows AIPromptEvidence, AIModelScanner not enabled.');
  });

  it('matches names case-insensitively', () => {
    const after = standardPlan([], { extensions: [extension('aipromptevidence', true), extension('AIMODELSCANNER', true)] });

    expect(verify(DESIRED, after)).toBeUndefined();
  });

  it('checks unknown extensions passed through as True', () => {
    const desired: DesiredPricing = { pricingTier: 'Standard', extensions: [...DESIRED.extensions, { name: 'AIFuture', isEnabled: 'True' }] };

    expect(verify(desired, standardPlan(['AIPromptEvidence', 'AIModelScanner']))).toBe('Read-back shows AIFuture not enabled.');
  });

  it('accepts the read-back of a body with every extension False once the plan is Standard', () => {
    const desired = desiredPricing(freePlan(), []);

    expect(verify(desired, standardPlan([]))).toBeUndefined();
  });
});
