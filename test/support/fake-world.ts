import { createHttpHeaders, createPipelineRequest, RestError } from '@azure/core-rest-pipeline';
import type { AccountInspection, AiResource, ExemptionView, PolicyAssignmentView, PricingSnapshot, PromptShieldOff, SubscriptionState } from '../../shared/domain/model';
import type { LogFields, Logger } from '../../shared/observability/log';
import { emptyRecordStoreCalls, FakeRecordStore, type RecordStoreCalls } from './fake-record-store';

/**
 * An in-memory tenant for unit tests of the engine (see fake-ports.ts for the Ports over it):
 *  - the ARM truth per subscription: the subscription, its AI plan (undefined: not offered), its
 *    AI-typed resources, its accounts' Defender-for-AI state and prompt shields, the policy;
 *  - a SEPARATE Resource Graph view that lags: per subscription it mirrors ARM (default), shows an
 *    older pricing (`setGraphPricing` / `freezeGraphPricing`), or no row (`unindexPricing`); a
 *    resource can be missing from it (`hideFromGraph`), a subscription too (`hideSubscriptionFromGraph`).
 *    Like the real index (and unlike ARM 2026-07-01) it carries no managedBy/originatedFrom unless
 *    `graphCarriesManagedBy` is set;
 *  - the ARM resource listing can lag on its own (`hideFromInventory`); an exact GET by id never lags;
 *  - faults per port and method (`failNext`), and the PUT-specific ones (409s, 5xx not applied,
 *    a PUT that lands but whose answer is lost, extensions the service fails to enable);
 *  - call counts per port and method (`calls.pricing.get`), every PUT body (`puts`), every wait (`sleeps`);
 *  - the records store, clock and logger the ports use, so they outlive one `fakePorts()` (a second
 *    run sees the first run's records, e.g. the extension back-off).
 */

// ---- clock and logger --------------------------------------------------------------------------

export class ManualClock {
  private ms: number;

  /** `stepMs`: how far each reading moves the clock (0: it moves only when told). */
  constructor(
    start: Date | string = '2026-12-01T09:00:00.000Z',
    public stepMs = 0,
  ) {
    this.ms = new Date(start).getTime();
  }

  now(): Date {
    const at = new Date(this.ms);
    this.ms += this.stepMs;
    return at;
  }

  /** The current time without moving the clock. */
  peek(): Date {
    return new Date(this.ms);
  }

  advance(ms: number): this {
    this.ms += ms;
    return this;
  }

  set(at: Date | string): this {
    this.ms = new Date(at).getTime();
    return this;
  }
}

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  message: string;
  fields: LogFields;
}

export class CapturingLogger implements Logger {
  readonly entries: LogEntry[] = [];

  info(message: string, fields: LogFields = {}): void {
    this.entries.push({ level: 'info', message, fields: { ...fields } });
  }

  warn(message: string, fields: LogFields = {}): void {
    this.entries.push({ level: 'warn', message, fields: { ...fields } });
  }

  error(message: string, fields: LogFields = {}): void {
    this.entries.push({ level: 'error', message, fields: { ...fields } });
  }

  /** Entries with this message (and level). */
  find(message: string, level?: LogEntry['level']): LogEntry[] {
    return this.entries.filter((e) => e.message === message && (level === undefined || e.level === level));
  }

  clear(): void {
    this.entries.length = 0;
  }
}

// ---- the world's data --------------------------------------------------------------------------

export interface FakeSubscription {
  subscriptionId: string;
  displayName?: string;
  state: SubscriptionState;
  tags: Record<string, string>;
  /** Management group ids above it, nearest first (Resource Graph's managementGroupAncestorsChain). */
  managementGroupAncestors: string[];
}

export interface FakeAccount {
  defenderForAI: AccountInspection['defenderForAI'];
  promptShieldsOff: PromptShieldOff[];
  /** Reads of the account that failed (advisory), as the adapter names them. */
  problems: string[];
}

