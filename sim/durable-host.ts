/**
 * A small Durable Task host for tests and the bench: it drives the REGISTERED orchestrator handlers (the
 * durable-functions replay executor, unchanged) the way the Functions extension does.
 *
 * Each episode: append OrchestratorStarted + the new events to the history, call the handler with
 * the binding the extension sends ({history, input, instanceId, isReplaying, upperSchemaVersion,
 * timer settings}), read {isDone, actions, output, customStatus, error}, then carry out the new
 * actions for real (activities and entities are the registered handlers, so they hit the ARM
 * stand-in and Azurite) and feed their results back as history events:
 *   CallActivity(WithRetry) -> TaskScheduled, TaskCompleted | TaskFailed (+ the retry timers the
 *                              extension inserts: TimerCreated/TimerFired, then TaskScheduled again)
 *   CreateTimer            -> TimerCreated, TimerFired (simulated clock, scaled real wait)
 *   CallSubOrchestrator    -> SubOrchestrationInstanceCreated, ...Completed | ...Failed
 *   CallEntity/SignalEntity-> EventSent, EventRaised (the entity's response)
 *   WaitForExternalEvent   -> EventRaised when raise() is called
 *   ContinueAsNew          -> a fresh history with the new input
 *
 * Determinism is checked like the Durable Task framework does, only stricter: every replay must
 * produce the actions already recorded, in the same order and with the same inputs (a Date.now()
 * or Math.random() in an orchestrator changes an input and fails the run with NonDeterminismError).
 * EventIds follow the executor's numbering (one per scheduled task, timer or entity message), so a
 * history that does not match what the executor expects hangs or fails the test instead of passing.
 * Limitation: retry timers are numbered when the failure happens, which matches the executor only
 * while no other task of the same instance is scheduled at the same time (true of our orchestrators:
 * activities are awaited one by one; only sub-orchestrations, which have no retry here, fan out).
 */
import { randomUUID } from 'node:crypto';
import { InvocationContext } from '@azure/functions';

type Handler = (trigger: unknown, context: InvocationContext) => unknown;

/** durable-functions HistoryEventType values. */
export const EventType = {
  ExecutionStarted: 0,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
} as const;

/** durable-functions ActionType values. */
export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
} as const;

export interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: Date;
  [field: string]: unknown;
}

export interface Action {
  actionType: number;
  functionName?: string;
  input?: unknown;
  instanceId?: string;
  operation?: string;
  fireAt?: Date;
  externalEventName?: string;
  retryOptions?: { firstRetryIntervalInMilliseconds: number; maxNumberOfAttempts: number; backoffCoefficient?: number; maxRetryIntervalInMilliseconds?: number };
  compoundActions?: Action[];
}

interface OrchestratorState {
  isDone: boolean;
  actions: Action[][];
  output?: unknown;
  customStatus?: unknown;
  error?: string;
}

export type RuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'Failed' | 'ContinuedAsNew';

export class NonDeterminismError extends Error {
  override name = 'NonDeterminismError';
}

export interface Instance {
  name: string;
  instanceId: string;
  input: unknown;
  parent?: { instance: Instance; taskId: number };
  status: RuntimeStatus;
  output?: unknown;
  failure?: string;
  customStatus?: unknown;
  /** Every custom status the orchestration set, in order (one per episode). */
  customStatusLog: unknown[];
  createdTime: Date;
  lastUpdatedTime: Date;
  history: HistoryEvent[];
  /** History of finished executions (before a continue-as-new); empty with `keepFinishedHistories: false`. */
  previousHistories: HistoryEvent[][];
  /** How many events each finished execution's history held (kept whatever the option). */
  previousHistoryLengths: number[];
  executions: number;
  episodes: number;
  /** Every action the orchestration ever scheduled, normalised, in order (current execution). */
  scheduled: string[];
  inbox: HistoryEvent[];
  nextId: number;
  logs: Array<{ level: string; message: string }>;
  wake?: () => void;
  finished: Promise<void>;
  finish: () => void;
}

