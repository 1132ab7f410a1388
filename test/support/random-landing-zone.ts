import { AI_EXTENSIONS } from '../../shared/domain/extensions';
import type { AiResource, ExtensionState, PricingSnapshot, SubscriptionState } from '../../shared/domain/model';
import { AUDIT_POLICY_DEFINITION_ID } from '../../shared/domain/policy-scope';
import { FakeWorld, accountId } from './fake-world';

/**
 * Random landing zones for property tests, from a seed (no dependency: mulberry32). The same seed
 * always gives the same world, so a failing seed is a reproducible case: print `zone.seed` and
 * `zone.facts` in the assertion message.
 *
 * Per subscription: a state and tags (the opt-out tag in a few), a place in the management-group
 * tree (a few outside the governed group), an AI plan as ARM has it (Free, Standard with random
 * extensions, an unknown extension with settings, not offered, inherited — enforced or not —, managed
 * elsewhere), 0–4 AI-typed resources (Azure OpenAI / AI Services accounts, some opted out of
 * Defender for AI or with prompt shields off, Foundry projects, ML workspaces and registries,
 * Speech accounts that do not count), exemptions (current, expired) on the audit assignment, and —
 * with `lag` — a Resource Graph view that lags: a stale pricing row, no row, resources or even the
 * subscription not indexed yet, and an ARM list API that lags on a few resources.
 */

/** mulberry32: a tiny, fast, well-distributed 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  private readonly next: () => number;

  constructor(readonly seed: number) {
    this.next = mulberry32(seed);
  }

  float(): number {
    return this.next();
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick of nothing');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** One of the keys, by weight. */
  weighted<K extends string>(weights: Partial<Record<K, number>>): K {
    const entries = (Object.entries(weights) as Array<[K, number | undefined]>).map(([k, w]): [K, number] => [k, w ?? 0]);
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let roll = this.next() * total;
    for (const [key, w] of entries) {
      roll -= w;
      if (roll < 0) return key;
    }
    return (entries[entries.length - 1] as [K, number])[0];
  }

  /** Each item kept with probability p, order kept. */
  subset<T>(items: readonly T[], p = 0.5): T[] {
    return items.filter(() => this.next() < p);
  }
}

export const GOVERNED_MG = 'contoso';
export const ROOT_MG_ID = `/providers/Microsoft.Management/managementGroups/${GOVERNED_MG}`;
export const AUDIT_ASSIGNMENT_ID = `${ROOT_MG_ID}/providers/Microsoft.Authorization/policyAssignments/d4ai-audit`;
const CORP_MG_ID = '/providers/Microsoft.Management/managementGroups/contoso-corp';
const SANDBOX_MG_ID = '/providers/Microsoft.Management/managementGroups/contoso-sandbox';
const ALZ_SET_ID = `${ROOT_MG_ID}/providers/Microsoft.Authorization/policySetDefinitions/Deploy-MDFC-Config-H224`;

/** Where a subscription can sit: ancestors nearest first. The last is outside the governed group. */
const PLACEMENTS: Record<string, string[]> = {
  corp: ['contoso-corp', 'contoso-landing-zones', GOVERNED_MG],
  online: ['contoso-online', 'contoso-landing-zones', GOVERNED_MG],
  platform: ['contoso-platform', GOVERNED_MG],
  sandbox: ['contoso-sandbox', GOVERNED_MG],
  outside: ['fabrikam'],
};

export type PlanKind = 'free' | 'standard' | 'standard-unknown-extension' | 'not-offered' | 'inherited' | 'inherited-enforced' | 'managed-elsewhere';
export type GraphLagKind = 'live' | 'stale' | 'missing-row' | 'subscription-not-indexed';

/** What was generated for a subscription, for assertion messages. */
export interface SubscriptionFacts {
  placement: string;
  state: SubscriptionState;
  plan: PlanKind;
  graph: GraphLagKind;
  resources: number;
  resourcesNotInGraph: number;
  resourcesNotListed: number;
  optedOutAccounts: number;
  extensionFails: boolean;
  exemption?: 'current' | 'expired' | 'sandbox';
  excluded: boolean;
}

export interface RandomLandingZoneOptions {
  /** Inclusive bounds on the number of subscriptions (default 1–60). */
  subscriptions?: [number, number];
  /** Resource Graph (and list API) lag (default true). */
  lag?: boolean;
  /** Extensions the service fails to enable in some subscriptions (default true). */
  extensionFailures?: boolean;
  /** The world's clock (default 2026-12-01T09:00:00Z); exemption expiries are relative to it. */
  now?: string;
}

export interface RandomLandingZone {
  seed: number;
  world: FakeWorld;
  /** Settings to govern it with (merge into the test's config env). */
  env: Record<string, string>;
  subscriptionIds: string[];
  facts: Record<string, SubscriptionFacts>;
}