/** What the Resource Graph view shows for a subscription's AI plan. */
export type GraphPricingRow = { kind: 'live' } | { kind: 'stale'; pricing: PricingSnapshot } | { kind: 'missing' };

export const PORT_METHODS = {
  snapshot: ['page', 'pages', 'policy', 'ancestry'],
  subscriptions: ['get'],
  inventory: ['listAiTypedResources', 'getAiResource'],
  pricing: ['get', 'put', 'cloudPosture'],
  exemptions: ['listApplying'],
  policyAssignments: ['listDefenderForAi'],
  accounts: ['inspect'],
  metrics: ['tokenVolume'],
} as const;

export type ArmPort = Exclude<keyof typeof PORT_METHODS, 'snapshot'>;
export type FaultPort = keyof typeof PORT_METHODS;

export interface FakeCalls {
  snapshot: { page: number; pages: number; policy: number; ancestry?: number };
  /** What the snapshot costs in Resource Graph queries, as the real adapter sends them (3 per page of subscriptions, 1 per policy read). */
  graph: { queries: number };
  subscriptions: { get: number };
  inventory: { listAiTypedResources: number; getAiResource: number };
  pricing: { get: number; put: number };
  exemptions: { listApplying: number };
  policyAssignments: { listDefenderForAi: number };
  accounts: { inspect: number };
  metrics: { tokenVolume: number };
  records: RecordStoreCalls;
}

function emptyCalls(records: RecordStoreCalls): FakeCalls {
  return {
    snapshot: { page: 0, pages: 0, policy: 0 },
    graph: { queries: 0 },
    subscriptions: { get: 0 },
    inventory: { listAiTypedResources: 0, getAiResource: 0 },
    pricing: { get: 0, put: 0 },
    exemptions: { listApplying: 0 },
    policyAssignments: { listDefenderForAi: 0 },
    accounts: { inspect: 0 },
    metrics: { tokenVolume: 0 },
    records,
  };
}

/** One request to an ARM port, in order: which subscription (or resource) it was about. */
export interface FakeRequest {
  port: FaultPort;
  method: string;
  /** The subscription (lower case) or, for account/metrics/resource reads, the resource id. */
  target?: string;
}

export interface FakePut {
  subscriptionId: string;
  body: unknown;
  /** What happened: applied (answered), lost (applied, answer lost), unreadable (applied, answer not a pricing), refused (error, nothing applied). */
  result: 'applied' | 'lost' | 'unreadable' | 'refused';
}

interface PortFault {
  port: FaultPort;
  method: string;
  target?: string;
  times: number;
  error: () => unknown;
}

interface PutFault {
  subscriptionId: string;
  times: number;
  kind: 'refuse' | 'lost' | 'unreadable';
  error: () => unknown;
}

interface ExtensionFailure {
  subscriptionId: string;
  extension: string;
  message: string;
  times: number;
}

/** An ARM error as the SDK throws it (isRestError, statusCode, code; a Retry-After header when given). */
export function restError(statusCode: number | undefined, code: string, message: string, retryAfterMs?: number): RestError {
  const request = createPipelineRequest({ url: 'https://management.azure.com/fake' });
  return new RestError(message, {
    code,
    ...(statusCode !== undefined ? { statusCode } : {}),
    request,
    ...(statusCode !== undefined ? { response: { status: statusCode, headers: createHttpHeaders(retryAfterMs !== undefined ? { 'retry-after-ms': String(retryAfterMs) } : {}), request } } : {}),
  });
}

export const conflictError = (): RestError => restError(409, 'Conflict', 'Another update operation is in progress for this pricing (injected).');
export const unavailableError = (status = 503): RestError => restError(status, `HTTP${status}`, `Service unavailable (injected ${status}).`);
/** No answer at all (a timeout or a dropped connection): status unknown, so the request may have been applied. */
export const lostAnswerError = (): RestError => restError(undefined, 'REQUEST_SEND_ERROR', 'The connection was reset before the answer arrived (injected).');

