import type { Config } from '../../../shared/config';
import { defaultEnablePricing } from '../../fixtures/pricing-bodies';
import {
  decide,
  desiredPricing,
  isWrite,
  missingFrom,
  skipBeforeReading,
  type Action,
  type Decision,
} from '../../../shared/domain/decide';
import { AI_EXTENSIONS, type AiExtensionName } from '../../../shared/domain/extensions';
import type { ExtensionState, GovernContext, PricingSnapshot } from '../../../shared/domain/model';
import {
  SUB,
  aiResource,
  alzMdfcAssignment,
  config,
  context,
  exemption,
  extension,
  freePlan,
  openAiAccount,
  standardPlan,
  subscription,
} from '../../builders/context.builder';

const OAI_ID = openAiAccount().id;
const MG = '/providers/Microsoft.Management/managementGroups/contoso';
const [EVIDENCE, PURVIEW, SCANNER] = AI_EXTENSIONS;

describe('decide: enable', () => {
  it('switches a Free plan with an AI resource to Standard with the configured components', () => {
    const decision = decide(context(), config());

    expect(decision).toEqual<Decision>({
      action: 'enable',
      missingComponents: ['AIPromptEvidence', 'AIModelScanner'],
      desired: defaultEnablePricing(),
      change: { tier: { from: 'Free', to: 'Standard' }, switchOn: ['AIPromptEvidence', 'AIModelScanner'], keptOn: [], staysOff: ['AIPromptSharingWithPurview'], switchOff: [], passedThrough: [] },
      reasons: [`1 AI resource(s) found, e.g. ${OAI_ID}.`, 'Plan is Free: switch to Standard with AIPromptEvidence, AIModelScanner.'],
      warnings: [],      findings: [{ type: 'ai-without-plan', message: '1 AI resource(s) and the AI plan is Free.' }],
    });
  });

  it('counts every AI resource and names the first', () => {
    const workspace = aiResource('Microsoft.MachineLearningServices/workspaces', 'mlw-1');
    const decision = decide(context({ aiResources: [workspace, openAiAccount('oai-2'), openAiAccount('oai-3')] }), config());

    expect(decision.action).toBe('enable');
    expect(decision.reasons[0]).toBe(`3 AI resource(s) found, e.g. ${workspace.id}.`);
  });

  it('enables without any AI resource when D4AI_ENABLE_WHEN=always', () => {
    const decision = decide(context({ aiResources: [] }), config({ D4AI_ENABLE_WHEN: 'always' }));

    expect(decision.action).toBe('enable');
    expect(decision.skipReason).toBeUndefined();
    expect(decision.reasons).toEqual([
      'D4AI_ENABLE_WHEN=always.',
      'Plan is Free: switch to Standard with AIPromptEvidence, AIModelScanner.',
    ]);
  });

  it('enables with every component switched off when D4AI_COMPONENTS lists none', () => {
    const decision = decide(context(), config({ D4AI_COMPONENTS: 'none' }));

    expect(decision.action).toBe('enable');
    expect(decision.missingComponents).toEqual([]);
    expect(decision.reasons[1]).toBe('Plan is Free: switch to Standard with no extra components.');
    expect(decision.desired?.extensions).toEqual([
      { name: 'AIPromptEvidence', isEnabled: 'False' },
      { name: 'AIPromptSharingWithPurview', isEnabled: 'False' },
      { name: 'AIModelScanner', isEnabled: 'False' },
    ]);
  });

  it('enables a Free plan that lists its extensions as enabled, keeping them on', () => {
    const pricing = freePlan({ extensions: [extension(EVIDENCE, true), extension(PURVIEW, true), extension(SCANNER, false)] });
    const decision = decide(context({ pricing }), config());

    expect(decision.action).toBe('enable');
    expect(decision.missingComponents).toEqual(['AIPromptEvidence', 'AIModelScanner']);
    expect(decision.desired?.extensions).toEqual([
      { name: 'AIPromptEvidence', isEnabled: 'True' },
      { name: 'AIPromptSharingWithPurview', isEnabled: 'True' },
      { name: 'AIModelScanner', isEnabled: 'True' },
    ]);
  });
});

