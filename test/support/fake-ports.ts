import { canonicalAiResourceType, isAiResource } from '../../shared/ai-resource-types';
import type { AccountsPort } from '../../shared/azure/cognitive-accounts.adapter';
import type { ExemptionsPort } from '../../shared/azure/exemptions.adapter';
import type { InventoryPort } from '../../shared/azure/inventory.adapter';
import type { MetricsPort } from '../../shared/azure/metrics.adapter';
import type { PolicyAssignmentsPort } from '../../shared/azure/policy-assignments.adapter';
import type { PricingPort } from '../../shared/azure/pricing.adapter';
import type { GraphScope } from '../../shared/azure/resource-graph.adapter';
import type { SubscriptionsPort } from '../../shared/azure/subscriptions.adapter';
import type { SnapshotPage, TenantSnapshotPort } from '../../shared/azure/tenant-snapshot.adapter';
import { AI_EXTENSIONS } from '../../shared/domain/extensions';
import type { AiResource, CloudPostureTier, ExemptionView, ExtensionState, PolicyAssignmentInfo, PolicyView, PricingBody, PricingSnapshot, SnapshotEntry, SubscriptionInfo } from '../../shared/domain/model';
import { coversSubscription, isDefenderForAiDefinition, narrowPolicyView, policyResourceScope } from '../../shared/domain/policy-scope';
import type { Ports } from '../../shared/engine/ports';
import { restError, type FakeSubscription, type FakeWorld } from './fake-world';

/**
 * The engine's Ports over a FakeWorld, without HTTP. Semantics follow the ARM stand-in
 * (sim/arm-stand-in) and the real adapters:
 *  - snapshot: pages of `pageSize` subscriptions (skipToken = the offset, `total` known), from the
 *    LAGGING Resource Graph view; AI resources filtered by kind as the adapter does (a Speech
 *    account is not in the snapshot); policy = the Defender-for-AI assignments and their
 *    exemptions anywhere in the tenant (narrowPolicyView);
 *  - subscriptions.get: ARM's answer (no management-group ancestry); undefined when unknown;
 *  - inventory.listAiTypedResources: every AI-typed resource of any kind, minus those the list API
 *    lags on; getAiResource(id): an exact GET, never lagging, undefined for a 404;
 *  - pricing.get: the ARM truth (undefined: not offered); pricing.put: as the service applies a
 *    body (Free turns everything off; Standard: listed extensions as asked, omitted ones ON, the
 *    service default; unknown names 400; inherited+enforced 400 PricingInherited; not offered 404;
 *    an extension armed to fail keeps its stored value and is answered operationStatus Failed);
 *  - exemptions / policy assignments: those that apply to the subscription (atScope());
 *  - accounts.inspect: the account's Defender-for-AI state and prompt shields (default Enabled);
 *  - records, logger, clock and sleep: the world's (sleep records the wait and does not wait).
 * Every call is counted in world.calls and, for ARM ports, listed in world.requests.
 *
 * Use:
 *   const world = new FakeWorld();
 *   world.addSubscription(SUB, { managementGroupAncestors: ['contoso'] });
 *   world.addAccount(SUB, 'oai-chat');                 // an Azure OpenAI account, Defender for AI on
 *   world.unindexPricing(SUB);                         // Resource Graph has no row for the plan yet
 *   world.conflictNextPuts(SUB, 1);                    // the first PUT is answered 409
 *   const ports = fakePorts(world, { pageSize: 2 });
 *   const result = await sweep(ports, config(), { trigger: 'sweep' });
 *   expect(world.pricingOf(SUB)?.tier).toBe('Standard');
 *   expect(world.calls.pricing).toEqual({ get: 4, put: 2 });   // refresh, fresh, 409, fresh, PUT, read-back
 *   expect(world.sleeps).toEqual([2000]);
 */

export interface FakePortsOptions {
  /** Subscriptions per snapshot page (the real adapter's is 1,000). */
  pageSize?: number;
}

/** The inventory with the exact GET the lead is adding to InventoryPort (issue 15, item 6). */
export interface FakeInventoryPort extends InventoryPort {
  /** An exact GET of the resource id: undefined for a 404. */
  getAiResource(id: string): Promise<AiResource | undefined>;
}

export type FakePorts = Ports & { inventory: FakeInventoryPort };

