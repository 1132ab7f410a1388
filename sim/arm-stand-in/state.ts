/**
 * The mutable in-memory "tenant" behind the ARM stand-in. Tests and the demo arrange it through
 * the helper methods; routes read and write it. Subscription ids are matched case-insensitively.
 */
import { randomUUID } from 'node:crypto';
import { PLAN_CATALOGUE, defaultPricing, findPlan } from './plans';
import type { NewExemption, NewPolicyAssignment, NewResource, NewSubscription } from './state-inputs';
import type {
  PolicyAssignmentRecord,
  PolicyExemptionRecord,
  AccountDetails,
  PricingProperties,
  ResourceRecord,
  SubscriptionRecord,
  SubscriptionStateName,
  SystemData,
} from './types';

export type { NewExemption, NewPolicyAssignment, NewResource, NewSubscription } from './state-inputs';

interface ExtensionFailure {
  message: string;
  remaining: number;
}

const clone = <T>(value: T): T => structuredClone(value);
const key = (subscriptionId: string): string => subscriptionId.toLowerCase();

function systemData(): SystemData {
  const now = new Date().toISOString();
  return { createdBy: 'stand-in', createdByType: 'User', createdAt: now, lastModifiedBy: 'stand-in', lastModifiedByType: 'User', lastModifiedAt: now };
}

export class ArmState {
  readonly subscriptions = new Map<string, SubscriptionRecord>();
  readonly resources = new Map<string, ResourceRecord[]>();
  /** subscription -> canonical plan name -> stored properties (never holds operationStatus). */
  readonly pricings = new Map<string, Map<string, PricingProperties>>();
  readonly exemptions = new Map<string, PolicyExemptionRecord[]>();
  readonly assignments = new Map<string, PolicyAssignmentRecord[]>();
  /** Management group id (lower case) -> its parent (undefined for the tenant root group) and display name. */
  readonly managementGroups = new Map<string, { id: string; parent?: string; displayName: string }>();
  /** Subscription -> the management group it sits in (the tenant root group when not placed). */
  readonly subscriptionParents = new Map<string, string>();
  /** Cognitive Services account id (lower case) -> its Defender-for-AI setting, deployments, RAI policies and metrics. */
  readonly accounts = new Map<string, AccountDetails>();
  private readonly extensionFailures = new Map<string, ExtensionFailure>();
  private readonly pricingWrites = new Map<string, { inFlight: number; max: number }>();

  clear(): void {
    for (const m of [this.subscriptions, this.resources, this.pricings, this.exemptions, this.assignments, this.managementGroups, this.subscriptionParents, this.accounts]) m.clear();
    this.extensionFailures.clear();
    this.pricingWrites.clear();
  }