export interface DurableTestHostOptions {
  orchestrators: Map<string, Handler>;
  activities: Map<string, Handler>;
  entities: Map<string, Handler>;
  /** Simulated start time. */
  startTime?: Date;
  /** Real milliseconds waited per simulated millisecond of a durable timer (default 1/200). */
  timerScale?: number;
  /** Extension schema advertised to the SDK (ReplaySchema: V1 = 0 ... V4 = 3); the bundles ship V3. */
  upperSchemaVersion?: number;
  /**
   * False: what activities and entities log is counted (logCount), not kept in `logs`. The bench
   * measures the worker's peak memory at 50,000 subscriptions, where keeping a decision line per
   * subscription would be the host's memory growing with N, not the app's.
   */
  keepLogs?: boolean;
  /**
   * False: a finished execution's history (before a continue-as-new) is counted, not kept. The task
   * hub keeps those in Azure Storage, not in the worker's memory; kept here they would make the
   * bench's worker grow with N by the host's doing (issue 17's memory budget is the app's).
   */
  keepFinishedHistories?: boolean;
}

export interface ExecutedOp {
  instanceId: string;
  kind: 'activity' | 'timer' | 'subOrchestration' | 'entityCall' | 'entitySignal' | 'event';
  name: string;
  input?: unknown;
  failed?: boolean;
}

const LIVE: ReadonlySet<RuntimeStatus> = new Set(['Pending', 'Running', 'ContinuedAsNew']);

export class DurableTestHost {
  readonly instances = new Map<string, Instance>();
  /** Entity scheduler id (@name@key) -> serialized state. */
  readonly entityStates = new Map<string, string | undefined>();
  /** Everything carried out, in order: which activities ran, which timers fired, which entity ops. */
  readonly executed: ExecutedOp[] = [];
  /** What activities and entities logged through their InvocationContext. */
  readonly logs: Array<{ functionName: string; level: string; message: string }> = [];
  /** Lines activities and entities logged, kept or not. */
  logCount = 0;
  /** Work the replay executor did: episodes run and history events replayed into them (the cost of history size). */
  readonly metrics = { episodes: 0, replayedEvents: 0 };
  now: Date;
  private readonly timerScale: number;
  private readonly schema: number;
  private readonly entityQueues = new Map<string, Promise<unknown>>();
  /** Activity name -> how many more of its runs have their result lost, and what else happens then (see loseResults). */
  private readonly lostResults = new Map<string, { runs: number; then?: () => void }>();
  /** Orchestrator name -> how many more of its sub-orchestration calls fail at once (see failSubOrchestrations). */
  private readonly failingChildren = new Map<string, number>();
  private pendingWork = 0;
  private readonly errors: Error[] = [];

  constructor(private readonly options: DurableTestHostOptions) {
    this.now = options.startTime ?? new Date('2025-06-01T02:00:00Z');
    this.timerScale = options.timerScale ?? 1 / 200;
    this.schema = options.upperSchemaVersion ?? 2;
  }

  isLive(instanceId: string): boolean {
    const instance = this.instances.get(instanceId);
    return instance !== undefined && LIVE.has(instance.status);
  }

  /** Starts an instance; refuses while one with the id is live (host.json NonRunningStates). */
  start(name: string, instanceId: string, input: unknown, parent?: Instance['parent']): Instance {
    if (!this.options.orchestrators.has(name)) throw new Error(`No orchestrator registered as ${name}`);
    if (this.isLive(instanceId)) throw new Error(`An Orchestration instance with the status Running already exists: ${instanceId}`);
    let finish = (): void => undefined;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const instance: Instance = {
      name,
      instanceId,
      input: roundTrip(input),
      ...(parent ? { parent } : {}),
      status: 'Pending',
      customStatusLog: [],
      createdTime: new Date(this.now),
      lastUpdatedTime: new Date(this.now),
      history: [],
      previousHistories: [],
      previousHistoryLengths: [],
      executions: 1,
      episodes: 0,
      scheduled: [],
      inbox: [],
      nextId: 0,
      logs: [],
      finished,
      finish,
    };
    instance.inbox.push(this.event(EventType.ExecutionStarted, -1, { Name: name, Input: JSON.stringify(instance.input ?? null) }));
    this.instances.set(instanceId, instance);
    this.track(this.drive(instance));
    return instance;
  }

