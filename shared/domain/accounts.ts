import type { AccountInspection, AiResource, GovernContext } from './model';

/**
 * Accounts that opted out of Defender for AI: what the plan cannot protect. A Foundry project
 * belongs to its account, so it is opted out with it; an ML workspace or registry has no such
 * setting and always counts as protected by the plan.
 */

/** Azure OpenAI and AI Services accounts: the resources with a defenderForAISettings child and deployments. */
export function isInspectableAccount(resource: Pick<AiResource, 'type' | 'kind'>): boolean {
  return resource.type.toLowerCase() === 'microsoft.cognitiveservices/accounts' && ['openai', 'aiservices'].includes((resource.kind ?? '').toLowerCase());
}

export function optedOutAccounts(accounts: readonly AccountInspection[] | undefined): string[] {
  return (accounts ?? []).filter((a) => a.defenderForAI === 'Disabled').map((a) => a.accountId);
}

/** The AI resources the plan would protect: all but the opted-out accounts and their projects. */
export function protectedAiResources(context: Pick<GovernContext, 'aiResources' | 'accounts'>): AiResource[] {
  const out = optedOutAccounts(context.accounts).map((id) => id.toLowerCase());
  if (out.length === 0) return [...context.aiResources];
  return context.aiResources.filter((r) => {
    const id = r.id.toLowerCase();
    return !out.some((a) => id === a || id.startsWith(`${a}/projects/`));
  });
}

/** The last segment of a resource id, for messages. */
export function nameOf(resourceId: string): string {
  return resourceId.split('/').filter(Boolean).pop() ?? resourceId;
}