export interface AddSubscriptionInput {
  displayName?: string;
  state?: SubscriptionState;
  tags?: Record<string, string>;
  managementGroupAncestors?: string[];
  /** The ARM truth; default Free with a 30-day trial (what a subscription that never touched the plan reports). `null`: the plan is not offered. */
  pricing?: PricingSnapshot | null;
}

export class FakeWorld {
  readonly clock: ManualClock;
  readonly logger = new CapturingLogger();
  readonly records: FakeRecordStore;
  readonly calls: FakeCalls;
  /** Every ARM request in order (not Resource Graph, not the records store). */
  readonly requests: FakeRequest[] = [];
  readonly puts: FakePut[] = [];
  /** Every wait asked of ports.sleep, in ms (sleep does not wait). */
  readonly sleeps: number[] = [];
  /** Whether ports.sleep moves the clock by the wait (default true: a retry happens later). */
  sleepAdvancesClock = true;
  /** Whether Resource Graph rows carry the pricings 2026-07-01 managedBy/originatedFrom (the real index does not). */
  graphCarriesManagedBy = false;

  readonly subscriptions = new Map<string, FakeSubscription>();
  /** ARM truth; a subscription with no entry, or undefined, has no AI plan offered (404). */
  readonly pricing = new Map<string, PricingSnapshot | undefined>();
  /** The CloudPosture (Defender CSPM) tier by subscription; absent: not known (no finding either way). */
  readonly cloudPosture = new Map<string, 'Free' | 'Standard'>();
  /** Every AI-typed resource per subscription (kinds that do not count included), as ARM has them. */
  readonly resources = new Map<string, AiResource[]>();
  /** Per account id (lower case); an account without an entry reads as Enabled, no shields off. */
  readonly accounts = new Map<string, FakeAccount>();
  /** Token volume per account id (lower case) for the metrics port. */
  readonly tokens = new Map<string, { tokens: number; metrics: string[] }>();
  readonly policy: { assignments: PolicyAssignmentView[]; exemptions: ExemptionView[] } = { assignments: [], exemptions: [] };

  /** The Resource Graph view: per subscription, what the index shows for the AI plan (absent: live). */
  readonly graphPricing = new Map<string, GraphPricingRow>();
  /** Resource ids (lower case) the index has not picked up yet. */
  readonly graphHiddenResources = new Set<string>();
  /** Subscriptions (lower case) the index does not list yet. */
  readonly graphHiddenSubscriptions = new Set<string>();
  /** Resource ids (lower case) the ARM list API does not show yet (an exact GET does). */
  readonly inventoryHiddenResources = new Set<string>();

  private faults: PortFault[] = [];
  private putFaults: PutFault[] = [];
  private extensionFailures: ExtensionFailure[] = [];

  constructor(options: { now?: Date | string; clockStepMs?: number } = {}) {
    this.clock = new ManualClock(options.now, options.clockStepMs ?? 0);
    const recordCalls = emptyRecordStoreCalls();
    this.records = new FakeRecordStore(recordCalls);
    this.calls = emptyCalls(recordCalls);
  }

  // ---- building the ARM truth ------------------------------------------------------------------

  addSubscription(subscriptionId: string, input: AddSubscriptionInput = {}): this {
    const id = subscriptionId.toLowerCase();
    this.subscriptions.set(id, {
      subscriptionId: id,
      ...(input.displayName ? { displayName: input.displayName } : {}),
      state: input.state ?? 'Enabled',
      tags: { ...(input.tags ?? {}) },
      managementGroupAncestors: [...(input.managementGroupAncestors ?? [])],
    });
    this.pricing.set(id, input.pricing === null ? undefined : structuredClone(input.pricing ?? FREE_PLAN));
    if (!this.resources.has(id)) this.resources.set(id, []);
    return this;
  }