  /** Raises an external event: 'accepted' while the instance is live, 'gone' after, 'notFound' otherwise. */
  raise(instanceId: string, eventName: string, data: unknown): 'accepted' | 'gone' | 'notFound' {
    const instance = this.instances.get(instanceId);
    if (!instance) return 'notFound';
    if (!LIVE.has(instance.status)) return 'gone';
    this.executed.push({ instanceId, kind: 'event', name: eventName, input: data });
    this.deliver(instance, [this.event(EventType.EventRaised, -1, { Name: eventName, Input: JSON.stringify(data ?? null) })]);
    return 'accepted';
  }

  async waitFor(instanceId: string, timeoutMs = 30000): Promise<Instance> {
    const instance = this.instances.get(instanceId);
    if (!instance) throw new Error(`No instance ${instanceId}`);
    await withTimeout(instance.finished, timeoutMs, () => `${instanceId} did not finish in ${timeoutMs} ms (status ${instance.status}, ${instance.episodes} episodes)`);
    this.throwIfFailed();
    return instance;
  }

  /** Resolves when nothing is running any more (every instance done or waiting for an event). */
  async idle(timeoutMs = 30000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pendingWork > 0) {
      if (Date.now() > deadline) throw new Error(`Durable test host still busy after ${timeoutMs} ms`);
      await delay(5);
    }
    this.throwIfFailed();
  }

  /** Errors the harness itself ran into (non-determinism, bad histories); the tests assert there are none. */
  throwIfFailed(): void {
    const first = this.errors[0];
    if (first) throw first;
  }

  /** History events kept across every instance and execution (what the task hub stores). */
  historyEvents(): number {
    let total = 0;
    for (const instance of this.instances.values()) total += instance.history.length + instance.previousHistoryLengths.reduce((n, h) => n + h, 0);
    return total;
  }

  /** Largest history one execution of an instance reached (what one replay has to read). */
  largestHistory(): number {
    let largest = 0;
    for (const instance of this.instances.values()) largest = Math.max(largest, instance.history.length, ...instance.previousHistoryLengths);
    return largest;
  }

  /**
   * The next `runs` runs of activity `name` do their work (their PUTs reach the stand-in) but the
   * worker "stops" before the result is stored: the history gets TaskFailed, as after a host
   * recycle or an activity timeout, so the orchestrator retries or gives up without the answer.
   * `then` runs each time a result is lost.
   */
  loseResults(name: string, runs: number, then?: () => void): void {
    this.lostResults.set(name, { runs, ...(then ? { then } : {}) });
  }

  /**
   * The next `count` sub-orchestration calls of orchestrator `name` fail as orchestrations without
   * running (SubOrchestrationInstanceFailed), as when the framework itself fails a child.
   */
  failSubOrchestrations(name: string, count: number): void {
    this.failingChildren.set(name, count);
  }

  activitiesRun(instanceId?: string): string[] {
    return this.executed.filter((op) => op.kind === 'activity' && (!instanceId || op.instanceId === instanceId)).map((op) => op.name);
  }

  // ---------------------------------------------------------------------------------------------

  private async drive(instance: Instance): Promise<void> {
    try {
      for (;;) {
        await this.nextEvents(instance);
        const events = instance.inbox.splice(0);
        instance.status = 'Running';
        // Time passes between episodes (1 ms of simulated time), as it does in a real host.
        this.advance(new Date(this.now.getTime() + 1));
        instance.history.push(this.event(EventType.OrchestratorStarted, -1), ...events);
        this.metrics.episodes++;
        this.metrics.replayedEvents += instance.history.length;
        const state = await this.invoke(instance);
        instance.episodes++;
        instance.lastUpdatedTime = new Date(this.now);
        const actions = flatten(state.actions);
        this.checkDeterminism(instance, actions);
        const fresh = actions.slice(instance.scheduled.length);
        instance.scheduled.push(...fresh.map(normalise));
        instance.customStatus = state.customStatus;
        instance.customStatusLog.push(state.customStatus);
        const work = fresh.map((action) => this.schedule(instance, action));
        instance.history.push(this.event(EventType.OrchestratorCompleted, -1));

        if (state.error !== undefined) {
          instance.status = 'Failed';
          instance.failure = state.error;
          this.notifyParent(instance);
          return;
        }
        const continued = fresh.find((a) => a.actionType === ActionType.ContinueAsNew);
        for (const run of work) run?.();
        if (continued) {
          instance.previousHistoryLengths.push(instance.history.length);
          if (this.options.keepFinishedHistories !== false) instance.previousHistories.push(instance.history);
          instance.history = [];
          instance.scheduled = [];
          instance.nextId = 0;
          instance.executions++;
          instance.input = continued.input;
          instance.status = 'ContinuedAsNew';
          // Events not consumed by the old execution are dropped, as the JS SDK cannot keep them.
          instance.inbox = [this.event(EventType.ExecutionStarted, -1, { Name: instance.name, Input: JSON.stringify(continued.input ?? null) })];
          continue;
        }
        if (state.isDone) {
          instance.status = 'Completed';
          instance.output = state.output;
          this.notifyParent(instance);
          return;
        }
      }
    } catch (error) {
      instance.status = 'Failed';
      instance.failure = error instanceof Error ? error.message : String(error);
      this.errors.push(error instanceof Error ? error : new Error(String(error)));
      this.notifyParent(instance);
    } finally {
      instance.finish();
    }
  }

  private async invoke(instance: Instance): Promise<OrchestratorState> {
    const handler = this.options.orchestrators.get(instance.name);
    if (!handler) throw new Error(`No orchestrator ${instance.name}`);
    const context = new InvocationContext({
      functionName: instance.name,
      invocationId: randomUUID(),
      logHandler: (level, ...args) => instance.logs.push({ level, message: args.map(String).join(' ') }),
    });
    const binding = {
      history: instance.history.map((e) => ({ ...e })),
      input: roundTrip(instance.input),
      instanceId: instance.instanceId,
      isReplaying: false,
      parentInstanceId: instance.parent?.instance.instanceId,
      upperSchemaVersion: this.schema,
      longRunningTimerIntervalDuration: '3.00:00:00',
      maximumShortTimerDuration: '6.00:00:00',
      defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    };
    try {
      return (await handler(binding, context)) as OrchestratorState;
    } catch (error) {
      // The SDK reports an orchestrator exception as an error whose message carries the state.
      const text = error instanceof Error ? error.message : String(error);
      const at = text.indexOf('$OutOfProcData$:');
      if (at < 0) throw error;
      const state = JSON.parse(text.slice(at + '$OutOfProcData$:'.length)) as OrchestratorState;
      return { ...state, error: state.error ?? text.slice(0, at).trim() };
    }
  }

  private checkDeterminism(instance: Instance, actions: Action[]): void {
    const replayed = actions.slice(0, instance.scheduled.length).map(normalise);
    if (replayed.length < instance.scheduled.length) {
      throw new NonDeterminismError(
        `${instance.instanceId}: replay produced ${replayed.length} actions, history has ${instance.scheduled.length}:\n` +
          instance.scheduled.slice(replayed.length).join('\n'),
      );
    }
    replayed.forEach((action, i) => {
      if (action !== instance.scheduled[i]) {
        throw new NonDeterminismError(`${instance.instanceId}: action #${i} changed on replay.\n  history: ${instance.scheduled[i]}\n  replay:  ${action}`);
      }
    });
  }

  /** Records the scheduling events now; returns the work that produces the completion events. */
  private schedule(instance: Instance, action: Action): (() => void) | undefined {
    switch (action.actionType) {
      case ActionType.CallActivity:
      case ActionType.CallActivityWithRetry: {
        const id = instance.nextId++;
        instance.history.push(this.event(EventType.TaskScheduled, id, { Name: action.functionName, Input: JSON.stringify(action.input ?? null) }));
        return () => this.track(this.runActivity(instance, action, id));
      }
      case ActionType.CreateTimer: {
        const id = instance.nextId++;
        const fireAt = new Date(action.fireAt ?? this.now);
        instance.history.push(this.event(EventType.TimerCreated, id, { FireAt: fireAt }));
        return () => this.track(this.fireTimer(instance, id, fireAt));
      }
      case ActionType.CallSubOrchestrator:
      case ActionType.CallSubOrchestratorWithRetry: {
        const id = instance.nextId++;
        const childId = action.instanceId ?? `${instance.instanceId}:${id}`;
        instance.history.push(this.event(EventType.SubOrchestrationInstanceCreated, id, { Name: action.functionName, InstanceId: childId, Input: JSON.stringify(action.input ?? null) }));
        return () => {
          const failing = this.failingChildren.get(action.functionName ?? '') ?? 0;
          if (failing > 0) {
            this.failingChildren.set(action.functionName ?? '', failing - 1);
            this.executed.push({ instanceId: instance.instanceId, kind: 'subOrchestration', name: action.functionName ?? '', input: action.input, failed: true });
            const failed = this.event(EventType.SubOrchestrationInstanceFailed, -1, { TaskScheduledId: id, Reason: `Orchestrator function '${action.functionName ?? ''}' failed (simulated)`, Details: '' });
            this.deliver(instance, [failed], instance.executions);
            return;
          }
          if (this.instances.has(childId) && this.isLive(childId)) {
            this.errors.push(new Error(`${instance.instanceId} started sub-orchestration ${childId} while an instance with that id was running`));
          }
          this.executed.push({ instanceId: instance.instanceId, kind: 'subOrchestration', name: action.functionName ?? '', input: action.input });
          this.start(action.functionName ?? '', childId, action.input, { instance, taskId: id });
        };
      }
      case ActionType.CallEntity:
      case ActionType.SignalEntity: {
        const id = instance.nextId++;
        const requestId = `${instance.instanceId}|${instance.executions}|${id}`;
        const signal = action.actionType === ActionType.SignalEntity;
        instance.history.push(
          this.event(EventType.EventSent, id, {
            InstanceId: action.instanceId,
            Name: 'op',
            Input: JSON.stringify({ id: requestId, op: action.operation, signal, input: JSON.stringify(action.input ?? null) }),
          }),
        );
        return () => this.track(this.runEntity(instance, action, requestId, signal));
      }
      case ActionType.WaitForExternalEvent:
      case ActionType.ContinueAsNew:
        return undefined;
      default:
        this.errors.push(new Error(`${instance.instanceId}: the test host does not support action type ${action.actionType}`));
        return undefined;
    }
  }

  private async runActivity(instance: Instance, action: Action, firstId: number): Promise<void> {
    const name = action.functionName ?? '';
    const execution = instance.executions;
    const handler = this.options.activities.get(name);
    const retry = action.actionType === ActionType.CallActivityWithRetry ? action.retryOptions : undefined;
    const attempts = retry?.maxNumberOfAttempts ?? 1;
    let id = firstId;
    const events: HistoryEvent[] = [];
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) events.push(this.event(EventType.TaskScheduled, id, { Name: name, Input: JSON.stringify(action.input ?? null) }));
      this.executed.push({ instanceId: instance.instanceId, kind: 'activity', name, input: action.input });
      try {
        if (!handler) throw new Error(`No activity registered as ${name}`);
        const context = new InvocationContext({ functionName: name, invocationId: randomUUID(), logHandler: this.logTo(name) });
        const result = await handler(roundTrip(action.input), context);
        const lose = this.lostResults.get(name);
        if (lose && lose.runs > 0) {
          lose.runs -= 1;
          // e.g. an app setting changed: the restart it causes is what cut the activity short.
          lose.then?.();
          throw new Error('The worker stopped after the activity ran; its result was not stored (simulated).');
        }
        events.push(this.event(EventType.TaskCompleted, -1, { TaskScheduledId: id, Result: JSON.stringify(result ?? null) }));
        break;
      } catch (error) {
        const e = error instanceof Error ? error : new Error(String(error));
        const last = this.executed[this.executed.length - 1];
        if (last) last.failed = true;
        events.push(this.event(EventType.TaskFailed, -1, { TaskScheduledId: id, Reason: `Activity function '${name}' failed: ${e.message}`, Details: e.stack ?? '' }));
        if (!retry) break;
        // The extension answers each failure with a retry timer, the last one included; the SDK
        // gives up when that last timer fires.
        const timerId = instance.nextId++;
        const uncapped = retry.firstRetryIntervalInMilliseconds * Math.pow(retry.backoffCoefficient ?? 1, attempt - 1);
        const wait = retry.maxRetryIntervalInMilliseconds ? Math.min(uncapped, retry.maxRetryIntervalInMilliseconds) : uncapped;
        const fireAt = new Date(this.now.getTime() + wait);
        events.push(this.event(EventType.TimerCreated, timerId, { FireAt: fireAt }));
        await delay(Math.min(wait * this.timerScale, 200));
        this.advance(fireAt);
        events.push(this.event(EventType.TimerFired, -1, { TimerId: timerId, FireAt: fireAt }));
        if (attempt >= attempts) break;
        id = instance.nextId++;
      }
    }
    this.deliver(instance, events, execution);
  }

  private async fireTimer(instance: Instance, id: number, fireAt: Date): Promise<void> {
    const execution = instance.executions;
    await delay(Math.min(Math.max(0, fireAt.getTime() - this.now.getTime()) * this.timerScale, 500));
    this.advance(fireAt);
    this.executed.push({ instanceId: instance.instanceId, kind: 'timer', name: fireAt.toISOString() });
    this.deliver(instance, [this.event(EventType.TimerFired, -1, { TimerId: id, FireAt: fireAt })], execution);
  }

  private runEntity(instance: Instance, action: Action, requestId: string, signal: boolean): Promise<void> {
    const schedulerId = action.instanceId ?? '';
    const execution = instance.executions;
    const previous = this.entityQueues.get(schedulerId) ?? Promise.resolve();
    // An entity processes one operation at a time: chain them per entity.
    const next = previous.then(async () => {
      const [, name = '', key = ''] = /^@([^@]*)@(.*)$/.exec(schedulerId) ?? [];
      const handler = [...this.options.entities.entries()].find(([n]) => n.toLowerCase() === name)?.[1];
      if (!handler) throw new Error(`No entity registered as ${name}`);
      this.executed.push({ instanceId: instance.instanceId, kind: signal ? 'entitySignal' : 'entityCall', name: `${action.operation ?? ''}@${key}`, input: action.input });
      const state = this.entityStates.get(schedulerId);
      const binding = {
        self: { name, key },
        exists: state !== undefined,
        state,
        batch: [{ id: requestId, name: action.operation, signal, input: JSON.stringify(action.input ?? null) }],
      };
      const context = new InvocationContext({ functionName: name, invocationId: randomUUID(), logHandler: this.logTo(name) });
      const result = (await handler(binding, context)) as { entityExists: boolean; entityState?: string; results: Array<{ isError: boolean; result?: string }> };
      this.entityStates.set(schedulerId, result.entityExists ? result.entityState : undefined);
      const outcome = result.results[0];
      if (!signal) {
        const response = outcome?.isError ? { exceptionType: 'Error', result: outcome.result ?? '""' } : { result: outcome?.result };
        this.deliver(instance, [this.event(EventType.EventRaised, -1, { Name: requestId, Input: JSON.stringify(response) })], execution);
      }
    });
    this.entityQueues.set(schedulerId, next.catch(() => undefined));
    return next;
  }

  private notifyParent(instance: Instance): void {
    const parent = instance.parent;
    if (!parent) return;
    if (instance.status === 'Completed') {
      this.deliver(parent.instance, [this.event(EventType.SubOrchestrationInstanceCompleted, -1, { TaskScheduledId: parent.taskId, Result: JSON.stringify(instance.output ?? null) })]);
    } else {
      this.deliver(parent.instance, [this.event(EventType.SubOrchestrationInstanceFailed, -1, { TaskScheduledId: parent.taskId, Reason: instance.failure ?? 'failed', Details: '' })]);
    }
  }

  /**
   * Messages for a finished instance, or for an execution that has continued as new, are dropped,
   * as the framework does (its messages carry the execution id).
   */
  private deliver(instance: Instance, events: HistoryEvent[], execution = instance.executions): void {
    if (!LIVE.has(instance.status) || execution !== instance.executions) return;
    instance.inbox.push(...events);
    instance.wake?.();
  }

  private nextEvents(instance: Instance): Promise<void> {
    if (instance.inbox.length > 0) return Promise.resolve();
    this.pendingWork--;
    return new Promise<void>((resolve) => {
      instance.wake = () => {
        instance.wake = undefined;
        this.pendingWork++;
        resolve();
      };
    });
  }

  private track(work: Promise<void> | void): void {
    if (!work) return;
    this.pendingWork++;
    work
      .catch((error: unknown) => {
        this.errors.push(error instanceof Error ? error : new Error(String(error)));
      })
      .finally(() => {
        this.pendingWork--;
      });
  }

  private logTo(functionName: string) {
    return (level: string, ...args: unknown[]): void => {
      this.logCount++;
      if (this.options.keepLogs !== false) this.logs.push({ functionName, level, message: args.map(String).join(' ') });
    };
  }

  private advance(to: Date): void {
    if (to.getTime() > this.now.getTime()) this.now = new Date(to);
  }

  private event(type: number, id: number, fields: Record<string, unknown> = {}): HistoryEvent {
    return { EventType: type, EventId: id, IsPlayed: false, Timestamp: new Date(this.now), ...fields };
  }
}

function flatten(actions: Action[][]): Action[] {
  const result: Action[] = [];
  const visit = (action: Action): void => {
    if (action.actionType === ActionType.WhenAll || action.actionType === ActionType.WhenAny) {
      for (const child of action.compoundActions ?? []) visit(child);
    } else {
      result.push(action);
    }
  };
  for (const group of actions) for (const action of group) visit(action);
  return result;
}

/** The comparable form of an action: its JSON, without the timer's cancel flag (it may flip later). */
function normalise(action: Action): string {
  return JSON.stringify(action, (key, value: unknown) => (key === 'isCanceled' ? undefined : value));
}

function roundTrip<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/**
 * The host's own pacing (episodes, durable timers). Unref'd: a test that awaits the host keeps its
 * process alive anyway, and an orchestration still waiting on a timer when the tests end must not
 * keep a jest worker from exiting ("A worker process has failed to exit gracefully").
 */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

async function withTimeout(promise: Promise<void>, ms: number, message: () => string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise<void>((_, reject) => (timer = setTimeout(() => reject(new Error(message())), ms)))]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
