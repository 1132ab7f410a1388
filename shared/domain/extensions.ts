/**
 * The Defender for AI Services plan (`Microsoft.Security/pricings/AI`) and its extensions.
 * `Extension.name` is a free-form string in the 2024-01-01 contract; these three are the names
 * the service accepts for the AI plan.
 */
export const AI_PLAN_NAME = 'AI';

/** Defender CSPM: AI model security (AIModelScanner) needs it on the subscription. */
export const CLOUD_POSTURE_PLAN_NAME = 'CloudPosture';

export const AI_EXTENSIONS = ['AIPromptEvidence', 'AIPromptSharingWithPurview', 'AIModelScanner'] as const;
export type AiExtensionName = (typeof AI_EXTENSIONS)[number];

export const AI_EXTENSION_TITLES: Record<AiExtensionName, string> = {
  AIPromptEvidence: 'user prompt evidence',
  AIPromptSharingWithPurview: 'data security for AI interactions (Microsoft Purview)',
  AIModelScanner: 'AI model security',
};

export function isAiExtensionName(name: string): name is AiExtensionName {
  return (AI_EXTENSIONS as readonly string[]).includes(name);
}
