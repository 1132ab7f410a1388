import {
  AI_RESOURCE_TYPES,
  AI_WRITE_OPERATIONS,
  isAiResource,
  isAiResourceType,
  isAiWriteOperation,
  resourceTypeOf,
} from '../../shared/ai-resource-types';

const RG = '/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg-ai';

describe('isAiResource', () => {
  it.each(['OpenAI', 'openai', 'OPENAI', 'AIServices', 'aiservices', 'AiServices'])('counts a Cognitive Services account of kind %s', (kind) => {
    expect(isAiResource('Microsoft.CognitiveServices/accounts', kind)).toBe(true);
  });

  it.each(['Face', 'CRIS', 'SpeechServices', 'FormRecognizer', 'Bing.Search.v7', 'TextAnalytics', 'CognitiveServices', '', 'OpenAI '])(
    'does not count a Cognitive Services account of kind %p',
    (kind) => {
      expect(isAiResource('Microsoft.CognitiveServices/accounts', kind)).toBe(false);
    },
  );

  it('does not count a Cognitive Services account of unknown kind', () => {
    expect(isAiResource('Microsoft.CognitiveServices/accounts')).toBe(false);
  });

  it('matches the type case-insensitively', () => {
    expect(isAiResource('microsoft.cognitiveservices/ACCOUNTS', 'OpenAI')).toBe(true);
    expect(isAiResource('MICROSOFT.MACHINELEARNINGSERVICES/WORKSPACES')).toBe(true);
  });

  it.each([
    'Microsoft.CognitiveServices/accounts/projects',
    'Microsoft.MachineLearningServices/workspaces',
    'Microsoft.MachineLearningServices/registries',
  ])('counts %s whatever its kind', (type) => {
    for (const kind of [undefined, 'Hub', 'Project', 'Default', 'FeatureStore', 'Face', '']) {
      expect(isAiResource(type, kind)).toBe(true);
    }
  });

  it.each([
    'Microsoft.CognitiveServices/accounts/deployments',
    'Microsoft.MachineLearningServices/workspaces/computes',
    'Microsoft.MachineLearningServices/workspaces/onlineEndpoints',
    'Microsoft.Storage/storageAccounts',
    'Microsoft.Search/searchServices',
    'Microsoft.CognitiveServices',
    '',
  ])('does not count %p', (type) => {
    expect(isAiResource(type, 'OpenAI')).toBe(false);
    expect(isAiResourceType(type)).toBe(false);
  });
});

describe('isAiResourceType', () => {
  it('lists every type of AI_RESOURCE_TYPES, case-insensitively, whatever the kind filter', () => {
    for (const { type } of AI_RESOURCE_TYPES) {
      expect(isAiResourceType(type)).toBe(true);
      expect(isAiResourceType(type.toUpperCase())).toBe(true);
    }
  });
});

describe('AI_RESOURCE_TYPES', () => {
  it('is exactly these four types, only accounts filtered by kind', () => {
    expect(AI_RESOURCE_TYPES.map((t) => [t.type, t.kinds ?? null])).toEqual([
      ['Microsoft.CognitiveServices/accounts', ['OpenAI', 'AIServices']],
      ['Microsoft.CognitiveServices/accounts/projects', null],
      ['Microsoft.MachineLearningServices/workspaces', null],
      ['Microsoft.MachineLearningServices/registries', null],
    ]);
    for (const t of AI_RESOURCE_TYPES) expect(t.why.length).toBeGreaterThan(20);
  });
});