export function randomLandingZone(seed: number, options: RandomLandingZoneOptions = {}): RandomLandingZone {
  const rng = new Rng(seed);
  const now = options.now ?? '2026-12-01T09:00:00.000Z';
  const world = new FakeWorld({ now });
  const nowMs = Date.parse(now);
  const lag = options.lag ?? true;
  const [min, max] = options.subscriptions ?? [1, 60];
  const count = rng.int(min, max);
  const prefix = (seed >>> 0).toString(16).padStart(8, '0');
  const facts: Record<string, SubscriptionFacts> = {};
  const excluded: string[] = [];
  const subscriptionIds: string[] = [];

  world.addPolicyAssignment({
    id: AUDIT_ASSIGNMENT_ID,
    displayName: 'Microsoft Defender for AI Services should be enabled',
    policyDefinitionId: AUDIT_POLICY_DEFINITION_ID,
    parameters: {},
    scope: ROOT_MG_ID,
    notScopes: [],
  });
  if (rng.chance(0.5)) {
    world.addPolicyAssignment({
      id: `${CORP_MG_ID}/providers/Microsoft.Authorization/policyAssignments/Deploy-MDFC-Config-H224`,
      displayName: 'Deploy Microsoft Defender for Cloud configuration',
      policyDefinitionId: ALZ_SET_ID,
      parameters: { enableAscForAI: rng.pick(['DeployIfNotExists', 'Disabled']) },
      scope: CORP_MG_ID,
      notScopes: [],
    });
  }
  const sandboxExempt = rng.chance(0.3);
  if (sandboxExempt) {
    world.addExemption({ id: `${SANDBOX_MG_ID}/providers/Microsoft.Authorization/policyExemptions/sandbox-waiver`, policyAssignmentId: AUDIT_ASSIGNMENT_ID, category: 'Waiver', displayName: 'Sandboxes are not governed' });
  }

  for (let n = 1; n <= count; n++) {
    const id = `${prefix}-0000-4000-8000-${String(n).padStart(12, '0')}`;
    subscriptionIds.push(id);
    const placement = rng.weighted({ corp: 4, online: 3, platform: 2, sandbox: 1, outside: 0.5 });
    const state = rng.weighted({ Enabled: 80, Warned: 4, PastDue: 4, Disabled: 8, Deleted: 4 });
    const tags: Record<string, string> = {};
    if (rng.chance(0.5)) tags.costCenter = `cc-${rng.int(100, 999)}`;
    const optOut = rng.weighted({ none: 86, 'true': 8, 'false': 4, TRUE: 2 });
    if (optOut !== 'none') tags[rng.pick(['d4ai-opt-out', 'D4AI-Opt-Out'])] = optOut;

    const plan = rng.weighted<PlanKind>({ free: 35, standard: 25, 'standard-unknown-extension': 8, 'not-offered': 5, inherited: 6, 'inherited-enforced': 6, 'managed-elsewhere': 10 });
    const pricing = armPlan(rng, plan, nowMs);
    world.addSubscription(id, { displayName: `sub-${n}-${placement}`, state, tags, managementGroupAncestors: PLACEMENTS[placement] ?? [], pricing: pricing ?? null });

    // AI-typed resources.
    const resources: AiResource[] = [];
    let optedOut = 0;
    const howMany = rng.pick([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4]);
    for (let r = 0; r < howMany; r++) {
      const kind = rng.weighted({ openai: 35, aiservices: 20, speech: 15, workspace: 15, registry: 10, formrecognizer: 5 });
      const name = `${kind}-${n}-${r}`;
      if (kind === 'openai' || kind === 'aiservices') {
        const defenderForAI = rng.weighted<'Enabled' | 'Disabled' | 'unknown'>({ Enabled: 75, Disabled: 20, unknown: 5 });
        if (defenderForAI === 'Disabled') optedOut++;
        const account = world.addAccount(id, name, {
          kind: kind === 'openai' ? 'OpenAI' : 'AIServices',
          resourceGroup: `rg-${n}`,
          defenderForAI,
          promptShieldsOff: rng.chance(0.1) ? [{ deployment: `gpt-${r}`, policy: 'relaxed-filter', filter: 'Jailbreak' }] : [],
          problems: defenderForAI === 'unknown' ? ['defenderForAISettings could not be read (AuthorizationFailed).'] : [],
        });
        resources.push(account);
        if (kind === 'aiservices' && rng.chance(0.4)) {
          resources.push(world.addResource(id, { id: `${account.id}/projects/agents-${r}`, type: 'Microsoft.CognitiveServices/accounts/projects', location: 'swedencentral' }));
        }
      } else if (kind === 'workspace' || kind === 'registry') {
        const type = kind === 'workspace' ? 'Microsoft.MachineLearningServices/workspaces' : 'Microsoft.MachineLearningServices/registries';
        resources.push(world.addResource(id, { id: `/subscriptions/${id}/resourceGroups/rg-${n}/providers/${type}/${name}`, type, ...(kind === 'workspace' ? { kind: 'Default' } : {}), location: 'westeurope' }));
      } else {
        // Cognitive Services kinds that host no model endpoint: listed, never counted.
        resources.push(world.addResource(id, { id: accountId(id, name, `rg-${n}`), type: 'Microsoft.CognitiveServices/accounts', kind: kind === 'speech' ? 'SpeechServices' : 'FormRecognizer', location: 'westeurope' }));
      }
    }

    // Policy: exemptions on the audit assignment at the subscription, current or expired.
    let exemption: SubscriptionFacts['exemption'];
    if (rng.chance(0.1)) {
      exemption = rng.chance(0.6) ? 'current' : 'expired';
      const expiresOn = exemption === 'current' ? (rng.chance(0.5) ? undefined : new Date(nowMs + rng.int(1, 90) * 86_400_000).toISOString()) : new Date(nowMs - rng.int(1, 90) * 86_400_000).toISOString();
      world.addExemption({ id: `/subscriptions/${id}/providers/Microsoft.Authorization/policyExemptions/waiver-${n}`, policyAssignmentId: AUDIT_ASSIGNMENT_ID, category: rng.pick(['Waiver', 'Mitigated']), ...(expiresOn ? { expiresOn } : {}) });
    } else if (placement === 'sandbox' && sandboxExempt) {
      exemption = 'sandbox';
    }
    const isExcluded = rng.chance(0.05);
    if (isExcluded) excluded.push(id);

    const extensionFails = (options.extensionFailures ?? true) && rng.chance(0.1);
    if (extensionFails) world.failExtension(id, 'AIModelScanner', 'Model scanning is not available in this region yet.');

    // Lag: the Resource Graph view and the ARM list API.
    let graph: GraphLagKind = 'live';
    let resourcesNotInGraph = 0;
    let resourcesNotListed = 0;
    if (lag) {
      graph = rng.weighted<GraphLagKind>({ live: 60, stale: 22, 'missing-row': 13, 'subscription-not-indexed': 5 });
      if (graph === 'stale') world.setGraphPricing(id, stalePlan(rng, nowMs));
      else if (graph === 'missing-row') world.unindexPricing(id);
      else if (graph === 'subscription-not-indexed') world.hideSubscriptionFromGraph(id);
      for (const resource of resources) {
        if (rng.chance(0.12)) {
          world.hideFromGraph(resource.id);
          resourcesNotInGraph++;
        }
        if (rng.chance(0.05)) {
          world.hideFromInventory(resource.id);
          resourcesNotListed++;
        }
      }
    }
    facts[id] = { placement, state, plan, graph, resources: resources.length, resourcesNotInGraph, resourcesNotListed, optedOutAccounts: optedOut, extensionFails, ...(exemption ? { exemption } : {}), excluded: isExcluded };
  }

  return {
    seed,
    world,
    env: {
      D4AI_MANAGEMENT_GROUP: GOVERNED_MG,
      D4AI_POLICY_ASSIGNMENT_ID: AUDIT_ASSIGNMENT_ID,
      ...(excluded.length ? { D4AI_EXCLUDED_SUBSCRIPTIONS: excluded.join(',') } : {}),
    },
    subscriptionIds,
    facts,
  };
}

