import { decide } from '../../../shared/domain/decide';
import { planOf, type Plan } from '../../../shared/domain/plan';
import { buildSavedPlan, canonicalJson, checkSavedPlan, PlanFileInvalid, PlanRefused, settingsFingerprint } from '../../../shared/domain/saved-plan';
import { config, context, freePlan, openAiAccount, standardPlan } from '../../builders/context.builder';

/** Saved plans as pure values: what is written, and every reason a file is refused before anything is applied. */
const NOW = new Date('2026-12-03T12:00:00Z');
const cfg = config();

function enablePlan(): Plan {
  const ctx = context({ aiResources: [openAiAccount()], pricing: freePlan(), pricingBasis: { source: 'arm', readAt: NOW.toISOString() } });
  return planOf(ctx, decide(ctx, cfg), NOW);
}

function savedText(plans: Plan[] = [enablePlan()], ttlMs?: number): string {
  return JSON.stringify(buildSavedPlan({ command: 'sweep', scope: {}, config: cfg, subscriptions: 3, plans, now: NOW, ...(ttlMs ? { ttlMs } : {}) }));
}

describe('saved plans', () => {
  it('hold the writes only, with their exact body, before-state and basis, and check back as made', () => {
    const none = planOf(context({ pricing: standardPlan(['AIPromptEvidence', 'AIModelScanner']), aiResources: [openAiAccount()] }), decide(context({ pricing: standardPlan(['AIPromptEvidence', 'AIModelScanner']), aiResources: [openAiAccount()] }), cfg), NOW);
    const plan = checkSavedPlan(savedText([enablePlan(), none]), cfg, NOW);
    expect(plan.counts).toEqual({ subscriptions: 3, writes: 1 });
    expect(plan.subscriptions).toHaveLength(1);
    expect(plan.subscriptions[0]).toMatchObject({ decision: { action: 'enable', desired: { pricingTier: 'Standard' } }, before: { tier: 'Free' }, basis: { source: 'arm' } });
    expect(plan.settingsFingerprint).toBe(settingsFingerprint(cfg));
  });

  it('refuse an edited file (the digest no longer matches), whatever was edited', () => {
    const edited = JSON.parse(savedText()) as { subscriptions: Array<{ decision: { desired: { extensions: Array<{ isEnabled: string }> } } }> };
    edited.subscriptions[0]?.decision.desired.extensions.forEach((e) => (e.isEnabled = 'True'));
    expect(() => checkSavedPlan(JSON.stringify(edited), cfg, NOW)).toThrow(PlanFileInvalid);
    expect(() => checkSavedPlan(JSON.stringify(edited), cfg, NOW)).toThrow(/changed after it was made/);
  });

  it('refuse a plan whose entries switch something off or are not governing writes, even with a matching digest', () => {
    const revert = enablePlan();
    revert.decision = { ...revert.decision, action: 'revert' };
    expect(() => checkSavedPlan(savedText([revert]), cfg, NOW)).toThrow(/not enable or add-components/);
    const off = planOf(context({ aiResources: [openAiAccount()], pricing: standardPlan(['AIPromptEvidence', 'AIPromptSharingWithPurview']) }), decide(context({ aiResources: [openAiAccount()], pricing: standardPlan(['AIPromptEvidence']) }), cfg), NOW);
    expect(() => checkSavedPlan(savedText([off]), cfg, NOW)).toThrow(/would switch AIPromptSharingWithPurview off/);
  });

  it('refuse an expired plan and one made under other deciding settings (PlanRefused), but not one made in report mode', () => {
    expect(() => checkSavedPlan(savedText(undefined, 60_000), cfg, new Date(NOW.getTime() + 120_000))).toThrow(PlanRefused);
    expect(() => checkSavedPlan(savedText(), config({ D4AI_COMPONENTS: 'AIPromptEvidence' }), NOW)).toThrow(/made under other settings/);
    expect(() => checkSavedPlan(savedText(), config({ D4AI_ARM_ENDPOINT: 'https://management.usgovcloudapi.net' }), NOW)).toThrow(PlanRefused);
    expect(() => checkSavedPlan(savedText(), config({ D4AI_MODE: 'report' }), NOW)).not.toThrow();
  });

  it('refuse what is not a plan, naming what is wrong', () => {
    expect(() => checkSavedPlan('{', cfg, NOW)).toThrow(/is not JSON/);
    expect(() => checkSavedPlan('[]', cfg, NOW)).toThrow(/not a JSON object/);
    expect(() => checkSavedPlan(JSON.stringify({ schema: 'd4ai-plan/9' }), cfg, NOW)).toThrow(/expected "d4ai-plan\/1"/);
    const badBefore = JSON.parse(savedText()) as { subscriptions: Array<{ before: unknown }> };
    if (badBefore.subscriptions[0]) badBefore.subscriptions[0].before = { tier: 'Gold', extensions: 3 };
    expect(() => checkSavedPlan(JSON.stringify(badBefore), cfg, NOW)).toThrow(/before is not a pricing state/);
  });

  it('canonical JSON does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }));
  });
});