export function fakePorts(world: FakeWorld, options: FakePortsOptions = {}): FakePorts {
  const pageSize = Math.max(1, options.pageSize ?? 1000);

  const snapshot: TenantSnapshotPort = {
    async page(scope: GraphScope, skipToken?: string): Promise<SnapshotPage> {
      // The target of a page is its offset ('0' for the first): world.failNext('snapshot', 'page', { target: '1000' }) fails the second page.
      world.enter('snapshot', 'page', skipToken ?? '0');
      return snapshotPage(world, scope, skipToken, pageSize);
    },
    async *pages(scope: GraphScope): AsyncIterable<SnapshotPage> {
      world.enter('snapshot', 'pages');
      // An explicit empty list means no subscription at all, never "every subscription".
      if (scope.subscriptions && scope.subscriptions.length === 0) return;
      let skipToken: string | undefined;
      do {
        const page = await snapshot.page(scope, skipToken);
        yield page;
        skipToken = page.skipToken;
      } while (skipToken);
    },
    async ancestry(subscriptionIds: readonly string[]): Promise<ReadonlyMap<string, string[]>> {
      world.enter('snapshot', 'ancestry', subscriptionIds.join(','));
      // One query per 1,000 ids listed explicitly, as the adapter sends them.
      world.calls.graph.queries += Math.ceil(subscriptionIds.length / 1000);
      const found = new Map<string, string[]>();
      for (const id of subscriptionIds) {
        const sub = world.subscriptions.get(id.toLowerCase());
        if (sub && !world.graphHiddenSubscriptions.has(sub.subscriptionId)) found.set(sub.subscriptionId, [...sub.managementGroupAncestors]);
      }
      return found;
    },
    async policy(_scope: GraphScope, configuredAssignmentId: string | undefined): Promise<PolicyView> {
      world.enter('snapshot', 'policy');
      world.calls.graph.queries++;
      // includeScopesAbove: every assignment and exemption in the tenant view, narrowed as the adapter does.
      return structuredClone(narrowPolicyView(world.policy.assignments, world.policy.exemptions, configuredAssignmentId));
    },
  };

  const subscriptions: SubscriptionsPort = {
    async get(subscriptionId: string): Promise<SubscriptionInfo | undefined> {
      world.enter('subscriptions', 'get', subscriptionId);
      const sub = world.subscriptions.get(subscriptionId.toLowerCase());
      if (!sub) return undefined;
      // ARM's Subscriptions_Get: no management-group ancestry (the service resolves inherited policy itself).
      return { subscriptionId: sub.subscriptionId, ...(sub.displayName ? { displayName: sub.displayName } : {}), state: sub.state, tags: { ...sub.tags } };
    },
  };

  const inventory: FakeInventoryPort = {
    async listAiTypedResources(subscriptionId: string): Promise<AiResource[]> {
      world.enter('inventory', 'listAiTypedResources', subscriptionId);
      const id = subscriptionId.toLowerCase();
      if (!world.subscriptions.has(id)) throw restError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);
      return structuredClone((world.resources.get(id) ?? []).filter((r) => !world.inventoryHiddenResources.has(r.id.toLowerCase())));
    },
    async getAiResource(resourceId: string): Promise<AiResource | undefined> {
      world.enter('inventory', 'getAiResource', resourceId);
      for (const list of world.resources.values()) {
        const found = list.find((r) => r.id.toLowerCase() === resourceId.toLowerCase());
        if (found) return structuredClone(found);
      }
      return undefined;
    },
  };

  const pricing: PricingPort = {
    async cloudPosture(subscriptionId: string): Promise<CloudPostureTier | undefined> {
      world.enter('pricing', 'cloudPosture', subscriptionId);
      return world.cloudPosture.get(subscriptionId.toLowerCase());
    },
    async get(subscriptionId: string): Promise<PricingSnapshot | undefined> {
      world.enter('pricing', 'get', subscriptionId);
      return world.pricingOf(subscriptionId);
    },
    async put(subscriptionId: string, desired: PricingBody): Promise<PricingSnapshot | undefined> {
      const id = subscriptionId.toLowerCase();
      const body = structuredClone(desired);
      try {
        world.enter('pricing', 'put', id);
      } catch (error) {
        world.puts.push({ subscriptionId: id, body, result: 'refused' });
        throw error;
      }
      const fault = world.takePutFault(id);
      if (fault?.kind === 'refuse') {
        world.puts.push({ subscriptionId: id, body, result: 'refused' });
        throw fault.error();
      }
      let response: PricingSnapshot;
      try {
        response = applyPut(world, id, body);
      } catch (error) {
        world.puts.push({ subscriptionId: id, body, result: 'refused' });
        throw error;
      }
      if (fault?.kind === 'lost') {
        world.puts.push({ subscriptionId: id, body, result: 'lost' });
        throw fault.error();
      }
      if (fault?.kind === 'unreadable') {
        world.puts.push({ subscriptionId: id, body, result: 'unreadable' });
        return undefined;
      }
      world.puts.push({ subscriptionId: id, body, result: 'applied' });
      return response;
    },
  };

  const exemptions: ExemptionsPort = {
    async listApplying(subscriptionId: string): Promise<ExemptionView[]> {
      world.enter('exemptions', 'listApplying', subscriptionId);
      const sub = world.subscriptions.get(subscriptionId.toLowerCase());
      if (!sub) throw restError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);
      // atScope(): at the subscription and above it; not on resource groups below.
      return structuredClone(world.policy.exemptions.filter((e) => coversSubscription(policyResourceScope(e.id), sub)));
    },
  };

  const policyAssignments: PolicyAssignmentsPort = {
    async listDefenderForAi(subscriptionId: string): Promise<PolicyAssignmentInfo[]> {
      world.enter('policyAssignments', 'listDefenderForAi', subscriptionId);
      const sub = world.subscriptions.get(subscriptionId.toLowerCase());
      if (!sub) throw restError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);
      return world.policy.assignments
        .filter((a) => isDefenderForAiDefinition(a.policyDefinitionId) && coversSubscription(a.scope, sub) && !a.notScopes.some((n) => coversSubscription(n, sub)))
        .map(({ scope: _scope, notScopes: _notScopes, ...info }) => structuredClone(info));
    },
  };

  const accounts: AccountsPort = {
    async inspect(account: AiResource) {
      world.enter('accounts', 'inspect', account.id);
      const found = world.accounts.get(account.id.toLowerCase());
      return {
        accountId: account.id,
        defenderForAI: found?.defenderForAI ?? 'Enabled',
        promptShieldsOff: structuredClone(found?.promptShieldsOff ?? []),
        problems: [...(found?.problems ?? [])],
      };
    },
  };

  const metrics: MetricsPort = {
    async tokenVolume(accountId: string) {
      world.enter('metrics', 'tokenVolume', accountId);
      const found = world.tokens.get(accountId.toLowerCase());
      return found ? structuredClone(found) : undefined;
    },
  };

  return {
    snapshot,
    subscriptions,
    inventory,
    pricing,
    exemptions,
    policyAssignments,
    accounts,
    metrics,
    records: world.records,
    logger: world.logger,
    clock: () => world.clock.now(),
    sleep: async (ms: number) => {
      world.sleeps.push(ms);
      if (world.sleepAdvancesClock) world.clock.advance(ms);
    },
  };
}

