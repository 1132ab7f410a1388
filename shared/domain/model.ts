/**
 * The plain data the engine works with. Adapters translate ARM payloads into these shapes, so the
 * decision logic and the records never see SDK types. Everything here is JSON-serialisable
 * because Durable Functions passes it between activities and the orchestrator.
 */

export type TriggerKind = 'event' | 'sweep' | 'watch' | 'manual' | 'cli' | 'revert';

/** What started a run; never holds claims, e-mails, IP addresses or tokens. */
export interface TriggerDetail {
  eventId?: string;
  eventType?: string;
  eventTime?: string;
  operationName?: string;
  resourceId?: string;
  /** Kind of `resourceId` when the trigger knew it (a tenant watch, from the snapshot). */
  resourceKind?: string;
  instanceId?: string;
  sweepId?: string;
  /** The tenant watch pass that started the run. */
  watchId?: string;
  /** A revert pass (`d4ai revert`), and the run it reverts. */
  revertId?: string;
  revertOf?: string;
  note?: string;
}

/**
 * Who started a manual run (admin API, CLI, revert): the Entra object id of the user or service
 * principal and, for an application, its app (client) id. Ids only, never a name, UPN or e-mail:
 * the one personal identifier a record keeps, so an auditor can ask Entra who it was (docs/safety.md).
 * `function-key` stands for a caller that held a function key and no Entra principal.
 */
export interface Actor {
  objectId: string;
  appId?: string;
}

export interface GovernRequest {
  subscriptionId: string;
  trigger: TriggerKind;
  detail?: TriggerDetail;
  /** Manual runs only (manual, cli, revert): the caller, copied into every record of the run. */
  actor?: Actor;
  /** Correlates this run's record and logs; generated when absent. */
  runId?: string;
}

export type SubscriptionState = 'Enabled' | 'Warned' | 'PastDue' | 'Disabled' | 'Deleted' | string;

export interface SubscriptionInfo {
  subscriptionId: string;
  displayName?: string;
  state: SubscriptionState;
  tags: Record<string, string>;
  /**
   * Management group ids above the subscription, nearest first (Resource Graph's
   * managementGroupAncestorsChain); known from a tenant snapshot, absent on direct ARM reads,
   * where the service resolves inherited policy itself (atScope()).
   */
  managementGroupAncestors?: string[];
}

export interface AiResource {
  id: string;
  type: string;
  kind?: string;
  location?: string;
  /**
   * A Machine Learning workspace reachable only through private link (publicNetworkAccess Disabled,
   * or private endpoint connections): AI model security cannot scan it. Known from the snapshot.
   */
  privateLink?: boolean;
}

/** The Defender CSPM plan (`CloudPosture`), a prerequisite of AI model security (AIModelScanner). */
export type CloudPostureTier = 'Free' | 'Standard';

/** One extension as read back from the service. */
export interface ExtensionState {
  name: string;
  enabled: boolean;
  /** Opaque per-extension settings (e.g. ExclusionTags); carried through a PUT unchanged. */
  additionalExtensionProperties?: Record<string, unknown>;
  /** Present on PUT responses: `Succeeded`/`Failed` with a message. */
  operationStatus?: { code: string; message?: string };
}

export interface PricingSnapshot {
  tier: 'Free' | 'Standard';
  subPlan?: string;
  extensions: ExtensionState[];
  /** The plan is inherited from a parent scope (management group). */
  inherited: boolean;
  inheritedFrom?: string;
  /** The parent enforces the plan on its children. */
  enforce: boolean;
  enablementTime?: string;
  freeTrialRemainingTime?: string;
  /**
   * Pricings 2026-07-01: who exclusively manages the plan when another management system changed
   * it last (e.g. "M365 security rule: …"), and which system (`originatedFrom`, e.g. M365). Such a
   * plan is never written by the governor.
   */
  managedBy?: string;
  originatedFrom?: string;
  /**
   * Set on a snapshot's stand-in for a plan the index has no row for (yet): assumed Free, so the
   * subscription becomes a write candidate and the fresh ARM read before any PUT says what it is.
   */
  notIndexed?: boolean;
}

/** A pricings PUT body's properties: the tier and every extension listed explicitly. */
export interface PricingBody {
  pricingTier: 'Free' | 'Standard';
  subPlan?: string;
  extensions: Array<{ name: string; isEnabled: 'True' | 'False'; additionalExtensionProperties?: Record<string, unknown> }>;
}

/** What governing writes: always Standard (only a revert writes anything else). */
export interface DesiredPricing extends PricingBody {
  pricingTier: 'Standard';
}