describe('decide: add-components', () => {
  it('switches on the one missing component of a Standard plan', () => {
    const decision = decide(context({ pricing: standardPlan([EVIDENCE]) }), config());

    expect(decision).toEqual<Decision>({
      action: 'add-components',
      missingComponents: ['AIModelScanner'],
      desired: defaultEnablePricing(),
      change: { tier: { from: 'Standard', to: 'Standard' }, switchOn: ['AIModelScanner'], keptOn: ['AIPromptEvidence'], staysOff: ['AIPromptSharingWithPurview'], switchOff: [], passedThrough: [] },
      reasons: [`1 AI resource(s) found, e.g. ${OAI_ID}.`, 'Plan is Standard but AIModelScanner (AI model security) is off: switch on.'],
      warnings: [],      findings: [{ type: 'components-differ', message: 'Components differ from D4AI_COMPONENTS (AIPromptEvidence, AIModelScanner): missing AIModelScanner.' }],
    });
  });

  it('lists every missing component with its title', () => {
    const decision = decide(context({ pricing: standardPlan([]) }), config());

    expect(decision.action).toBe('add-components');
    expect(decision.missingComponents).toEqual(['AIPromptEvidence', 'AIModelScanner']);
    expect(decision.reasons[1]).toBe(
      'Plan is Standard but AIPromptEvidence (user prompt evidence), AIModelScanner (AI model security) are off: switch on.',
    );
  });

  it('treats a Standard plan that does not list a wanted extension at all as missing it', () => {
    const pricing: PricingSnapshot = { tier: 'Standard', extensions: [extension(EVIDENCE, true)], inherited: false, enforce: false };
    const decision = decide(context({ pricing }), config());

    expect(decision.action).toBe('add-components');
    expect(decision.missingComponents).toEqual(['AIModelScanner']);
  });

  it('keeps Purview sharing on when it was already on and another component is missing', () => {
    const decision = decide(context({ pricing: standardPlan([PURVIEW, EVIDENCE]) }), config());

    expect(decision.action).toBe('add-components');
    expect(decision.desired?.extensions).toEqual([
      { name: 'AIPromptEvidence', isEnabled: 'True' },
      { name: 'AIPromptSharingWithPurview', isEnabled: 'True' },
      { name: 'AIModelScanner', isEnabled: 'True' },
    ]);
  });

  it('adds components without AI resources when D4AI_ENABLE_WHEN=always', () => {
    const decision = decide(context({ aiResources: [], pricing: standardPlan([]) }), config({ D4AI_ENABLE_WHEN: 'always' }));

    expect(decision.action).toBe('add-components');
    expect(decision.reasons[0]).toBe('D4AI_ENABLE_WHEN=always.');
  });
});

describe('decide: none (compliant)', () => {
  it('does nothing when the plan is Standard with every wanted component on', () => {
    const decision = decide(context({ pricing: standardPlan([EVIDENCE, SCANNER]) }), config());

    expect(decision).toEqual<Decision>({
      action: 'none',
      missingComponents: [],
      reasons: ['Plan is Standard with all of AIPromptEvidence, AIModelScanner on.'],
      warnings: [],
    });
    expect(decision.desired).toBeUndefined();
  });

  it('leaves extra components (Purview sharing) on and does not write', () => {
    const decision = decide(context({ pricing: standardPlan([EVIDENCE, PURVIEW, SCANNER]) }), config());

    expect(decision.action).toBe('none');
    expect(decision.desired).toBeUndefined();
    expect(decision.reasons).toEqual([
      'Plan is Standard with all of AIPromptEvidence, AIModelScanner on; also on: AIPromptSharingWithPurview.',
    ]);
  });

  it('is compliant with no components required when D4AI_COMPONENTS lists none', () => {
    const decision = decide(context({ pricing: standardPlan([]) }), config({ D4AI_COMPONENTS: 'none' }));

    expect(decision.action).toBe('none');
    expect(decision.reasons).toEqual(['Plan is Standard with no components required (enabled: none).']);
  });

  it('matches enabled extension names case-insensitively', () => {
    const pricing = standardPlan([], { extensions: [extension('aipromptevidence', true), extension('AIMODELSCANNER', true)] });
    const decision = decide(context({ pricing }), config());

    expect(decision.action).toBe('none');
    expect(decision.missingComponents).toEqual([]);
  });

  it.each<[string, Partial<GovernContext>, Record<string, string>]>([
    ['no AI resources', { aiResources: [] }, {}],
    ['the cap is 0', {}, { D4AI_MAX_ENABLEMENTS_PER_RUN: '0' }],
    ['the plan is inherited and enforced', { pricing: standardPlan([EVIDENCE, SCANNER], { inherited: true, enforce: true }) }, {}],
  ])('is none (not a skip) when compliant even though %s', (_case, overrides, env) => {
    const ctx = context({ pricing: standardPlan([EVIDENCE, SCANNER]), ...overrides });
    const decision = decide(ctx, config(env), { writesSoFar: 0 });

    expect(decision.action).toBe('none');
    expect(decision.skipReason).toBeUndefined();
  });
});

