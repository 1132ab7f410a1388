import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import type { Mode } from '../shared/config';
import type { Actor, PolicyView } from '../shared/domain/model';
import type { PassProblem } from '../shared/engine/snapshot-pass';
import { Tally, sweepSummary, type TallyCounts } from '../shared/engine/tally';
import type { RunScope, SweepSummaryRecord } from '../shared/records/record';
import { runChildBatches, writePassSummary } from './child-batches';
import { failureFrom, retryOptions, type Candidate, type GovernInput } from './govern-run';
import { FN, sweepChildInstanceId } from './names';
import { functionsConfig } from './runtime';
import type { ReadSweepPolicyInput, SweepPageInput, SweepPageResult } from './sweep.activities';

/**
 * sweepTenant: every subscription in scope gets a record, from a Resource Graph snapshot read a
 * page (at most 1,000 subscriptions) at a time, with orchestration history that grows with the
 * work that writes, not with the number of subscriptions:
 *
 *   readSweepPolicy (once) -> per page: sweepPage (decides the page, stores the records of every
 *   decision that writes nothing, returns the write candidates) -> governSubscription children for
 *   the candidates only, D4AI_SWEEP_BATCH at a time, returning outcomes, not records -> continue
 *   as new with the next page's token and the running counts -> one summary row at the end.
 *
 * So an execution holds one page activity and that page's children: history and replay work stay
 * flat at 10,000 subscriptions. D4AI_MAX_ENABLEMENTS_PER_RUN holds across pages: each page is
 * decided with the writes the earlier pages nominated, and a candidate's slot travels with it.
 * Children have their own instance ids (`<sweep id>:<sub>`, never `govern-<sub>`); their writes
 * are serialised with event runs through the subscription's write-lock entity, which only writers take.
 */

export interface SweepInput {
  trigger: 'sweep' | 'manual';
  dryRun: boolean;
  note?: string;
  /** Who started a manual sweep (admin API): recorded on every record of the sweep and its summary. */
  actor?: Actor;
  /** Where a continued sweep carries on; absent on the first execution. */
  cursor?: SweepCursor;
}

export interface SweepCursor {
  pages: number;
  skipToken?: string;
  policy: PolicyView;
  counts: TallyCounts;
  writes: number;
  startedAt: string;
  mode?: Mode;
  scope?: RunScope;
  /** What could not be recorded so far (the first MAX_PROBLEMS; the count is in the tally). */
  problems: PassProblem[];
}

/** Problems carried from page to page: enough to say what went wrong, bounded so the input stays small. */
const MAX_PROBLEMS = 50;

export interface SweepOutput {
  summary: SweepSummaryRecord;
  unrecorded: PassProblem[];
}

export interface SweepStatus {
  phase: 'reading-policy' | 'deciding-page' | 'writing' | 'summarising' | 'done';
  pages: number;
  decided: number;
  writes: number;
}

type Step<T> = Generator<Task, T, unknown>;