function extensionsWith(rng: Rng, p: number): ExtensionState[] {
  return AI_EXTENSIONS.map((name) => ({ name, enabled: rng.chance(p) }));
}

/** The AI plan as ARM has it; undefined: not offered. */
function armPlan(rng: Rng, kind: PlanKind, nowMs: number): PricingSnapshot | undefined {
  const base = { inherited: false, enforce: false };
  const enabledSince = new Date(nowMs - rng.int(1, 400) * 86_400_000).toISOString();
  switch (kind) {
    case 'free':
      return { tier: 'Free', extensions: rng.chance(0.3) ? AI_EXTENSIONS.map((name) => ({ name, enabled: false })) : [], ...base, freeTrialRemainingTime: rng.pick(['P30D', 'P12D', 'PT0S']) };
    case 'standard':
      return { tier: 'Standard', extensions: extensionsWith(rng, 0.6), ...base, enablementTime: enabledSince };
    case 'standard-unknown-extension':
      return {
        tier: 'Standard',
        extensions: [...extensionsWith(rng, 0.6), { name: 'AIFuturePreview', enabled: rng.chance(0.5), additionalExtensionProperties: { ExclusionTags: '[]' } }],
        ...base,
        enablementTime: enabledSince,
      };
    case 'not-offered':
      return undefined;
    case 'inherited':
    case 'inherited-enforced': {
      const tier = rng.pick(['Free', 'Standard'] as const);
      return { tier, extensions: tier === 'Standard' ? extensionsWith(rng, 0.5) : [], inherited: true, inheritedFrom: ROOT_MG_ID, enforce: kind === 'inherited-enforced' };
    }
    case 'managed-elsewhere': {
      const tier = rng.pick(['Free', 'Standard'] as const);
      return { tier, extensions: tier === 'Standard' ? extensionsWith(rng, 0.5) : [], ...base, managedBy: `M365 security rule: /management/rules/${rng.int(1000, 9999)}`, originatedFrom: 'M365' };
    }
  }
}

/** An older state of the plan the index may still show: anything it could have been. */
function stalePlan(rng: Rng, nowMs: number): PricingSnapshot {
  const kind = rng.weighted<PlanKind>({ free: 50, standard: 40, inherited: 10 });
  return armPlan(rng, kind, nowMs) ?? { tier: 'Free', extensions: [], inherited: false, enforce: false };
}
