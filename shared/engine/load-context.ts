import type { Config } from '../config';
import { contextFromArm, triggerCandidate } from '../domain/context-sources';
import { skipBeforeReading } from '../domain/decide';
import type { AiResource, CloudPostureTier, GovernContext, TriggerDetail } from '../domain/model';
import { isModelScanTarget } from '../domain/findings';
import { readBackoff } from './backoff';
import { inspectAccounts } from './inspect-accounts';
import { GovernError, errorInfo, isTransient } from './errors';
import type { Ports } from './ports';

/**
 * Reads everything the decision needs for one subscription, straight from ARM (the
 * single-subscription paths: events, the admin API, `govern --subscription`). Subscriptions that
 * are skipped on their own facts (disabled, excluded, opted out) cost no further reads; the rest
 * are read in parallel. The trigger's own resource (an AI-write event's resource id) counts as
 * evidence when the list API does not show it yet.
 *
 * Advisory reads degrade, protective reads fail closed: policy assignments only feed conflict
 * warnings (and say which exemptions count), so a failed read is a warning and the decision goes
 * ahead; exemptions protect a subscription from the governor, so a failed read stops the pass
 * (nothing is written) with the permission to grant named.
 */
export interface LoadOptions {
  detail?: TriggerDetail;
}

/**
 * Evidence is read, not believed: the trigger's resource id (an event's, a watch's) counts as an AI
 * resource only when a GET of exactly that id answers, with the type and kind ARM reports. A
 * made-up id (404) counts for nothing, and the record says why.
 */
async function confirmedEvidence(ports: Ports, typed: readonly AiResource[], detail: TriggerDetail | undefined, subscriptionId: string, warnings: string[]): Promise<TriggerDetail | undefined> {
  const candidate = triggerCandidate(typed, detail, subscriptionId);
  if (!candidate) return undefined;
  const found = await ports.inventory.getAiResource(candidate.id);
  if (!found) {
    warnings.push(`The trigger named ${candidate.id}, but a GET of that id found no such resource: it does not count as an AI resource.`);
    return undefined;
  }
  return { resourceId: found.id, ...(found.kind ? { resourceKind: found.kind } : {}) };
}

async function readCloudPosture(ports: Ports, subscriptionId: string, warnings: string[]): Promise<CloudPostureTier | undefined> {
  try {
    return await ports.pricing.cloudPosture(subscriptionId);
  } catch (error) {
    if (isTransient(error)) throw error;
    const { code, message } = errorInfo(error);
    warnings.push(`The Defender CSPM plan (CloudPosture) could not be read (${code}: ${message}); whether AI model security can work is not known. Grant Microsoft.Security/pricings/read (Security Reader).`);
    return undefined;
  }
}

/**
 * The subscriptions' management groups from Resource Graph (one request per 1,000), by lower-case
 * id; an empty list where Resource Graph does not list one, which outOfScopeReason counts as
 * outside D4AI_MANAGEMENT_GROUP.
 */
export async function readAncestry(ports: Pick<Ports, 'snapshot'>, subscriptionIds: readonly string[]): Promise<Record<string, string[]>> {
  const ids = subscriptionIds.map((id) => id.toLowerCase());
  const found = ids.length ? await ports.snapshot.ancestry(ids) : new Map<string, string[]>();
  return Object.fromEntries(ids.map((id) => [id, found.get(id) ?? []]));
}

/** One subscription's management groups (readAncestry). */
export async function ancestorsOf(ports: Pick<Ports, 'snapshot'>, subscriptionId: string): Promise<string[]> {
  return (await readAncestry(ports, [subscriptionId]))[subscriptionId.toLowerCase()] ?? [];
}

export async function loadContext(ports: Ports, config: Config, subscriptionId: string, options: LoadOptions = {}): Promise<GovernContext> {
  const listed = await ports.subscriptions.get(subscriptionId);
  if (!listed) {
    throw new GovernError('SubscriptionNotFound', `Subscription ${subscriptionId} does not exist or the identity cannot read it.`);
  }
  // One scope for every path: with D4AI_MANAGEMENT_GROUP set, the ancestry (one Resource Graph
  // request) decides whether this subscription is the governor's to write; unknown counts as outside.
  const subscription = config.managementGroup ? { ...listed, managementGroupAncestors: await ancestorsOf(ports, listed.subscriptionId) } : listed;
  if (skipBeforeReading(subscription, config)) return { subscription, aiResources: [], policyAssignments: [] };

  const id = subscription.subscriptionId;
  const readWarnings: string[] = [];
  const pricingReadAt = ports.clock();
  const [pricing, typedResources, policyAssignments, exemptions, extensionBackoff] = await Promise.all([
    ports.pricing.get(id),
    ports.inventory.listAiTypedResources(id),
    ports.policyAssignments.listDefenderForAi(id).catch((error: unknown) => {
      const { code, message } = errorInfo(error);
      readWarnings.push(
        `Policy assignments could not be read (${code}: ${message}); conflicting DeployIfNotExists assignments are not checked, and any exemption on the subscription counts. Grant Microsoft.Authorization/policyAssignments/read (role Reader) to check them.`,
      );
      return undefined;
    }),
    ports.exemptions.listApplying(id).catch((error: unknown) => {
      if (isTransient(error)) throw error; // throttled or down: the caller's retry, not a permission problem
      const { code, message } = errorInfo(error);
      throw new GovernError(
        `ExemptionsReadFailed:${code}`,
        `Policy exemptions could not be read (${message}), so an exemption cannot be ruled out and nothing was written. Grant Microsoft.Authorization/policyExemptions/read (role Reader, or Resource Policy Contributor) on the subscription or its management group.`,
      );
    }),
    readBackoff(ports, id, ports.clock()),
  ]);
  const evidence = await confirmedEvidence(ports, typedResources, options.detail, id, readWarnings);
  // AI model security scans Machine Learning workspaces and registries and needs Defender CSPM:
  // one more GET (CloudPosture), only where the configuration wants AIModelScanner and there is an
  // ML resource for it to scan; everywhere else the answer would change nothing.
  const cloudPosture = config.components.includes('AIModelScanner') && typedResources.some(isModelScanTarget) ? await readCloudPosture(ports, id, readWarnings) : undefined;
  const context = contextFromArm({ subscription, ...(pricing ? { pricing } : {}), ...(cloudPosture ? { cloudPosture } : {}), pricingReadAt, typedResources, policyAssignments, exemptions, readWarnings }, config, evidence, ports.clock());
  // One subscription: its accounts are read too (opt-outs change whether enabling protects anything).
  return inspectAccounts(ports, extensionBackoff ? { ...context, extensionBackoff } : context);
}