describe('decide: skip', () => {
  describe('subscription-disabled', () => {
    it.each(['Disabled', 'Deleted', 'disabled', 'DELETED'])('skips a subscription in state %s', (state) => {
      const decision = decide(context({ subscription: subscription({ state }) }), config());

      expect(decision).toEqual<Decision>({
        action: 'skip',
        skipReason: 'subscription-disabled',
        missingComponents: ['AIPromptEvidence', 'AIModelScanner'],
        reasons: [`Subscription state is ${state}; ARM accepts no writes to it.`],
        warnings: [],
      });
    });

    it.each(['Enabled', 'Warned', 'PastDue', 'pastdue', 'WARNED'])('governs a subscription in state %s', (state) => {
      const decision = decide(context({ subscription: subscription({ state }) }), config());

      expect(decision.action).toBe('enable');
    });

    it('skips a subscription in a state it does not know', () => {
      const decision = decide(context({ subscription: subscription({ state: 'Suspended' }) }), config());

      expect(decision.skipReason).toBe('subscription-disabled');
    });
  });

  describe('excluded', () => {
    it.each([
      ['same case', SUB, SUB],
      ['setting in upper case', SUB.toUpperCase(), SUB],
      ['subscription id in upper case', SUB, SUB.toUpperCase()],
    ])('skips a subscription listed in D4AI_EXCLUDED_SUBSCRIPTIONS (%s)', (_case, listed, actual) => {
      const env = { D4AI_EXCLUDED_SUBSCRIPTIONS: `11111111-1111-1111-1111-111111111111, ${listed}` };
      const decision = decide(context({ subscription: subscription({ subscriptionId: actual }) }), config(env));

      expect(decision.action).toBe('skip');
      expect(decision.skipReason).toBe('excluded');
      expect(decision.reasons).toEqual(['Subscription is listed in D4AI_EXCLUDED_SUBSCRIPTIONS.']);
    });

    it('governs a subscription that is not listed', () => {
      const env = { D4AI_EXCLUDED_SUBSCRIPTIONS: '11111111-1111-1111-1111-111111111111' };

      expect(decide(context(), config(env)).action).toBe('enable');
    });
  });

  describe('opt-out-tag', () => {
    it.each([
      ['d4ai-opt-out', 'true'],
      ['d4ai-opt-out', 'TRUE'],
      ['d4ai-opt-out', 'True'],
      ['d4ai-opt-out', ' true '],
      ['D4AI-Opt-Out', 'true'],
      ['D4AI-OPT-OUT', 'TRUE'],
    ])('skips with tag %s=%p', (name, value) => {
      const decision = decide(context({ subscription: subscription({ tags: { env: 'prod', [name]: value } }) }), config());

      expect(decision.action).toBe('skip');
      expect(decision.skipReason).toBe('opt-out-tag');
      expect(decision.reasons).toEqual([`Subscription tag d4ai-opt-out=${value} opts it out.`]);
    });

    it.each(['false', 'FALSE', '', 'yes', '1', 'on', 'truee', 't rue'])('does not skip with tag value %p', (value) => {
      const decision = decide(context({ subscription: subscription({ tags: { 'd4ai-opt-out': value } }) }), config());

      expect(decision.action).toBe('enable');
    });

    it('ignores other tags whose value is true', () => {
      const decision = decide(context({ subscription: subscription({ tags: { 'd4ai-opt-out-later': 'true', optout: 'true' } }) }), config());

      expect(decision.action).toBe('enable');
    });

    it('uses the tag name from D4AI_OPT_OUT_TAG, case-insensitively', () => {
      const cfg = config({ D4AI_OPT_OUT_TAG: 'NoDefenderForAI' });

      expect(decide(context({ subscription: subscription({ tags: { nodefenderforai: 'true' } }) }), cfg)).toMatchObject({
        action: 'skip',
        skipReason: 'opt-out-tag',
        reasons: ['Subscription tag NoDefenderForAI=true opts it out.'],
      });
      expect(decide(context({ subscription: subscription({ tags: { 'd4ai-opt-out': 'true' } }) }), cfg).action).toBe('enable');
    });
  });

  describe('policy-exemption', () => {
    it('skips with the exemption, its category and its expiry', () => {
      const ex = exemption({ expiresOn: '2030-01-01T00:00:00Z' });
      const decision = decide(context({ exemption: ex }), config());

      expect(decision).toEqual<Decision>({
        action: 'skip',
        skipReason: 'policy-exemption',
        missingComponents: ['AIPromptEvidence', 'AIModelScanner'],
        reasons: [`Policy exemption ${ex.id} (Waiver) until 2030-01-01T00:00:00Z.`],
        warnings: [],        findings: [{ type: 'ai-without-plan', message: '1 AI resource(s) and the AI plan is Free.' }],
      });
    });

    it('says when an exemption never expires', () => {
      const ex = exemption({ category: 'Mitigated' });
      const decision = decide(context({ exemption: ex }), config());

      expect(decision.skipReason).toBe('policy-exemption');
      expect(decision.reasons).toEqual([`Policy exemption ${ex.id} (Mitigated) with no expiry.`]);
    });
  });

  describe('plan-unavailable', () => {
    it('skips when the service has no AI plan for the subscription, counting every component as missing', () => {
      const ctx = context();
      delete ctx.pricing;
      const decision = decide(ctx, config());

      expect(decision).toEqual<Decision>({
        action: 'skip',
        skipReason: 'plan-unavailable',
        missingComponents: ['AIPromptEvidence', 'AIModelScanner'],
        reasons: ['The service has no AI plan for this subscription (not offered in this cloud or region).'],
        warnings: [],
      });
    });
  });

  describe('inherited', () => {
    it('skips an inherited Free plan, naming where it comes from', () => {
      const pricing = freePlan({ inherited: true, inheritedFrom: MG });
      const decision = decide(context({ pricing }), config());

      expect(decision).toEqual<Decision>({
        action: 'skip',
        skipReason: 'inherited',
        missingComponents: ['AIPromptEvidence', 'AIModelScanner'],
        reasons: [
          `The AI plan is inherited from ${MG}; it is changed there, not per subscription. Missing: AIPromptEvidence, AIModelScanner.`,
        ],
        warnings: [],        findings: [{ type: 'ai-without-plan', message: '1 AI resource(s) and the AI plan is Free.' }],
      });
    });

    it('says when the parent enforces the plan', () => {
      const pricing = standardPlan([EVIDENCE], { inherited: true, inheritedFrom: MG, enforce: true });
      const decision = decide(context({ pricing }), config());

      expect(decision.skipReason).toBe('inherited');
      expect(decision.reasons).toEqual([
        `The AI plan is inherited from ${MG} and enforced; it is changed there, not per subscription. Missing: AIModelScanner.`,
      ]);
    });

    it('names a parent scope when the service does not say which', () => {
      const decision = decide(context({ pricing: freePlan({ inherited: true }) }), config());

      expect(decision.reasons).toEqual([
        'The AI plan is inherited from a parent scope; it is changed there, not per subscription. Missing: AIPromptEvidence, AIModelScanner.',
      ]);
    });

    it('says Missing: none for an inherited Free plan when no component is wanted', () => {
      const decision = decide(context({ pricing: freePlan({ inherited: true, enforce: true }) }), config({ D4AI_COMPONENTS: 'none' }));

      expect(decision.reasons).toEqual([
        'The AI plan is inherited from a parent scope and enforced; it is changed there, not per subscription. Missing: none.',
      ]);
    });
  });

  describe('no-ai-resources', () => {
    it('skips a Free plan without AI resources under D4AI_ENABLE_WHEN=ai-resources', () => {
      const decision = decide(context({ aiResources: [] }), config({ D4AI_ENABLE_WHEN: 'ai-resources' }));

      expect(decision).toEqual<Decision>({
        action: 'skip',
        skipReason: 'no-ai-resources',
        missingComponents: ['AIPromptEvidence', 'AIModelScanner'],
        reasons: [
          'No AI resources found and D4AI_ENABLE_WHEN=ai-resources; plan stays Free (missing: AIPromptEvidence, AIModelScanner).',
        ],
        warnings: [],
      });
    });

    it('skips adding components to a Standard plan without AI resources', () => {
      const decision = decide(context({ aiResources: [], pricing: standardPlan([SCANNER]) }), config());

      expect(decision.skipReason).toBe('no-ai-resources');
      expect(decision.reasons).toEqual([
        'No AI resources found and D4AI_ENABLE_WHEN=ai-resources; plan stays Standard (missing: AIPromptEvidence).',
      ]);
    });

    it('leaves out the missing list when nothing is missing', () => {
      const decision = decide(context({ aiResources: [] }), config({ D4AI_COMPONENTS: 'none' }));

      expect(decision.reasons).toEqual(['No AI resources found and D4AI_ENABLE_WHEN=ai-resources; plan stays Free.']);
    });

    it('is the default behaviour', () => {
      expect(decide(context({ aiResources: [] }), config()).skipReason).toBe('no-ai-resources');
    });
  });

  describe('cap-reached', () => {
    it.each<[number, number, Action]>([
      [500, 0, 'enable'],
      [500, 499, 'enable'],
      [500, 500, 'skip'],
      [500, 501, 'skip'],
      [1, 0, 'enable'],
      [1, 1, 'skip'],
      [0, 0, 'skip'],
    ])('cap %i with %i writes so far -> %s', (cap, writesSoFar, action) => {
      const decision = decide(context(), config({ D4AI_MAX_ENABLEMENTS_PER_RUN: String(cap) }), { writesSoFar });

      expect(decision.action).toBe(action);
      if (action === 'skip') {
        expect(decision.skipReason).toBe('cap-reached');
        expect(decision.reasons).toEqual([
          `This run already reached D4AI_MAX_ENABLEMENTS_PER_RUN=${cap}; the next run picks this subscription up.`,
        ]);
        expect(decision.desired).toBeUndefined();
      }
    });

    it('counts no writes when writesSoFar is not given', () => {
      expect(decide(context(), config({ D4AI_MAX_ENABLEMENTS_PER_RUN: '1' })).action).toBe('enable');
      expect(decide(context(), config({ D4AI_MAX_ENABLEMENTS_PER_RUN: '0' })).skipReason).toBe('cap-reached');
    });

    it('applies to add-components too', () => {
      const decision = decide(context({ pricing: standardPlan([]) }), config({ D4AI_MAX_ENABLEMENTS_PER_RUN: '2' }), { writesSoFar: 2 });

      expect(decision.skipReason).toBe('cap-reached');
    });
  });

  it('never carries a PUT body', () => {
    const skips = [
      decide(context({ subscription: subscription({ state: 'Disabled' }) }), config()),
      decide(context({ exemption: exemption() }), config()),
      decide(context({ pricing: freePlan({ inherited: true }) }), config()),
      decide(context({ aiResources: [] }), config()),
      decide(context(), config({ D4AI_MAX_ENABLEMENTS_PER_RUN: '0' })),
    ];
    for (const d of skips) {
      expect(d.action).toBe('skip');
      expect(d).not.toHaveProperty('desired');
    }
  });
});