  subscription(subscriptionId: string): FakeSubscription {
    const sub = this.subscriptions.get(subscriptionId.toLowerCase());
    if (!sub) throw new Error(`FakeWorld: no subscription ${subscriptionId}`);
    return sub;
  }

  /** Sets the ARM truth of the AI plan; undefined: not offered. The Resource Graph view follows unless it lags. */
  setPricing(subscriptionId: string, pricing: PricingSnapshot | undefined): this {
    this.pricing.set(subscriptionId.toLowerCase(), pricing ? structuredClone(pricing) : undefined);
    return this;
  }

  /** The ARM truth now (a copy). */
  pricingOf(subscriptionId: string): PricingSnapshot | undefined {
    const p = this.pricing.get(subscriptionId.toLowerCase());
    return p ? structuredClone(p) : undefined;
  }

  /** Adds an AI-typed resource (any kind); returns it. */
  addResource(subscriptionId: string, resource: AiResource): AiResource {
    const id = subscriptionId.toLowerCase();
    const list = this.resources.get(id) ?? [];
    list.push(structuredClone(resource));
    this.resources.set(id, list);
    return resource;
  }

  /** Adds an Azure OpenAI (kind OpenAI) or AI Services account, with its Defender-for-AI state. */
  addAccount(subscriptionId: string, name: string, options: { kind?: string; resourceGroup?: string; location?: string } & Partial<FakeAccount> = {}): AiResource {
    const resource: AiResource = {
      id: accountId(subscriptionId, name, options.resourceGroup),
      type: 'Microsoft.CognitiveServices/accounts',
      kind: options.kind ?? 'OpenAI',
      location: options.location ?? 'swedencentral',
    };
    this.addResource(subscriptionId, resource);
    this.setAccount(resource.id, { defenderForAI: options.defenderForAI ?? 'Enabled', promptShieldsOff: options.promptShieldsOff ?? [], problems: options.problems ?? [] });
    return resource;
  }

  setAccount(accountId: string, account: Partial<FakeAccount>): this {
    const key = accountId.toLowerCase();
    const current = this.accounts.get(key) ?? { defenderForAI: 'Enabled', promptShieldsOff: [], problems: [] };
    this.accounts.set(key, { ...current, ...structuredClone(account) });
    return this;
  }

  /** What the metrics port answers for the account (undefined when never set: no token metric). */
  setTokens(accountId: string, tokens: number, metrics: string[] = ['TokenTransaction']): this {
    this.tokens.set(accountId.toLowerCase(), { tokens, metrics: [...metrics] });
    return this;
  }

  removeResource(resourceId: string): this {
    for (const [sub, list] of this.resources) this.resources.set(sub, list.filter((r) => r.id.toLowerCase() !== resourceId.toLowerCase()));
    return this;
  }

  addPolicyAssignment(assignment: PolicyAssignmentView): this {
    this.policy.assignments.push(structuredClone(assignment));
    return this;
  }

  addExemption(exemption: ExemptionView): this {
    this.policy.exemptions.push(structuredClone(exemption));
    return this;
  }

  // ---- the lagging Resource Graph view and the lagging list API --------------------------------

  /** The index shows this pricing for the subscription, whatever ARM says, until `syncGraph`. */
  setGraphPricing(subscriptionId: string, pricing: PricingSnapshot): this {
    this.graphPricing.set(subscriptionId.toLowerCase(), { kind: 'stale', pricing: structuredClone(pricing) });
    return this;
  }

  /** The index keeps showing the plan as ARM has it now, while ARM moves on. */
  freezeGraphPricing(subscriptionId: string): this {
    const now = this.pricing.get(subscriptionId.toLowerCase());
    if (!now) return this.unindexPricing(subscriptionId);
    return this.setGraphPricing(subscriptionId, now);
  }

