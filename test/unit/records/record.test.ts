import pkg from '../../../package.json';
import type { Decision } from '../../../shared/domain/decide';
import type { GovernRequest } from '../../../shared/domain/model';
import {
  MAX_RESOURCE_IDS,
  buildRecord,
  outcomeWithoutWrite,
  summarisePricing,
  type RecordInput,
  type RemediationRecord,
} from '../../../shared/records/record';
import { VERSION } from '../../../shared/version';
import { SUB, context, extension, freePlan, openAiAccount, standardPlan } from '../../builders/context.builder';

const STARTED = new Date('2025-03-14T09:26:52.000Z');
const FINISHED = new Date('2025-03-14T09:26:53.234Z');
const RUN_ID = '6f1c2a9e-0d4b-4c53-9a37-1f0e5d2b8c01';

function request(overrides: Partial<GovernRequest> = {}): GovernRequest & { runId: string } {
  return { subscriptionId: SUB, trigger: 'sweep', runId: RUN_ID, ...overrides };
}

function input(overrides: Partial<RecordInput> = {}): RecordInput {
  return { request: request(), mode: 'enforce', outcome: 'no-op', startedAt: STARTED, finishedAt: FINISHED, ...overrides };
}

const ENABLE: Decision = {
  action: 'enable',
  missingComponents: ['AIPromptEvidence', 'AIModelScanner'],
  reasons: ['1 AI resource(s) found.', 'Plan is Free: switch to Standard.'],
  warnings: ['A policy disagrees.'],
};