describe('decide: precedence between skips', () => {
  it('reports the first applicable reason, in the documented order', () => {
    // Start with every skip condition true, then remove them one by one.
    const state = {
      subscriptionState: 'Disabled',
      env: { D4AI_EXCLUDED_SUBSCRIPTIONS: SUB, D4AI_MAX_ENABLEMENTS_PER_RUN: '0' } as Record<string, string>,
      tags: { 'd4ai-opt-out': 'true' } as Record<string, string>,
      withExemption: true,
      pricing: undefined as PricingSnapshot | undefined,
      aiResources: [] as GovernContext['aiResources'],
    };
    const run = (): Decision => {
      const ctx = context({
        subscription: subscription({ state: state.subscriptionState, tags: state.tags }),
        aiResources: state.aiResources,
        ...(state.withExemption ? { exemption: exemption() } : {}),
      });
      if (state.pricing) ctx.pricing = state.pricing;
      else delete ctx.pricing;
      return decide(ctx, config(state.env));
    };
    const seen: Array<string | undefined> = [];

    seen.push(run().skipReason);
    state.subscriptionState = 'Enabled';
    seen.push(run().skipReason);
    state.env = { D4AI_MAX_ENABLEMENTS_PER_RUN: '0' };
    seen.push(run().skipReason);
    state.tags = { 'd4ai-opt-out': 'false' };
    seen.push(run().skipReason);
    state.withExemption = false;
    seen.push(run().skipReason);
    state.pricing = freePlan({ inherited: true });
    seen.push(run().skipReason);
    state.pricing = freePlan();
    seen.push(run().skipReason);
    state.aiResources = [openAiAccount()];
    seen.push(run().skipReason);
    state.env = {};
    const last = run();

    expect(seen).toEqual([
      'subscription-disabled',
      'excluded',
      'opt-out-tag',
      'policy-exemption',
      'plan-unavailable',
      'inherited',
      'no-ai-resources',
      'cap-reached',
    ]);
    expect(last.action).toBe('enable');
  });

  it.each<[string, Partial<GovernContext>, Record<string, string>, string]>([
    ['disabled', { subscription: subscription({ state: 'Deleted' }) }, {}, 'subscription-disabled'],
    ['excluded', {}, { D4AI_EXCLUDED_SUBSCRIPTIONS: SUB }, 'excluded'],
    ['opted out', { subscription: subscription({ tags: { 'd4ai-opt-out': 'true' } }) }, {}, 'opt-out-tag'],
    ['exempt', { exemption: exemption() }, {}, 'policy-exemption'],
  ])('skips a compliant subscription that is %s (checked before compliance)', (_case, overrides, env, reason) => {
    const decision = decide(context({ pricing: standardPlan([EVIDENCE, SCANNER]), ...overrides }), config(env));

    expect(decision.action).toBe('skip');
    expect(decision.skipReason).toBe(reason);
    expect(decision.missingComponents).toEqual([]);
  });
});