  /** The index has no row for the subscription's AI plan (not indexed yet). */
  unindexPricing(subscriptionId: string): this {
    this.graphPricing.set(subscriptionId.toLowerCase(), { kind: 'missing' });
    return this;
  }

  hideFromGraph(resourceId: string): this {
    this.graphHiddenResources.add(resourceId.toLowerCase());
    return this;
  }

  hideSubscriptionFromGraph(subscriptionId: string): this {
    this.graphHiddenSubscriptions.add(subscriptionId.toLowerCase());
    return this;
  }

  /** The ARM list API does not show the resource yet (an exact GET by id does). */
  hideFromInventory(resourceId: string): this {
    this.inventoryHiddenResources.add(resourceId.toLowerCase());
    return this;
  }

  /** The index catches up: with a subscription, only its rows; without, everything. */
  syncGraph(subscriptionId?: string): this {
    if (subscriptionId === undefined) {
      this.graphPricing.clear();
      this.graphHiddenResources.clear();
      this.graphHiddenSubscriptions.clear();
      return this;
    }
    const id = subscriptionId.toLowerCase();
    this.graphPricing.delete(id);
    this.graphHiddenSubscriptions.delete(id);
    for (const r of this.resources.get(id) ?? []) this.graphHiddenResources.delete(r.id.toLowerCase());
    return this;
  }

  /** What the Resource Graph view shows for the plan: undefined when it has no row. */
  graphPricingOf(subscriptionId: string): PricingSnapshot | undefined {
    const id = subscriptionId.toLowerCase();
    const row = this.graphPricing.get(id) ?? { kind: 'live' };
    const pricing = row.kind === 'stale' ? row.pricing : row.kind === 'missing' ? undefined : this.pricing.get(id);
    if (!pricing) return undefined;
    const copy = structuredClone(pricing);
    if (!this.graphCarriesManagedBy) {
      delete copy.managedBy;
      delete copy.originatedFrom;
    }
    // The index shows stored state, never a PUT's per-extension operationStatus.
    for (const e of copy.extensions) delete e.operationStatus;
    return copy;
  }

  // ---- faults ----------------------------------------------------------------------------------

  /**
   * The next `times` calls of port.method (about `target`: a subscription id, or an account /
   * resource id; any target when omitted) throw `error` (default: a 503). For pricing.put this
   * is "refused, nothing applied"; see also conflictNextPuts, loseNextPutAnswers.
   */
  failNext(port: FaultPort, method: string, options: { target?: string; times?: number; error?: () => unknown } = {}): this {
    this.faults.push({ port, method, ...(options.target ? { target: options.target.toLowerCase() } : {}), times: options.times ?? 1, error: options.error ?? (() => unavailableError()) });
    return this;
  }

  /** The next `times` PUTs of the subscription's plan are answered 409 (another update in progress): nothing applied. */
  conflictNextPuts(subscriptionId: string, times = 1, retryAfterMs?: number): this {
    return this.putFault(subscriptionId, times, 'refuse', () => restError(409, 'Conflict', 'Another update operation is in progress for this pricing (injected).', retryAfterMs));
  }

  /** The next `times` PUTs fail with a transient status (default 503) before anything is applied. */
  failNextPuts(subscriptionId: string, times = 1, status = 503, retryAfterMs?: number): this {
    return this.putFault(subscriptionId, times, 'refuse', () => restError(status, `HTTP${status}`, `Service unavailable (injected ${status}).`, retryAfterMs));
  }

  /** The next `times` PUTs land, but their answer is lost (default: no status at all, as a timeout; or a 5xx status). */
  loseNextPutAnswers(subscriptionId: string, times = 1, status?: number): this {
    return this.putFault(subscriptionId, times, 'lost', () => (status === undefined ? lostAnswerError() : unavailableError(status)));
  }

  /** The next `times` PUTs land and answer 200 with a body that is not a pricing (the adapter returns undefined). */
  unreadableNextPutAnswers(subscriptionId: string, times = 1): this {
    return this.putFault(subscriptionId, times, 'unreadable', () => undefined);
  }