export function* sweepTenantOrchestrator(context: OrchestrationContext): Step<SweepOutput> {
  const input = context.df.getInput<SweepInput>();
  const sweepId = context.df.instanceId;
  const settings = functionsConfig();
  const retry = retryOptions(settings.activityRetry);
  const problems: PassProblem[] = [...(input.cursor?.problems ?? [])];
  let cursor = input.cursor;

  if (!cursor) {
    context.df.setCustomStatus(progress('reading-policy', 0, Tally.from(undefined), 0));
    try {
      const read: ReadSweepPolicyInput = { sweepId };
      const policy = (yield context.df.callActivityWithRetry(FN.readSweepPolicy, retry, read)) as PolicyView;
      cursor = { pages: 0, policy, counts: new Tally().counts(), writes: 0, startedAt: context.df.currentUtcDateTime.toISOString(), problems: [] };
    } catch (error) {
      problems.push({ subscriptionId: '*', ...failureFrom(error) });
      const nothing = Tally.from(undefined);
      nothing.unrecorded++;
      return yield* finish(nothing, { pages: 0, policy: { assignments: [], exemptions: [] }, counts: nothing.counts(), writes: 0, startedAt: context.df.currentUtcDateTime.toISOString(), problems });
    }
  }

  const tally = Tally.from(cursor.counts);
  context.df.setCustomStatus(progress('deciding-page', cursor.pages, tally, cursor.writes));
  let page: SweepPageResult;
  try {
    const ask: SweepPageInput = {
      sweepId,
      trigger: input.trigger,
      dryRun: input.dryRun,
      ...(input.note ? { note: input.note } : {}),
      ...(input.actor ? { actor: input.actor } : {}),
      ...(cursor.skipToken ? { skipToken: cursor.skipToken } : {}),
      policy: cursor.policy,
      writesSoFar: cursor.writes,
      decidedAt: context.df.currentUtcDateTime.toISOString(),
    };
    page = (yield context.df.callActivityWithRetry(FN.sweepPage, retry, ask)) as SweepPageResult;
  } catch (error) {
    // Resource Graph or the store failed past the retries: the pages done so far are recorded;
    // the rest of the tenant is named in the summary as not governed.
    problems.push({ subscriptionId: '*', ...failureFrom(error) });
    tally.unrecorded++;
    return yield* finish(tally, cursor);
  }
  tally.merge(page.counts);
  problems.push(...(page.unrecorded ?? []));

  context.df.setCustomStatus(progress('writing', cursor.pages + 1, tally, page.writesSoFar));
  const candidates = page.candidates.map((candidate) => ({ subscriptionId: candidate.context.subscription.subscriptionId, candidate }));
  yield* runChildBatches(context, candidates, page.batch, ({ subscriptionId, candidate }) => ({ input: childInput(candidate), instanceId: sweepChildInstanceId(sweepId, subscriptionId) }), tally, problems);

  const carried: SweepCursor = {
    pages: cursor.pages + 1,
    ...(page.skipToken ? { skipToken: page.skipToken } : {}),
    policy: cursor.policy,
    counts: tally.counts(),
    writes: page.writesSoFar,
    startedAt: cursor.startedAt,
    mode: page.mode,
    scope: page.scope,
    problems: problems.slice(0, MAX_PROBLEMS),
  };
  if (page.skipToken) {
    // The next page in a fresh execution: the history never holds more than one page's work.
    context.df.continueAsNew({ ...input, cursor: carried });
    return { summary: sweepSummary(identity(carried), tally), unrecorded: carried.problems };
  }
  return yield* finish(tally, carried);

  function* finish(final: Tally, at: SweepCursor): Step<SweepOutput> {
    context.df.setCustomStatus(progress('summarising', at.pages, final, at.writes));
    const summary = { ...sweepSummary(identity(at), final), ...(input.actor ? { actor: input.actor } : {}) };
    yield* writePassSummary(context, retry, summary);
    context.df.setCustomStatus(progress('done', at.pages, final, at.writes));
    return { summary, unrecorded: problems };
  }

  function identity(at: SweepCursor) {
    return {
      id: sweepId,
      trigger: input.trigger,
      mode: at.mode ?? (input.dryRun ? ('report' as const) : settings.mode),
      scope: at.scope ?? {},
      startedAt: new Date(at.startedAt),
      finishedAt: context.df.currentUtcDateTime,
    };
  }

  function childInput(candidate: Candidate): GovernInput {
    const { subscriptionId } = candidate.context.subscription;
    return {
      ask: {
        requestId: sweepChildInstanceId(sweepId, subscriptionId),
        request: { subscriptionId, trigger: input.trigger, ...(input.actor ? { actor: input.actor } : {}), detail: { sweepId, ...(input.note ? { note: input.note } : {}) } },
        dryRun: input.dryRun,
      },
      candidate,
      coalesce: false,
    };
  }
}

function progress(phase: SweepStatus['phase'], pages: number, tally: Tally, writes: number): SweepStatus {
  return { phase, pages, decided: tally.subscriptions, writes };
}

df.app.orchestration(FN.sweepTenant, sweepTenantOrchestrator);