describe('decide: warnings', () => {
  it('carries policy conflict warnings on a write decision', () => {
    const decision = decide(context({ policyAssignments: [alzMdfcAssignment()] }), config());

    expect(decision.action).toBe('enable');
    expect(decision.warnings).toEqual([
      'Policy assignment Deploy Microsoft Defender for Cloud configuration (Azure landing zone Deploy-MDFC-Config initiative 1.1.0) ' +
        'does not pass isAIPromptSharingWithPurviewEnabled on, so it stays "true", which turns AIPromptSharingWithPurview on; D4AI_COMPONENTS excludes it.',
    ]);
  });

  it('carries them on skips and on none too', () => {
    const assignments = [alzMdfcAssignment()];

    expect(decide(context({ policyAssignments: assignments, aiResources: [] }), config()).warnings).toHaveLength(1);
    expect(decide(context({ policyAssignments: assignments, subscription: subscription({ state: 'Disabled' }) }), config()).warnings).toHaveLength(1);
    expect(decide(context({ policyAssignments: assignments, pricing: standardPlan([EVIDENCE, SCANNER]) }), config()).warnings).toHaveLength(1);
  });

  it('has no warnings when the components match what the policy deploys', () => {
    const env = { D4AI_COMPONENTS: 'AIPromptEvidence,AIPromptSharingWithPurview,AIModelScanner' };

    expect(decide(context({ policyAssignments: [alzMdfcAssignment()] }), config(env)).warnings).toEqual([]);
  });
});