// ---- the snapshot ------------------------------------------------------------------------------

function inScope(sub: FakeSubscription, scope: GraphScope): boolean {
  if (scope.managementGroup) {
    const mg = scope.managementGroup.toLowerCase();
    if (!sub.managementGroupAncestors.some((a) => a.toLowerCase() === mg)) return false;
  }
  return true;
}

function snapshotPage(world: FakeWorld, scope: GraphScope, skipToken: string | undefined, pageSize: number): SnapshotPage {
  const visible = (id: string): FakeSubscription | undefined => {
    const sub = world.subscriptions.get(id.toLowerCase());
    return sub && !world.graphHiddenSubscriptions.has(sub.subscriptionId) && inScope(sub, scope) ? sub : undefined;
  };
  const listed = scope.subscriptions
    ? [...new Set(scope.subscriptions.map((s) => s.toLowerCase()))].map(visible).filter((s): s is FakeSubscription => s !== undefined)
    : [...world.subscriptions.keys()].map(visible).filter((s): s is FakeSubscription => s !== undefined);
  const offset = skipToken === undefined ? 0 : Number(skipToken);
  if (!Number.isInteger(offset) || offset < 0) throw restError(400, 'InvalidSkipToken', `The $skipToken '${skipToken}' is not valid.`);
  const slice = listed.slice(offset, offset + pageSize);
  // The adapter's cost: the subscriptions query, then (for a non-empty page) the AI plans and AI resources of exactly them.
  world.calls.graph.queries += slice.length ? 3 : 1;
  const entries: SnapshotEntry[] = slice.map((sub) => {
    const pricing = world.graphPricingOf(sub.subscriptionId);
    const aiResources = (world.resources.get(sub.subscriptionId) ?? [])
      .filter((r) => !world.graphHiddenResources.has(r.id.toLowerCase()))
      .flatMap((r) => {
        // As toAiResource: the canonical type, and only kinds that count.
        const type = canonicalAiResourceType(r.type);
        return type && isAiResource(type, r.kind) ? [{ ...structuredClone(r), type }] : [];
      });
    return {
      subscription: { subscriptionId: sub.subscriptionId, ...(sub.displayName ? { displayName: sub.displayName } : {}), state: sub.state, tags: { ...sub.tags }, managementGroupAncestors: [...sub.managementGroupAncestors] },
      ...(pricing ? { pricing } : {}),
      aiResources,
    };
  });
  const next = offset + pageSize;
  // An explicit list: its length is the total (as the adapter reports it); otherwise the count in scope.
  const total = scope.subscriptions ? scope.subscriptions.length : listed.length;
  return { entries, ...(next < listed.length ? { skipToken: String(next) } : {}), total };
}

