import type { RemediationRecord, SweepSummaryRecord } from '../../shared/records/record';
import { SUB } from './context.builder';

/** Object mothers for stored records: a complete record, and the bare minimum one. */

export function remediationRecord(overrides: Partial<RemediationRecord> = {}): RemediationRecord {
  return {
    subscriptionId: SUB,
    runId: '6f1c2a9e-0d4b-4c53-9a37-1f0e5d2b8c01',
    startedAt: '2025-03-14T09:26:52.777Z',
    recordedAt: '2025-03-14T09:26:53.589Z',
    trigger: 'event',
    triggerDetail: {
      eventId: '4db48cba-50a2-455a-93b4-de41a3b5b7f6',
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
      operationName: 'Microsoft.CognitiveServices/accounts/write',
      resourceId: `/subscriptions/${SUB}/resourceGroups/rg-ai/providers/Microsoft.CognitiveServices/accounts/oai-1`,
    },
    mode: 'enforce',
    action: 'enable',
    outcome: 'applied',
    pricingBefore: { tier: 'Free', extensions: {} },
    pricingAfter: { tier: 'Standard', extensions: { AIPromptEvidence: true, AIPromptSharingWithPurview: false, AIModelScanner: true } },
    aiResourceCount: 1,
    aiResourceIds: [`/subscriptions/${SUB}/resourceGroups/rg-ai/providers/Microsoft.CognitiveServices/accounts/oai-1`],
    reasons: ['1 AI resource(s) found.', 'Plan is Free: switch to Standard with AIPromptEvidence, AIModelScanner.'],
    warnings: [],
    durationMs: 812,
    version: '0.1.0',
    ...overrides,
  };
}

/** Only the fields every record has. */
export function minimalRecord(overrides: Partial<RemediationRecord> = {}): RemediationRecord {
  return {
    subscriptionId: SUB,
    runId: 'run-min',
    startedAt: '2025-01-01T00:00:00.000Z',
    recordedAt: '2025-01-01T00:00:00.000Z',
    trigger: 'sweep',
    mode: 'report',
    action: 'undecided',
    outcome: 'failed',
    aiResourceCount: 0,
    aiResourceIds: [],
    reasons: [],
    warnings: [],
    durationMs: 0,
    version: '0.1.0',
    ...overrides,
  };
}

export function sweepSummaryRecord(overrides: Partial<SweepSummaryRecord> = {}): SweepSummaryRecord {
  return {
    kind: 'sweep-summary',
    sweepId: 'b8e2f0c4-7a61-4d0e-9c5b-2a3f4e5d6c7b',
    trigger: 'sweep',
    mode: 'enforce',
    scope: { managementGroup: 'contoso' },
    startedAt: '2025-03-14T02:00:00.000Z',
    finishedAt: '2025-03-14T02:03:10.250Z',
    subscriptions: 13,
    byAction: { enable: 3, none: 4, skip: 6 },
    byOutcome: { applied: 3, 'no-op': 10 },
    capReached: 0,
    failed: 1,
    version: '0.1.0',
    ...overrides,
  };
}