describe('buildRecord', () => {
  it('records a run that failed before deciding as undecided, with nothing seen', () => {
    const record = buildRecord(input({ outcome: 'failed', error: { code: 'AuthorizationFailed', message: 'No access.' } }));

    expect(record).toEqual<RemediationRecord>({
      subscriptionId: SUB,
      runId: RUN_ID,
      startedAt: STARTED.toISOString(),
      recordedAt: '2025-03-14T09:26:53.234Z',
      trigger: 'sweep',
      mode: 'enforce',
      action: 'undecided',
      outcome: 'failed',
      aiResourceCount: 0,
      aiResourceIds: [],
      reasons: [],
      warnings: [],
      error: { code: 'AuthorizationFailed', message: 'No access.' },
      durationMs: 1234,
      version: VERSION,
    });
    expect(record).not.toHaveProperty('skipReason');
    expect(record).not.toHaveProperty('pricingBefore');
    expect(record).not.toHaveProperty('pricingAfter');
    expect(record).not.toHaveProperty('triggerDetail');
  });

  it('records an applied enablement with what was seen, decided and read back', () => {
    const detail = { eventId: 'e-1', eventType: 'Microsoft.Resources.ResourceWriteSuccess', resourceId: openAiAccount().id };
    const after = standardPlan(['AIPromptEvidence', 'AIModelScanner']);
    const record = buildRecord(
      input({
        request: request({ subscriptionId: SUB.toUpperCase(), trigger: 'event', detail }),
        context: context(),
        decision: ENABLE,
        outcome: 'applied',
        pricingAfter: after,
        extraReasons: ['Pricing update conflicted; retried after 2000 ms.'],
      }),
    );

    expect(record).toEqual<RemediationRecord>({
      subscriptionId: SUB,
      subscriptionName: 'landing-zone-ai',
      runId: RUN_ID,
      startedAt: STARTED.toISOString(),
      recordedAt: FINISHED.toISOString(),
      trigger: 'event',
      triggerDetail: detail,
      mode: 'enforce',
      action: 'enable',
      outcome: 'applied',
      pricingBefore: { tier: 'Free', extensions: {} },
      pricingAfter: { tier: 'Standard', extensions: { AIPromptEvidence: true, AIPromptSharingWithPurview: false, AIModelScanner: true } },
      aiResourceCount: 1,
      aiResourceIds: [openAiAccount().id],
      reasons: ['1 AI resource(s) found.', 'Plan is Free: switch to Standard.', 'Pricing update conflicted; retried after 2000 ms.'],
      warnings: ['A policy disagrees.'],
      durationMs: 1234,
      version: VERSION,
    });
  });

  it('keeps the skip reason of a skip decision', () => {
    const decision: Decision = { action: 'skip', skipReason: 'cap-reached', missingComponents: [], reasons: ['Cap.'], warnings: [] };

    expect(buildRecord(input({ context: context(), decision }))).toMatchObject({ action: 'skip', skipReason: 'cap-reached' });
  });

  it(`keeps at most ${MAX_RESOURCE_IDS} resource ids, in order, but counts them all`, () => {
    const resources = Array.from({ length: 13 }, (_, i) => openAiAccount(`oai-${i}`));
    const record = buildRecord(input({ context: context({ aiResources: resources }) }));

    expect(MAX_RESOURCE_IDS).toBe(10);
    expect(record.aiResourceCount).toBe(13);
    expect(record.aiResourceIds).toEqual(resources.slice(0, 10).map((r) => r.id));
  });

  it('keeps exactly 10 ids when there are exactly 10', () => {
    const resources = Array.from({ length: 10 }, (_, i) => openAiAccount(`oai-${i}`));

    expect(buildRecord(input({ context: context({ aiResources: resources }) })).aiResourceIds).toHaveLength(10);
  });

  it('measures durationMs from start to finish, never negative', () => {
    expect(buildRecord(input({ startedAt: FINISHED, finishedAt: FINISHED })).durationMs).toBe(0);
    expect(buildRecord(input({ startedAt: new Date(FINISHED.getTime() + 5), finishedAt: FINISHED })).durationMs).toBe(0);
    expect(buildRecord(input({ startedAt: new Date(0), finishedAt: new Date(90_061) })).durationMs).toBe(90_061);
  });

  it('stamps the package version', () => {
    expect(VERSION).toBe(pkg.version);
    expect(buildRecord(input()).version).toBe(pkg.version);
  });

  it('uses the pricing seen before as the pricing after when nothing was written', () => {
    const pricing = standardPlan(['AIPromptEvidence'], { subPlan: 'P1' });
    const record = buildRecord(input({ context: context({ pricing }) }));

    expect(record.pricingBefore).toEqual({
      tier: 'Standard',
      subPlan: 'P1',
      extensions: { AIPromptEvidence: true, AIPromptSharingWithPurview: false, AIModelScanner: false },
    });
    expect(record.pricingAfter).toEqual(record.pricingBefore);
  });

  it('has no pricing when the plan was unavailable and nothing was written', () => {
    const ctx = context();
    delete ctx.pricing;
    const record = buildRecord(input({ context: ctx }));

    expect(record).not.toHaveProperty('pricingBefore');
    expect(record).not.toHaveProperty('pricingAfter');
  });

  it('does not share the decision reasons array', () => {
    const decision: Decision = { action: 'none', missingComponents: [], reasons: ['Compliant.'], warnings: [] };
    const record = buildRecord(input({ decision }));
    record.reasons.push('later');

    expect(decision.reasons).toEqual(['Compliant.']);
  });
});

describe('summarisePricing', () => {
  it('is undefined without pricing', () => {
    expect(summarisePricing(undefined)).toBeUndefined();
  });

  it('maps extensions to enabled flags and marks inherited plans', () => {
    const pricing = freePlan({
      inherited: true,
      inheritedFrom: '/providers/Microsoft.Management/managementGroups/contoso',
      extensions: [extension('AIPromptEvidence', true, { additionalExtensionProperties: { a: 1 } }), extension('AIFuture', false)],
    });

    expect(summarisePricing(pricing)).toEqual({ tier: 'Free', extensions: { AIPromptEvidence: true, AIFuture: false }, inherited: true });
  });

  it('leaves out subPlan and inherited when absent or false', () => {
    expect(summarisePricing(freePlan())).toEqual({ tier: 'Free', extensions: {} });
    expect(Object.keys(summarisePricing(standardPlan([])) ?? {})).toEqual(['tier', 'extensions']);
  });
});

describe('outcomeWithoutWrite', () => {
  it.each([
    ['enable', 'dry-run'],
    ['add-components', 'dry-run'],
    ['none', 'no-op'],
    ['skip', 'no-op'],
  ] as const)('%s -> %s', (action, outcome) => {
    expect(outcomeWithoutWrite(action)).toBe(outcome);
  });
});