  /** The next `times` GETs of the subscription's plan fail (default 503). */
  failNextGets(subscriptionId: string, times = 1, status = 503): this {
    return this.failNext('pricing', 'get', { target: subscriptionId, times, error: () => unavailableError(status) });
  }

  /**
   * Switching this extension fails (HTTP 200, operationStatus Failed, the stored value unchanged:
   * left off), `times` times (default: always), e.g. not offered in the subscription's region.
   */
  failExtension(subscriptionId: string, extension: string, message = `${extension} is not available in this region yet (injected).`, times = Infinity): this {
    this.extensionFailures.push({ subscriptionId: subscriptionId.toLowerCase(), extension: extension.toLowerCase(), message, times });
    return this;
  }

  // ---- counting --------------------------------------------------------------------------------

  /** ARM requests (every port but the snapshot and the records store), optionally of one port/method/target. */
  armRequests(filter: { port?: ArmPort; method?: string; target?: string } = {}): number {
    return this.requests.filter((r) => r.port !== 'snapshot' && (!filter.port || r.port === filter.port) && (!filter.method || r.method === filter.method) && (!filter.target || r.target === filter.target.toLowerCase())).length;
  }

  /** Puts every counter (and the request, PUT, sleep and log lists) back to zero; the state stays. */
  resetCalls(): this {
    const fresh = emptyCalls(this.calls.records);
    for (const key of Object.keys(fresh) as Array<keyof FakeCalls>) {
      const counters = this.calls[key] as unknown as Record<string, number>;
      for (const name of Object.keys(counters)) counters[name] = 0;
    }
    this.requests.length = 0;
    this.puts.length = 0;
    this.sleeps.length = 0;
    this.logger.clear();
    return this;
  }

  // ---- used by fake-ports.ts -------------------------------------------------------------------

  /** @internal Counts the call and throws an injected fault, if one is armed for it. */
  enter(port: FaultPort, method: string, target?: string): void {
    const counters = this.calls[port] as unknown as Record<string, number>;
    counters[method] = (counters[method] ?? 0) + 1;
    if (port !== 'snapshot') this.requests.push({ port, method, ...(target ? { target: target.toLowerCase() } : {}) });
    const fault = this.faults.find((f) => f.port === port && f.method === method && f.times > 0 && (f.target === undefined || f.target === target?.toLowerCase()));
    if (fault) {
      fault.times--;
      throw fault.error();
    }
  }

  /** @internal The PUT fault armed for the subscription, consumed. */
  takePutFault(subscriptionId: string): PutFault | undefined {
    const fault = this.putFaults.find((f) => f.subscriptionId === subscriptionId.toLowerCase() && f.times > 0);
    if (fault) fault.times--;
    return fault;
  }

  /** @internal The failure message when switching this extension fails now, consumed. */
  takeExtensionFailure(subscriptionId: string, extension: string): string | undefined {
    const rule = this.extensionFailures.find((f) => f.subscriptionId === subscriptionId.toLowerCase() && f.extension === extension.toLowerCase() && f.times > 0);
    if (!rule) return undefined;
    rule.times--;
    return rule.message;
  }

  private putFault(subscriptionId: string, times: number, kind: PutFault['kind'], error: () => unknown): this {
    this.putFaults.push({ subscriptionId: subscriptionId.toLowerCase(), times, kind, error });
    return this;
  }
}

/** What a subscription that never touched the plan reports. */
export const FREE_PLAN: PricingSnapshot = { tier: 'Free', extensions: [], inherited: false, enforce: false, freeTrialRemainingTime: 'P30D' };

export function accountId(subscriptionId: string, name: string, resourceGroup = 'rg-ai'): string {
  return `/subscriptions/${subscriptionId.toLowerCase()}/resourceGroups/${resourceGroup}/providers/Microsoft.CognitiveServices/accounts/${name}`;
}
