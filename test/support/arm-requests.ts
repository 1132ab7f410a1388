/** The three reads of one Azure OpenAI / AI Services account: its Defender-for-AI setting, deployments and content filters. */
export function isAccountRead(request: { method: string; path: string }): boolean {
  return request.method === 'GET' && /\/providers\/Microsoft\.CognitiveServices\/accounts\/[^/]+\/(defenderForAISettings\/Default|deployments|raiPolicies)$/i.test(request.path);
}