describe('AI_WRITE_OPERATIONS / isAiWriteOperation', () => {
  it('is the write operation of each AI type, in the same order', () => {
    expect(AI_WRITE_OPERATIONS).toEqual([
      'Microsoft.CognitiveServices/accounts/write',
      'Microsoft.CognitiveServices/accounts/projects/write',
      'Microsoft.MachineLearningServices/workspaces/write',
      'Microsoft.MachineLearningServices/registries/write',
    ]);
  });

  it.each([...AI_WRITE_OPERATIONS, 'microsoft.cognitiveservices/accounts/write', 'MICROSOFT.MACHINELEARNINGSERVICES/REGISTRIES/WRITE'])(
    'recognises %s',
    (operation) => {
      expect(isAiWriteOperation(operation)).toBe(true);
    },
  );

  it.each([
    'Microsoft.CognitiveServices/accounts/delete',
    'Microsoft.CognitiveServices/accounts/deployments/write',
    'Microsoft.CognitiveServices/accounts/listKeys/action',
    'Microsoft.MachineLearningServices/workspaces/computes/write',
    'Microsoft.Storage/storageAccounts/write',
    'Microsoft.CognitiveServices/accounts/write/extra',
    ' Microsoft.CognitiveServices/accounts/write',
    '',
  ])('does not recognise %p', (operation) => {
    expect(isAiWriteOperation(operation)).toBe(false);
  });
});

describe('resourceTypeOf', () => {
  it.each<[string, string | undefined]>([
    [`${RG}/providers/Microsoft.CognitiveServices/accounts/oai-1`, 'Microsoft.CognitiveServices/accounts'],
    [`${RG}/providers/Microsoft.CognitiveServices/accounts/foundry/projects/agents`, 'Microsoft.CognitiveServices/accounts/projects'],
    [
      `${RG}/providers/Microsoft.CognitiveServices/accounts/foundry/projects/agents/connections/search`,
      'Microsoft.CognitiveServices/accounts/projects/connections',
    ],
    [`${RG}/providers/Microsoft.MachineLearningServices/workspaces/mlw/computes/gpu`, 'Microsoft.MachineLearningServices/workspaces/computes'],
    [`${RG}/providers/Microsoft.MachineLearningServices/registries/models`, 'Microsoft.MachineLearningServices/registries'],
    // Extension resources: the type is the one after the last `providers`.
    [
      `${RG}/providers/Microsoft.CognitiveServices/accounts/oai-1/providers/Microsoft.Insights/diagnosticSettings/to-law`,
      'Microsoft.Insights/diagnosticSettings',
    ],
    ['/subscriptions/00000000-0000-0000-0000-0000000000a1/providers/Microsoft.Security/pricings/AI', 'Microsoft.Security/pricings'],
    [`${RG.toUpperCase()}/PROVIDERS/Microsoft.CognitiveServices/accounts/X`, 'Microsoft.CognitiveServices/accounts'],
    [`${RG}/providers/Microsoft.CognitiveServices/accounts/oai-1/`, 'Microsoft.CognitiveServices/accounts'],
    [`${RG}/providers/Microsoft.CognitiveServices/accounts`, 'Microsoft.CognitiveServices/accounts'],
    // Names that happen to be the keyword are values, not the keyword.
    [`${RG}/providers/Microsoft.CognitiveServices/accounts/providers`, 'Microsoft.CognitiveServices/accounts'],
    [
      '/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/providers/providers/Microsoft.MachineLearningServices/workspaces/providers',
      'Microsoft.MachineLearningServices/workspaces',
    ],
    [`${RG}/providers/Microsoft.CognitiveServices/accounts/providers/projects/p`, 'Microsoft.CognitiveServices/accounts/projects'],
    [RG, undefined],
    ['/subscriptions/00000000-0000-0000-0000-0000000000a1', undefined],
    [`${RG}/providers/Microsoft.CognitiveServices`, undefined],
    [`${RG}/providers`, undefined],
    ['', undefined],
  ])('%s -> %p', (id, expected) => {
    expect(resourceTypeOf(id)).toBe(expected);
  });

  it('agrees with the AI type list for nested ids', () => {
    const project = `${RG}/providers/Microsoft.CognitiveServices/accounts/foundry/projects/agents`;

    expect(isAiResourceType(resourceTypeOf(project) ?? '')).toBe(true);
    expect(isAiResourceType(resourceTypeOf(`${project}/connections/c`) ?? '')).toBe(false);
  });
});