export interface ActiveExemption {
  id: string;
  category: string;
  expiresOn?: string;
  displayName?: string;
  /** Whole days until expiresOn when the context was read (decide() has no clock). */
  daysLeft?: number;
}

/** A Defender for AI policy assignment (the audit policy or a DeployIfNotExists one) that applies to the subscription. */
export interface PolicyAssignmentInfo {
  id: string;
  displayName?: string;
  policyDefinitionId: string;
  enforcementMode?: string;
  /** The definition version the assignment pins ("1.*.*"), and the one ARM says is in effect. */
  definitionVersion?: string;
  effectiveDefinitionVersion?: string;
  /** Parameter name -> value, as assigned. */
  parameters: Record<string, unknown>;
}

/** A Defender for AI policy assignment anywhere in the tenant view, with where it is assigned. */
export interface PolicyAssignmentView extends PolicyAssignmentInfo {
  /** The scope it is assigned at: `/subscriptions/<id>`, a resource group, or a management group id. */
  scope: string;
  notScopes: string[];
}

/** A policy exemption as listed (not yet judged: expiry and relevance are decided in domain/policy-scope.ts). */
export interface ExemptionView {
  id: string;
  policyAssignmentId: string;
  category: string;
  expiresOn?: string;
  displayName?: string;
}

/** The Defender-for-AI part of the tenant's policy: what a snapshot reads once per pass. */
export interface PolicyView {
  assignments: PolicyAssignmentView[];
  exemptions: ExemptionView[];
}

/** One subscription as a tenant snapshot saw it. `pricing` undefined: the index has no AI plan row for it (yet). */
export interface SnapshotEntry {
  subscription: SubscriptionInfo;
  pricing?: PricingSnapshot;
  /** The CloudPosture plan's tier, read in the same Resource Graph query as the AI plan; undefined when not indexed. */
  cloudPosture?: CloudPostureTier;
  aiResources: AiResource[];
}

/** Everything the decision needs, read from ARM in one go or taken from a tenant snapshot. */
export interface GovernContext {
  subscription: SubscriptionInfo;
  /** The AI resources found (or, with aiResourceTotal, the first of them). */
  aiResources: AiResource[];
  /** How many there are when aiResources holds only the first few (a context sent through orchestration history). */
  aiResourceTotal?: number;
  /** Undefined when the service has no AI plan for this subscription (not offered in its cloud). */
  pricing?: PricingSnapshot;
  /** The Defender CSPM plan's tier (AI model security needs Standard); undefined when not read or not known. */
  cloudPosture?: CloudPostureTier;
  /** Where `pricing` was read: an ARM GET at a time, or the snapshot (which lags ARM). */
  pricingBasis?: { source: 'arm' | 'snapshot'; readAt: string };
  exemption?: ActiveExemption;
  policyAssignments: PolicyAssignmentInfo[];
  /** Extensions the service failed to enable on earlier passes (from the latest record), and when to try again. */
  extensionBackoff?: ExtensionBackoff;
  /** Reads that failed without blocking the decision (advisory only), for the record's warnings. */
  readWarnings?: string[];
  /**
   * The Azure OpenAI / AI Services accounts as read one by one (their Defender-for-AI opt-out and
   * their deployments' content filters): present where the pass read them (a sweep, a single
   * subscription, a write), absent where it did not (the tenant watch decides on the snapshot).
   */
  accounts?: AccountInspection[];
}

/** One Azure OpenAI / AI Services account beyond the plan switch. */
export interface AccountInspection {
  accountId: string;
  /**
   * `defenderForAISettings/Default`: Disabled when the owner opted the account out of threat
   * protection (the plan then bills, and protects nothing there); unknown when it could not be read.
   */
  defenderForAI: 'Enabled' | 'Disabled' | 'unknown';
  /** Deployments whose content filter (raiPolicy) turns a prompt shield off. */
  promptShieldsOff: PromptShieldOff[];
  /** Reads that failed (advisory: the decision goes ahead, the record says what is not known). */
  problems: string[];
}

export interface PromptShieldOff {
  deployment: string;
  policy: string;
  /** The content filter that is off: Jailbreak or Indirect Attack, source Prompt. */
  filter: string;
}

/**
 * Back-off for extensions the service could not enable (e.g. not offered in the region yet):
 * tried again after `retryAfter`, not on every pass. `active` is decided when the context is
 * loaded (it needs the clock; decide() is pure).
 */
export interface ExtensionBackoff {
  extensions: string[];
  retryAfter: string;
  attempts: number;
  active: boolean;
  /** The service's message on the last attempt. */
  message?: string;
}