describe('decide: reasons and warnings are human readable', () => {
  const cases: Array<[string, GovernContext, Config, number]> = [
    ['enable', context({ policyAssignments: [alzMdfcAssignment()] }), config(), 0],
    ['enable (always)', context({ aiResources: [] }), config({ D4AI_ENABLE_WHEN: 'always' }), 0],
    ['add-components', context({ pricing: standardPlan([]) }), config(), 0],
    ['none', context({ pricing: standardPlan([EVIDENCE, SCANNER]) }), config(), 0],
    ['disabled', context({ subscription: subscription({ state: 'Disabled' }) }), config(), 0],
    ['excluded', context(), config({ D4AI_EXCLUDED_SUBSCRIPTIONS: SUB }), 0],
    ['opt-out', context({ subscription: subscription({ tags: { 'd4ai-opt-out': 'true' } }) }), config(), 0],
    ['exemption', context({ exemption: exemption() }), config(), 0],
    ['plan-unavailable', { subscription: subscription(), aiResources: [], policyAssignments: [] }, config(), 0],
    ['inherited', context({ pricing: freePlan({ inherited: true, enforce: true }) }), config(), 0],
    ['no-ai-resources', context({ aiResources: [] }), config(), 0],
    ['cap-reached', context(), config(), 500],
  ];

  it.each(cases)('%s', (_case, ctx, cfg, writesSoFar) => {
    const decision = decide(ctx, cfg, { writesSoFar });

    expect(decision.reasons.length).toBeGreaterThan(0);
    for (const text of [...decision.reasons, ...decision.warnings]) {
      expect(text.trim().length).toBeGreaterThan(10);
      expect(text).toMatch(/^[A-Z0-9]/);
      expect(text).toMatch(/\.$/);
      expect(text).not.toMatch(/undefined|null|NaN|\[object|\$\{/);
    }
  });
});

describe('desiredPricing', () => {
  it('is Standard, keeps the subPlan and lists every known extension in a fixed order', () => {
    expect(desiredPricing(freePlan({ subPlan: 'P1' }), [SCANNER])).toEqual({
      pricingTier: 'Standard',
      subPlan: 'P1',
      extensions: [
        { name: 'AIPromptEvidence', isEnabled: 'False' },
        { name: 'AIPromptSharingWithPurview', isEnabled: 'False' },
        { name: 'AIModelScanner', isEnabled: 'True' },
      ],
    });
  });

  it('has no subPlan key when the current plan has none', () => {
    expect(Object.keys(desiredPricing(freePlan(), []))).toEqual(['pricingTier', 'extensions']);
  });

  it('carries additionalExtensionProperties of known and unknown extensions through unchanged', () => {
    const exclusion = { ExclusionTags: '[{"key":"scan","value":"skip"}]' };
    const future = { Sensitivity: 'High', Nested: { a: [1, 2] } };
    const current = standardPlan([], {
      extensions: [
        extension(EVIDENCE, false),
        extension(SCANNER, true, { additionalExtensionProperties: exclusion }),
        extension('AIFutureInsight', false, { additionalExtensionProperties: future }),
        extension('AIOtherPreview', true),
      ],
    });

    expect(desiredPricing(current, [EVIDENCE]).extensions).toEqual([
      { name: 'AIPromptEvidence', isEnabled: 'True' },
      { name: 'AIPromptSharingWithPurview', isEnabled: 'False' },
      { name: 'AIModelScanner', isEnabled: 'True', additionalExtensionProperties: exclusion },
      { name: 'AIFutureInsight', isEnabled: 'False', additionalExtensionProperties: future },
      { name: 'AIOtherPreview', isEnabled: 'True' },
    ]);
  });

  it('does not copy operationStatus from a previous PUT response into the body', () => {
    const current = standardPlan([], {
      extensions: [extension(SCANNER, false, { operationStatus: { code: 'Failed', message: 'quota' } })],
    });

    for (const e of desiredPricing(current, [SCANNER]).extensions) expect(e).not.toHaveProperty('operationStatus');
  });

  it('uses the canonical name for a known extension the service reports in another case, without a duplicate', () => {
    const current = standardPlan([], { extensions: [extension('aipromptsharingwithpurview', true)] });

    expect(desiredPricing(current, []).extensions).toEqual([
      { name: 'AIPromptEvidence', isEnabled: 'False' },
      { name: 'AIPromptSharingWithPurview', isEnabled: 'True' },
      { name: 'AIModelScanner', isEnabled: 'False' },
    ]);
  });

  describe('never switches anything off (every current state x every component set)', () => {
    const UNKNOWN_PROPS = { Opaque: 'keep-me', Count: 3 };
    const subsets = (mask: number): AiExtensionName[] => AI_EXTENSIONS.filter((_, i) => (mask & (1 << i)) !== 0);

    it.each<['Free' | 'Standard', 'all listed' | 'only enabled listed']>([
      ['Free', 'all listed'],
      ['Free', 'only enabled listed'],
      ['Standard', 'all listed'],
      ['Standard', 'only enabled listed'],
    ])('%s plan, %s', (tier, listing) => {
      const violations: string[] = [];
      let checked = 0;
      for (let current = 0; current < 8; current++) {
        for (let wanted = 0; wanted < 8; wanted++) {
          for (const unknownEnabled of [false, true]) {
            const on = subsets(current);
            const components = subsets(wanted);
            const known: ExtensionState[] = AI_EXTENSIONS.filter((n) => listing === 'all listed' || on.includes(n)).map((n) =>
              extension(n, on.includes(n)),
            );
            const unknown = extension('AIUnknownFuture', unknownEnabled, { additionalExtensionProperties: UNKNOWN_PROPS });
            const pricing: PricingSnapshot = { tier, extensions: [unknown, ...known], inherited: false, enforce: false };
            const label = `${tier}/${listing} on=[${on}] wanted=[${components}] unknownEnabled=${unknownEnabled}`;
            const body = desiredPricing(pricing, components);
            checked++;

            if (body.pricingTier !== 'Standard') violations.push(`${label}: pricingTier ${body.pricingTier}`);
            const byName = new Map(body.extensions.map((e) => [e.name, e]));
            if (body.extensions.length !== 4) violations.push(`${label}: ${body.extensions.length} extensions`);
            for (const name of AI_EXTENSIONS) {
              const e = byName.get(name);
              if (!e) {
                violations.push(`${label}: ${name} not listed`);
                continue;
              }
              const expected = on.includes(name) || components.includes(name) ? 'True' : 'False';
              if (on.includes(name) && e.isEnabled === 'False') violations.push(`${label}: enabled ${name} set to False`);
              if (components.includes(name) && e.isEnabled !== 'True') violations.push(`${label}: wanted ${name} not True`);
              if (e.isEnabled !== expected) violations.push(`${label}: ${name} is ${e.isEnabled}, expected ${expected}`);
            }
            const passed = byName.get('AIUnknownFuture');
            const expectedUnknown = { name: 'AIUnknownFuture', isEnabled: unknownEnabled ? 'True' : 'False', additionalExtensionProperties: UNKNOWN_PROPS };
            if (JSON.stringify(passed) !== JSON.stringify(expectedUnknown)) violations.push(`${label}: unknown became ${JSON.stringify(passed)}`);
            if (passed && passed.additionalExtensionProperties !== UNKNOWN_PROPS) violations.push(`${label}: unknown properties copied/altered`);

            // Through decide as well: a write decision carries exactly this body.
            const decision = decide(context({ pricing }), config({ D4AI_COMPONENTS: components.join(',') || 'none' }));
            if (isWrite(decision) && JSON.stringify(decision.desired) !== JSON.stringify(body)) {
              violations.push(`${label}: decide() body differs from desiredPricing()`);
            }
            if (!isWrite(decision) && decision.desired !== undefined) violations.push(`${label}: ${decision.action} carries a body`);
          }
        }
      }

      expect(checked).toBe(128);
      expect(violations).toEqual([]);
    });
  });
});

describe('missingFrom', () => {
  it('counts every component missing on a Free plan, even when it lists them as enabled', () => {
    const pricing = freePlan({ extensions: AI_EXTENSIONS.map((n) => extension(n, true)) });

    expect(missingFrom(pricing, [EVIDENCE, SCANNER])).toEqual(['AIPromptEvidence', 'AIModelScanner']);
  });

  it('returns a copy, not the components array itself', () => {
    const components: AiExtensionName[] = [EVIDENCE];
    const result = missingFrom(freePlan(), components);

    expect(result).toEqual(components);
    expect(result).not.toBe(components);
  });

  it.each<[string, string[], AiExtensionName[], AiExtensionName[]]>([
    ['all on', [EVIDENCE, PURVIEW, SCANNER], [EVIDENCE, SCANNER], []],
    ['one off', [EVIDENCE], [EVIDENCE, SCANNER], [SCANNER]],
    ['none on', [], [SCANNER, EVIDENCE], [SCANNER, EVIDENCE]],
    ['nothing wanted', [], [], []],
    ['only an unwanted one on', [PURVIEW], [EVIDENCE], [EVIDENCE]],
  ])('Standard plan, %s', (_case, enabled, components, expected) => {
    expect(missingFrom(standardPlan(enabled), components)).toEqual(expected);
  });

  it('matches names case-insensitively and ignores disabled entries', () => {
    const pricing = standardPlan([], { extensions: [extension('aimodelscanner', true), extension(EVIDENCE, false)] });

    expect(missingFrom(pricing, [EVIDENCE, SCANNER])).toEqual([EVIDENCE]);
  });
});

describe('skipBeforeReading', () => {
  it('is undefined for an active, governed subscription', () => {
    expect(skipBeforeReading(subscription({ state: 'Warned', tags: { 'd4ai-opt-out': 'false' } }), config())).toBeUndefined();
  });

  it.each<[string, ReturnType<typeof subscription>, Record<string, string>, string, string]>([
    ['disabled', subscription({ state: 'Disabled' }), {}, 'subscription-disabled', 'Subscription state is Disabled; ARM accepts no writes to it.'],
    ['excluded', subscription(), { D4AI_EXCLUDED_SUBSCRIPTIONS: SUB }, 'excluded', 'Subscription is listed in D4AI_EXCLUDED_SUBSCRIPTIONS.'],
    [
      'opted out',
      subscription({ tags: { 'D4AI-OPT-OUT': 'True' } }),
      {},
      'opt-out-tag',
      'Subscription tag d4ai-opt-out=True opts it out.',
    ],
  ])('returns the skip for a %s subscription, as decide does', (_case, sub, env, skipReason, reason) => {
    expect(skipBeforeReading(sub, config(env))).toEqual({ skipReason, reason });
    expect(decide(context({ subscription: sub }), config(env))).toMatchObject({ action: 'skip', skipReason, reasons: [reason] });
  });

  it('checks the state before the exclusion list and the exclusion list before the tag', () => {
    const env = { D4AI_EXCLUDED_SUBSCRIPTIONS: SUB };
    const tags = { 'd4ai-opt-out': 'true' };

    expect(skipBeforeReading(subscription({ state: 'Deleted', tags }), config(env))?.skipReason).toBe('subscription-disabled');
    expect(skipBeforeReading(subscription({ tags }), config(env))?.skipReason).toBe('excluded');
  });
});

describe('isWrite', () => {
  it.each<[Action, boolean]>([
    ['enable', true],
    ['add-components', true],
    ['none', false],
    ['skip', false],
  ])('%s -> %p', (action, expected) => {
    expect(isWrite({ action })).toBe(expected);
  });
});