// ---- a PUT as the service applies it -----------------------------------------------------------

const TRUE_FALSE = new Set(['True', 'False']);

/** Applies the body to the ARM truth (stand-in semantics, sim/arm-stand-in/pricing-update.ts); returns the 200 answer. */
function applyPut(world: FakeWorld, subscriptionId: string, body: PricingBody): PricingSnapshot {
  const current = world.pricing.get(subscriptionId);
  if (!world.subscriptions.has(subscriptionId) || !current) {
    throw restError(404, 'NotFound', `The pricing 'AI' was not found for subscription '${subscriptionId}'.`);
  }
  if (current.inherited && current.enforce) {
    throw restError(400, 'PricingInherited', `The 'AI' pricing is inherited from '${current.inheritedFrom ?? 'a parent scope'}', which enforces it; it cannot be changed at subscription scope.`);
  }
  const tier = body.pricingTier;
  if (tier !== 'Free' && tier !== 'Standard') throw restError(400, 'InvalidInput', `pricingTier must be 'Free' or 'Standard', got '${String(tier)}'.`);
  // The plan's extensions: the three the service accepts, plus any it already reports (one we do not know yet).
  const planExtensions = [...AI_EXTENSIONS, ...current.extensions.map((e) => e.name).filter((n) => !AI_EXTENSIONS.some((k) => k.toLowerCase() === n.toLowerCase()))];
  const requested = new Map<string, PricingBody['extensions'][number]>();
  for (const ask of body.extensions ?? []) {
    const canonical = planExtensions.find((n) => n.toLowerCase() === String(ask.name).toLowerCase());
    if (!canonical) throw restError(400, 'InvalidInput', `Extension '${ask.name}' is not supported for plan 'AI'. Supported extensions: ${planExtensions.join(', ')}.`);
    if (requested.has(canonical)) throw restError(400, 'InvalidInput', `Extension '${canonical}' is specified more than once.`);
    if (!TRUE_FALSE.has(ask.isEnabled)) throw restError(400, 'InvalidInput', `Extension '${canonical}': isEnabled must be the string "True" or "False".`);
    requested.set(canonical, ask);
  }

  const stored: PricingSnapshot = {
    tier,
    ...(tier === 'Standard' && body.subPlan ? { subPlan: body.subPlan } : {}),
    extensions: [],
    // Writing at subscription scope makes the configuration explicit: no longer inherited.
    inherited: false,
    enforce: current.enforce,
    ...(tier === 'Standard' ? { enablementTime: current.tier === 'Standard' && current.enablementTime ? current.enablementTime : world.clock.peek().toISOString() } : {}),
    ...(current.freeTrialRemainingTime !== undefined ? { freeTrialRemainingTime: current.freeTrialRemainingTime } : {}),
    // managedBy/originatedFrom are read-only and say who changed the plan last: after our PUT, nobody else.
  };
  const answered: ExtensionState[] = [];
  for (const name of planExtensions) {
    const previous = current.extensions.find((e) => e.name.toLowerCase() === name.toLowerCase());
    const before = previous?.enabled ?? false;
    const ask = requested.get(name);
    // Omitted on Standard = the service default (on); Free = everything off.
    const wanted = tier === 'Free' ? false : ask ? ask.isEnabled === 'True' : true;
    const extra = ask?.additionalExtensionProperties ?? previous?.additionalExtensionProperties;
    const failure = wanted !== before ? world.takeExtensionFailure(subscriptionId, name) : undefined;
    const kept: ExtensionState = { name, enabled: failure ? before : wanted, ...(extra !== undefined ? { additionalExtensionProperties: structuredClone(extra) } : {}) };
    stored.extensions.push(kept);
    answered.push({
      ...structuredClone(kept),
      enabled: wanted,
      operationStatus: failure ? { code: 'Failed', message: failure } : { code: 'Succeeded', message: wanted ? 'Successfully enabled extension' : 'Successfully disabled extension' },
    });
  }
  world.pricing.set(subscriptionId, stored);
  return { ...structuredClone(stored), extensions: answered };
}
