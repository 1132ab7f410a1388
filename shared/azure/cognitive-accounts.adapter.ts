import { CognitiveServicesManagementClient } from '@azure/arm-cognitiveservices';
import { isRestError } from '@azure/core-rest-pipeline';
import type { AccountInspection, AiResource, PromptShieldOff } from '../domain/model';
import { errorInfo } from '../engine/errors';
import { sdkClientOptions, type ArmConnection } from './credential';
import { boundedPages } from './pipeline-policies';

/**
 * One Azure OpenAI / AI Services account beyond the plan switch (@azure/arm-cognitiveservices):
 *  - `defenderForAISettings/Default`: an owner can opt the account out of Defender for AI threat
 *    protection (state Disabled); never written, never written back here;
 *  - its deployments and the account's `raiPolicies`: a deployment whose content filter
 *    (`raiPolicyName`, the built-in Microsoft.Default when unset) turns off a prompt shield
 *    (Jailbreak or Indirect Attack, source Prompt) blinds Defender's jailbreak detection there.
 * Every read is advisory: a failure is named in `problems` and the rest is still read.
 */
export interface AccountsPort {
  inspect(account: AiResource): Promise<AccountInspection>;
}

/** Content filters on the prompt whose off state the guidance warns about. */
const PROMPT_SHIELDS = ['jailbreak', 'indirect attack', 'indirectattack', 'indirect_attack'];

export class CognitiveAccountsAdapter implements AccountsPort {
  constructor(private readonly connection: ArmConnection) {}

  async inspect(account: AiResource): Promise<AccountInspection> {
    const parts = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.CognitiveServices\/accounts\/([^/]+)$/i.exec(account.id);
    if (!parts) return { accountId: account.id, defenderForAI: 'unknown', promptShieldsOff: [], problems: [`not an account id: ${account.id}`] };
    const [, subscriptionId = '', resourceGroup = '', name = ''] = parts;
    const client = new CognitiveServicesManagementClient(this.connection.credential, subscriptionId, sdkClientOptions(this.connection));
    const problems: string[] = [];
    const [state, deployments, policies] = await Promise.all([
      client.defenderForAISettings.get(resourceGroup, name, 'Default').then(
        (s) => (s.state === 'Disabled' ? 'Disabled' : 'Enabled') as AccountInspection['defenderForAI'],
        (error: unknown) => {
          // Never written: the service default, threat protection on.
          if (isRestError(error) && error.statusCode === 404) return 'Enabled' as const;
          problems.push(`defenderForAISettings could not be read (${errorInfo(error).code}); needs Microsoft.CognitiveServices/accounts/defenderForAISettings/read (Reader).`);
          return 'unknown' as const;
        },
      ),
      collect(client.deployments.list(resourceGroup, name).byPage(), `Deployments of ${name}`).catch((error: unknown) => {
        problems.push(`deployments could not be read (${errorInfo(error).code}).`);
        return [];
      }),
      collect(client.raiPolicies.list(resourceGroup, name).byPage(), `Content filters of ${name}`).catch((error: unknown) => {
        problems.push(`content filters (raiPolicies) could not be read (${errorInfo(error).code}).`);
        return [];
      }),
    ]);
    const byName = new Map(policies.map((p) => [(p.name ?? '').toLowerCase(), p]));
    const promptShieldsOff: PromptShieldOff[] = [];
    for (const deployment of deployments) {
      const policyName = deployment.properties?.raiPolicyName ?? 'Microsoft.Default';
      const policy = byName.get(policyName.toLowerCase());
      for (const filter of policy?.properties?.contentFilters ?? []) {
        const filterName = (filter.name ?? '').toLowerCase();
        if (filter.source === 'Prompt' && PROMPT_SHIELDS.includes(filterName) && filter.enabled === false) {
          promptShieldsOff.push({ deployment: deployment.name ?? '?', policy: policyName, filter: filter.name ?? '?' });
        }
      }
    }
    return { accountId: account.id, defenderForAI: state, promptShieldsOff, problems };
  }
}

async function collect<T>(pages: AsyncIterable<T[] & { continuationToken?: string }>, label: string): Promise<T[]> {
  const out: T[] = [];
  for await (const item of boundedPages(pages, label)) out.push(item);
  return out;
}
