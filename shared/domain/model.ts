/**
 * The plain data the engine works with. Adapters translate ARM payloads into these shapes, so the
 * decision logic and the records never see SDK types. Everything here is JSON-serialisable
 * because Durable Functions passes it between activities and the orchestrator.
 */

export type TriggerKind = 'event' | 'sweep' | 'manual' | 'cli';

/** What started a run; never holds claims, e-mails, IP addresses or tokens. */
export interface TriggerDetail {
  eventId?: string;
  eventType?: string;
  eventTime?: string;
  operationName?: string;
  resourceId?: string;
  instanceId?: string;
  sweepId?: string;
  note?: string;
}

export interface GovernRequest {
  subscriptionId: string;
  trigger: TriggerKind;
  detail?: TriggerDetail;
  /** Correlates this run's record and logs; generated when absent. */
  runId?: string;
}

export type SubscriptionState = 'Enabled' | 'Warned' | 'PastDue' | 'Disabled' | 'Deleted' | string;

export interface SubscriptionInfo {
  subscriptionId: string;
  displayName?: string;
  state: SubscriptionState;
  tags: Record<string, string>;
}

export interface AiResource {
  id: string;
  type: string;
  kind?: string;
  location?: string;
}

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
}

/** The exact body the pricing adapter PUTs; built by the decision, sent unchanged. */
export interface DesiredPricing {
  pricingTier: 'Standard';
  subPlan?: string;
  extensions: Array<{ name: string; isEnabled: 'True' | 'False'; additionalExtensionProperties?: Record<string, unknown> }>;
}

export interface ActiveExemption {
  id: string;
  category: string;
  expiresOn?: string;
  displayName?: string;
}

/** A Defender for AI DeployIfNotExists assignment that applies to the subscription. */
export interface PolicyAssignmentInfo {
  id: string;
  displayName?: string;
  policyDefinitionId: string;
  enforcementMode?: string;
  /** Parameter name -> value, as assigned. */
  parameters: Record<string, unknown>;
}

/** Everything the decision needs, read from ARM in one go. */
export interface GovernContext {
  subscription: SubscriptionInfo;
  aiResources: AiResource[];
  /** Undefined when the service has no AI plan for this subscription (not offered in its cloud). */
  pricing?: PricingSnapshot;
  exemption?: ActiveExemption;
  policyAssignments: PolicyAssignmentInfo[];
}