  /** Adds a subscription with every known plan at its default (Free) pricing. */
  addSubscription(input: NewSubscription = {}): SubscriptionRecord {
    const subscriptionId = input.subscriptionId ?? randomUUID();
    const record: SubscriptionRecord = {
      id: `/subscriptions/${subscriptionId}`,
      subscriptionId,
      displayName: input.displayName ?? `Subscription ${subscriptionId.slice(0, 8)}`,
      state: input.state ?? 'Enabled',
      tenantId: input.tenantId ?? '72f988bf-86f1-41af-91ab-2d7cd011db47',
      tags: { ...(input.tags ?? {}) },
      authorizationSource: 'RoleBased',
      managedByTenants: [],
      subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'PayAsYouGo_2014-09-01', spendingLimit: 'Off' },
    };
    const k = key(subscriptionId);
    this.subscriptions.set(k, record);
    if (input.managementGroupId) this.subscriptionParents.set(k, this.mustGetGroup(input.managementGroupId).id);
    this.resources.set(k, []);
    this.exemptions.set(k, []);
    this.assignments.set(k, []);
    this.pricings.set(k, new Map(PLAN_CATALOGUE.map((p) => [p.name, defaultPricing(p)])));
    return record;
  }

  /** Adds a management group under `parent` (default: the tenant root group, whose id is the tenant id). */
  addManagementGroup(id: string, options: { parent?: string; displayName?: string } = {}): void {
    const parent = options.parent ? this.mustGetGroup(options.parent).id : undefined;
    this.managementGroups.set(id.toLowerCase(), { id, ...(parent ? { parent } : {}), displayName: options.displayName ?? id });
  }

  /** Moves a subscription under a management group, as a subscription vending pipeline would. */
  placeSubscription(subscriptionId: string, managementGroupId: string): void {
    this.mustGet(subscriptionId);
    this.subscriptionParents.set(key(subscriptionId), this.mustGetGroup(managementGroupId).id);
  }

  /**
   * Management groups above the subscription, nearest first, ending with the tenant root group
   * (named by the tenant id), as Resource Graph's managementGroupAncestorsChain lists them.
   */
  ancestorsOf(subscriptionId: string): Array<{ name: string; displayName: string }> {
    const sub = this.mustGet(subscriptionId);
    const chain: Array<{ name: string; displayName: string }> = [];
    const seen = new Set<string>();
    for (let at = this.subscriptionParents.get(key(subscriptionId)); at && !seen.has(at.toLowerCase()); ) {
      seen.add(at.toLowerCase());
      const group = this.managementGroups.get(at.toLowerCase());
      if (!group) break;
      chain.push({ name: group.id, displayName: group.displayName });
      at = group.parent;
    }
    if (!chain.some((g) => g.name.toLowerCase() === sub.tenantId.toLowerCase())) chain.push({ name: sub.tenantId, displayName: 'Tenant Root Group' });
    return chain;
  }

  /** A deep copy: what a stale Resource Graph index still shows after ARM moved on. */
  copy(): ArmState {
    const copy = new ArmState();
    for (const [name, source] of [
      ['subscriptions', this.subscriptions],
      ['resources', this.resources],
      ['pricings', this.pricings],
      ['exemptions', this.exemptions],
      ['assignments', this.assignments],
      ['managementGroups', this.managementGroups],
      ['subscriptionParents', this.subscriptionParents],
      ['accounts', this.accounts],
    ] as const) {
      const target = copy[name] as Map<string, unknown>;
      for (const [k, v] of source as Map<string, unknown>) target.set(k, structuredClone(v));
    }
    return copy;
  }

  getSubscription(subscriptionId: string): SubscriptionRecord | undefined {
    return this.subscriptions.get(key(subscriptionId));
  }

  setSubscriptionState(subscriptionId: string, state: SubscriptionStateName): void {
    this.mustGet(subscriptionId).state = state;
  }

  addResource(subscriptionId: string, input: NewResource): ResourceRecord {
    const sub = this.mustGet(subscriptionId);
    const [namespace, ...typeLevels] = input.type.split('/');
    const nameLevels = input.name.split('/');
    if (!namespace || typeLevels.length !== nameLevels.length) {
      throw new Error(`addResource: type '${input.type}' needs one name segment per level, got '${input.name}'`);
    }
    const tail = typeLevels.map((t, i) => `${t}/${nameLevels[i] ?? ''}`).join('/');
    const rg = input.resourceGroup ?? 'rg-ai';
    const record: ResourceRecord = {
      id: `${sub.id}/resourceGroups/${rg}/providers/${namespace}/${tail}`,
      name: input.name,
      type: input.type,
      location: input.location ?? 'eastus',
    };
    if (input.kind !== undefined) record.kind = input.kind;
    if (input.tags !== undefined) record.tags = { ...input.tags };
    if (input.sku !== undefined) record.sku = { ...input.sku };
    if (input.listed === false) record.listed = false;
    if (input.properties !== undefined) record.properties = structuredClone(input.properties);
    this.resources.get(key(subscriptionId))?.push(record);
    return clone(record);
  }

  /** The account's details, created empty on first use (the account must have been added with addResource). */
  account(accountId: string): AccountDetails {
    const id = accountId.toLowerCase();
    let details = this.accounts.get(id);
    if (!details) {
      details = { deployments: [], raiPolicies: [], metrics: {} };
      this.accounts.set(id, details);
    }
    return details;
  }

  /** Merges props over the stored pricing of the plan (so a test can flip a single field). */
  setPricing(subscriptionId: string, planName: string, props: Partial<PricingProperties>): PricingProperties {
    this.mustGet(subscriptionId);
    const plan = findPlan(planName);
    if (!plan) throw new Error(`setPricing: unknown plan '${planName}'`);
    const plans = this.pricings.get(key(subscriptionId)) as Map<string, PricingProperties>;
    const merged = clone({ ...(plans.get(plan.name) ?? defaultPricing(plan)), ...props });
    plans.set(plan.name, merged);
    return clone(merged);
  }

  /** Drops a plan from the subscription, as in a cloud that does not offer it (GET then answers 404). */
  removePricing(subscriptionId: string, planName: string): void {
    const plan = findPlan(planName);
    if (plan) this.pricings.get(key(subscriptionId))?.delete(plan.name);
  }

  getPricing(subscriptionId: string, planName: string): PricingProperties | undefined {
    const plan = findPlan(planName);
    const stored = plan ? this.pricings.get(key(subscriptionId))?.get(plan.name) : undefined;
    return stored ? clone(stored) : undefined;
  }

  addExemption(subscriptionId: string, input: NewExemption): PolicyExemptionRecord {
    const sub = this.mustGet(subscriptionId);
    const name = input.name ?? `exemption-${randomUUID().slice(0, 8)}`;
    const scope = input.scope ?? sub.id;
    const record: PolicyExemptionRecord = {
      id: `${scope}/providers/Microsoft.Authorization/policyExemptions/${name}`,
      name,
      type: 'Microsoft.Authorization/policyExemptions',
      properties: { policyAssignmentId: input.policyAssignmentId, exemptionCategory: input.exemptionCategory ?? 'Waiver', metadata: input.metadata ?? {} },
      systemData: systemData(),
    };
    const p = record.properties;
    if (input.policyDefinitionReferenceIds) p.policyDefinitionReferenceIds = [...input.policyDefinitionReferenceIds];
    if (input.expiresOn !== undefined) p.expiresOn = input.expiresOn;
    if (input.displayName !== undefined) p.displayName = input.displayName;
    if (input.description !== undefined) p.description = input.description;
    this.exemptions.get(key(subscriptionId))?.push(record);
    return clone(record);
  }

  addPolicyAssignment(subscriptionId: string, input: NewPolicyAssignment): PolicyAssignmentRecord {
    const sub = this.mustGet(subscriptionId);
    const name = input.name ?? randomUUID().replace(/-/g, '').slice(0, 24);
    const scope = input.scope ?? sub.id;
    const record: PolicyAssignmentRecord = {
      id: `${scope}/providers/Microsoft.Authorization/policyAssignments/${name}`,
      name,
      type: 'Microsoft.Authorization/policyAssignments',
      properties: {
        policyDefinitionId: input.policyDefinitionId,
        scope,
        notScopes: [...(input.notScopes ?? [])],
        parameters: clone(input.parameters ?? {}),
        metadata: {},
        enforcementMode: input.enforcementMode ?? 'Default',
      },
      systemData: systemData(),
    };
    if (input.displayName !== undefined) record.properties.displayName = input.displayName;
    if (input.description !== undefined) record.properties.description = input.description;
    if (input.definitionVersion !== undefined) record.properties.definitionVersion = input.definitionVersion;
    if (input.withIdentity) {
      record.location = 'eastus';
      record.identity = { type: 'SystemAssigned', principalId: randomUUID(), tenantId: sub.tenantId };
    }
    this.assignments.get(key(subscriptionId))?.push(record);
    return clone(record);
  }

  /** The next `times` PUTs that switch this extension report it Failed with `message` and leave it as it was. */
  failExtension(subscriptionId: string, extensionName: string, message: string, times = Infinity): void {
    this.extensionFailures.set(`${key(subscriptionId)}|${extensionName.toLowerCase()}`, { message, remaining: times });
  }

  /** Consumes one failure for the extension, returning its message, or undefined when it should succeed. */
  takeExtensionFailure(subscriptionId: string, extensionName: string): string | undefined {
    const k = `${key(subscriptionId)}|${extensionName.toLowerCase()}`;
    const failure = this.extensionFailures.get(k);
    if (!failure) return undefined;
    failure.remaining -= 1;
    if (failure.remaining <= 0) this.extensionFailures.delete(k);
    return failure.message;
  }

  /** Marks a pricing PUT as started; false when another one for the subscription is still in flight. */
  beginPricingWrite(subscriptionId: string): boolean {
    const k = key(subscriptionId);
    const entry = this.pricingWrites.get(k) ?? { inFlight: 0, max: 0 };
    entry.inFlight += 1;
    entry.max = Math.max(entry.max, entry.inFlight);
    this.pricingWrites.set(k, entry);
    if (entry.inFlight > 1) {
      entry.inFlight -= 1;
      return false;
    }
    return true;
  }

  endPricingWrite(subscriptionId: string): void {
    const entry = this.pricingWrites.get(key(subscriptionId));
    if (entry) entry.inFlight = Math.max(0, entry.inFlight - 1);
  }

  /** Highest number of pricing PUTs seen overlapping for the subscription (including ones refused with 409). */
  maxConcurrentPricingWrites(subscriptionId: string): number {
    return this.pricingWrites.get(key(subscriptionId))?.max ?? 0;
  }

  private mustGetGroup(id: string): { id: string; parent?: string; displayName: string } {
    const group = this.managementGroups.get(id.toLowerCase());
    if (!group) throw new Error(`unknown management group '${id}'; call addManagementGroup first`);
    return group;
  }

  private mustGet(subscriptionId: string): SubscriptionRecord {
    const sub = this.getSubscription(subscriptionId);
    if (!sub) throw new Error(`unknown subscription '${subscriptionId}'; call addSubscription first`);
    return sub;
  }
}
