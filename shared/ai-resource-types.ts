/**
 * The single list of Azure resource types that count as "AI workloads" for Defender for AI Services.
 * Inventory queries, Event Grid filters (infra/) and event parsing are all derived from it, so adding
 * a type here is the only change needed to watch it everywhere.
 */
export interface AiResourceType {
  /** ARM resource type, as it appears in resource ids and `type` properties. */
  readonly type: string;
  /** When set, only accounts of these kinds count (case-insensitive). */
  readonly kinds?: readonly string[];
  /** Why Defender for AI cares about this type; shown in records and README. */
  readonly why: string;
}

export const AI_RESOURCE_TYPES: readonly AiResourceType[] = [
  {
    type: 'Microsoft.CognitiveServices/accounts',
    // Threat protection for AI covers Azure OpenAI and the multi-service AI Services / Foundry
    // accounts that serve models. Single-purpose kinds (Face, SpeechServices, CRIS, Bing.*,
    // FormRecognizer, ...) host no generative model endpoints, so they do not trigger enablement.
    kinds: ['OpenAI', 'AIServices'],
    why: 'Azure OpenAI / AI Services (Foundry) account serving models: threat protection and prompt evidence',
  },
  {
    type: 'Microsoft.CognitiveServices/accounts/projects',
    why: 'Foundry project on an AI Services account: its agents and deployments run on the account',
  },
  {
    type: 'Microsoft.MachineLearningServices/workspaces',
    why: 'Azure Machine Learning / Foundry hub or project workspace: models are trained and deployed here',
  },
  {
    type: 'Microsoft.MachineLearningServices/registries',
    why: 'Machine Learning registry: AI model security scans the models stored here',
  },
];

function findType(type: string): AiResourceType | undefined {
  const wanted = type.toLowerCase();
  return AI_RESOURCE_TYPES.find((t) => t.type.toLowerCase() === wanted);
}

/** True when a resource of this type (and kind, for types that filter by kind) is an AI workload. */
export function isAiResource(type: string, kind?: string): boolean {
  const entry = findType(type);
  if (!entry) return false;
  if (!entry.kinds) return true;
  if (kind === undefined) return false;
  return entry.kinds.some((k) => k.toLowerCase() === kind.toLowerCase());
}

/** The type as this list spells it (Resource Graph answers in lower case), or undefined when it is not an AI type. */
export function canonicalAiResourceType(type: string): string | undefined {
  return findType(type)?.type;
}

/** The types as a Resource Graph `in~ (...)` list: the snapshot's AI resources query is derived from the same list. */
export const AI_RESOURCE_GRAPH_TYPE_LIST = AI_RESOURCE_TYPES.map((t) => `'${t.type.toLowerCase()}'`).join(', ');

/** True when the type is listed, whatever the kind; used where the kind is not known (events). */
export function isAiResourceType(type: string): boolean {
  return findType(type) !== undefined;
}

/**
 * The ARM write operations Event Grid reports for AI resources, e.g.
 * `Microsoft.CognitiveServices/accounts/write`. infra/ uses this list for the advanced filter on
 * `data.operationName` (a test keeps the Bicep in sync).
 */
export const AI_WRITE_OPERATIONS: readonly string[] = AI_RESOURCE_TYPES.map((t) => `${t.type}/write`);

/** True when an Event Grid `data.operationName` is the write of an AI resource. */
export function isAiWriteOperation(operationName: string): boolean {
  const op = operationName.toLowerCase();
  return AI_WRITE_OPERATIONS.some((o) => o.toLowerCase() === op);
}

/**
 * The resource type of an ARM resource id, e.g.
 * `/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a/projects/p`
 * -> `Microsoft.CognitiveServices/accounts/projects`. Undefined for ids without a provider.
 */
export function resourceTypeOf(resourceId: string): string | undefined {
  const parts = resourceId.split('/').filter((p) => p.length > 0);
  let namespace: string | undefined;
  let types: string[] = [];
  // An id is key/value pairs (subscriptions/s, resourceGroups/rg, accounts/a), except that the key
  // `providers` is followed by a namespace. Walking the keys only means a resource or group that is
  // itself named "providers" is never taken for the keyword; the last `providers` wins (extension
  // resources such as diagnostic settings).
  for (let i = 0; i < parts.length; i += 2) {
    const key = parts[i] as string;
    if (key.toLowerCase() === 'providers' && i + 1 < parts.length) {
      namespace = parts[i + 1];
      types = [];
    } else if (namespace) {
      types.push(key);
    }
  }
  return namespace && types.length > 0 ? `${namespace}/${types.join('/')}` : undefined;
}
