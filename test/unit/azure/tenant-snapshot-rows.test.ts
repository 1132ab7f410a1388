import { parseTimeSpan } from '../../../shared/azure/resource-graph.adapter';
import { SNAPSHOT_QUERIES, toAiResource, toCloudPostureTier, toPricing, toSubscription } from '../../../shared/azure/tenant-snapshot.adapter';
import { toAssignment, toExemption } from '../../../shared/azure/policy-wire';
import { parseQuery } from '../../../sim/arm-stand-in/kql';

const SUB = '00000000-0000-4000-8000-0000000000a1';

describe('the snapshot queries keep to the KQL subset', () => {
  it.each(Object.entries(SNAPSHOT_QUERIES))('%s', (_name, query) => {
    expect(query).not.toMatch(/\b(or|extend|summarize|mv-expand|limit|take|union)\b/i);
    // The stand-in's grammar accepts it, and the result keeps `id` (Resource Graph pages only by id).
    expect(parseQuery(query).columns).toContain('id');
  });

  it('the plans query is one row per subscription: the AI row with the CloudPosture tier joined on (leftouter)', () => {
    const joins = SNAPSHOT_QUERIES.aiPlans.match(/\| join kind=\w+/g);
    expect(joins).toEqual(['| join kind=leftouter']);
    expect(parseQuery(SNAPSHOT_QUERIES.aiPlans).columns).toEqual(['id', 'name', 'subscriptionId', 'properties', 'cloudPostureTier']);
    for (const [name, query] of Object.entries(SNAPSHOT_QUERIES)) if (name !== 'aiPlans') expect(query).not.toMatch(/\bjoin\b/);
  });
});

describe('row mappers', () => {
  it('reads a subscription row: display name, state, tags, management-group ancestry', () => {
    expect(
      toSubscription({
        subscriptionId: SUB.toUpperCase(),
        name: 'corp-ai',
        tags: { costCenter: 'R&D', count: 3 },
        properties: { state: 'Warned', managementGroupAncestorsChain: [{ name: 'corp', displayName: 'Corp' }, { name: 'root' }] },
      }),
    ).toEqual({ subscriptionId: SUB, displayName: 'corp-ai', state: 'Warned', tags: { costCenter: 'R&D' }, managementGroupAncestors: ['corp', 'root'] });
    expect(toSubscription({ name: 'no id' })).toBeUndefined();
  });

  it('maps lower-case types to the AI list and drops kinds that are not AI', () => {
    expect(toAiResource({ id: 'a', type: 'microsoft.cognitiveservices/accounts', kind: 'OpenAI', location: 'swedencentral' })).toEqual({
      id: 'a',
      type: 'Microsoft.CognitiveServices/accounts',
      kind: 'OpenAI',
      location: 'swedencentral',
    });
    expect(toAiResource({ id: 'b', type: 'microsoft.cognitiveservices/accounts', kind: 'SpeechServices' })).toBeUndefined();
    expect(toAiResource({ id: 'c', type: 'microsoft.storage/storageaccounts', kind: 'StorageV2' })).toBeUndefined();
  });

  it('reads a pricing row like the pricings API, and treats a row it cannot trust as not seen', () => {
    expect(toPricing({ properties: { pricingTier: 'Standard', extensions: [{ name: 'AIPromptEvidence', isEnabled: 'True' }] } })).toMatchObject({ tier: 'Standard', extensions: [{ name: 'AIPromptEvidence', enabled: true }] });
    expect(toPricing({ properties: { pricingTier: 'Premium' } })).toBeUndefined();
  });

  it("reads the joined CloudPosture tier; no CloudPosture row ('' in Kusto, null elsewhere) is not known", () => {
    expect(toCloudPostureTier('Free')).toBe('Free');
    expect(toCloudPostureTier('Standard')).toBe('Standard');
    expect(toCloudPostureTier('')).toBeUndefined();
    expect(toCloudPostureTier(null)).toBeUndefined();
    expect(toCloudPostureTier('Premium')).toBeUndefined();
  });

  it('reads assignments and exemptions, dropping rows without the fields a decision needs', () => {
    expect(toAssignment({ id: '/a', properties: { policyDefinitionId: '/d', scope: '/s', notScopes: ['/n', 3], parameters: { effect: { value: 'Disabled' } } } })).toEqual({
      id: '/a',
      policyDefinitionId: '/d',
      parameters: { effect: 'Disabled' },
      scope: '/s',
      notScopes: ['/n'],
    });
    expect(toAssignment({ id: '/a', properties: {} })).toBeUndefined();
    expect(toExemption({ id: '/e', properties: { policyAssignmentId: '/a', expiresOn: '2030-01-01T00:00:00Z' } })).toEqual({ id: '/e', policyAssignmentId: '/a', category: 'Waiver', expiresOn: '2030-01-01T00:00:00Z' });
    expect(toExemption({ id: '/e', properties: {} })).toBeUndefined();
  });
});

describe('parseTimeSpan (x-ms-user-quota-resets-after)', () => {
  it.each([
    ['00:00:05', 5000],
    ['00:01:00', 60000],
    ['01:00:00', 3600000],
    ['00:00:02.5', 2500],
  ])('%s -> %d ms', (value, ms) => {
    expect(parseTimeSpan(value)).toBe(ms);
  });
  it('is undefined for anything else', () => {
    expect(parseTimeSpan('5s')).toBeUndefined();
    expect(parseTimeSpan(undefined)).toBeUndefined();
  });
});
