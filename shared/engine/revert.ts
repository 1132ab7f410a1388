import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import { AI_EXTENSIONS } from '../domain/extensions';
import type { GovernRequest, PricingBody, PricingSnapshot } from '../domain/model';
import { planChange, type PlannedChange } from '../domain/plan';
import { buildRecord, summarisePricing, type Outcome, type PricingSummary, type RecordedDecision, type RemediationRecord } from '../records/record';
import { logDecision } from './decision-log';
import { MAX_RETRY_AFTER_MS, RETRY_BACKOFF_MS } from './apply';
import { GovernError, errorInfo, isConflict, isTransient, retryAfterMs, wasNotApplied } from './errors';
import { storeWithRetry } from './govern';
import type { Ports } from './ports';
import type { PassProblem } from './snapshot-pass';
import { leasedPass } from './tenant-lease';

/**
 * `d4ai revert --run RUN_ID`: puts back, for each record of that run that wrote (`applied` or
 * `partial`), the plan it found (`pricingBefore`: tier, subPlan, every extension listed
 * explicitly), but only where the plan is still exactly what that run left (`pricingAfter`);
 * anywhere else something changed since, and the revert skips it saying what. It is the one path
 * that may switch something off, only from the CLI, only on explicit request, and it keeps every
 * other rule of the write path: the store proven writable and the tenant-pass lease first, one
 * write at a time, a fresh read before each PUT, an intent record, 409s and transient failures
 * started again from a fresh read, a read-back, and a record of its own for every subscription
 * (trigger `revert`, pointing at the reverted run).
 */

export interface RevertOptions {
  /** A record's run id, or a sweep, watch or revert id. */
  run: string;
  subscriptionId?: string;
  onRecord?: (record: RemediationRecord) => void;
  /** The plan only: decided as a dry run, nothing stored, no lease (what the CLI shows before it asks). */
  preview?: boolean;
  /** Interruption (issue 16): once aborted, no further subscription is reverted; the one in flight finishes. */
  signal?: AbortSignal;
}

export interface RevertResult {
  revertId: string;
  records: RemediationRecord[];
  unrecorded: PassProblem[];
}

/** Records of a run that changed a plan, and so can be reverted. */
export function revertible(record: RemediationRecord): record is RemediationRecord & { pricingBefore: PricingSummary; pricingAfter: PricingSummary } {
  return (record.outcome === 'applied' || record.outcome === 'partial') && record.pricingBefore !== undefined && record.pricingAfter !== undefined;
}

export async function revertRun(ports: Ports, config: Config, options: RevertOptions): Promise<RevertResult> {
  const { records: found } = await ports.records.listRun(options.run, 10_000);
  const targets = found.filter(revertible).filter((r) => !options.subscriptionId || r.subscriptionId === options.subscriptionId.toLowerCase());
  if (targets.length === 0) {
    const scope = options.subscriptionId ? ` for subscription ${options.subscriptionId}` : '';
    throw new GovernError('NothingToRevert', `Run ${options.run} has no applied record${scope} in ${ports.records.description} (${found.length} record(s) of that run found).`);
  }
  const revertId = randomUUID();
  const ordered = [...targets].sort((a, b) => a.recordedAt.localeCompare(b.recordedAt));
  const requestFor = (target: RemediationRecord): GovernRequest & { runId: string } => ({ subscriptionId: target.subscriptionId, trigger: 'revert', runId: randomUUID(), detail: { revertId, revertOf: options.run } });
  if (options.preview) {
    const planConfig: Config = { ...config, mode: 'report' };
    const records: RemediationRecord[] = [];
    for (const target of ordered) records.push(await revertOne(ports, planConfig, target, requestFor(target)));
    return { revertId, records, unrecorded: [] };
  }
  return leasedPass(ports, `d4ai revert of ${options.run}`, async (renew) => {
    const records: RemediationRecord[] = [];
    const unrecorded: PassProblem[] = [];
    // Oldest first, one at a time: at most one write in flight per subscription (and per run).
    for (const target of ordered) {
      if (options.signal?.aborted) break; // interrupted: no new write
      await renew();
      const record = await revertOne(ports, config, target, requestFor(target));
      try {
        await storeWithRetry(ports, () => ports.records.write(record));
        logDecision(ports.logger, record);
      } catch (error) {
        const { code, message } = errorInfo(error);
        logDecision(ports.logger, record, { errorCode: `RecordWriteFailed:${code}`, errorMessage: message });
        unrecorded.push({ subscriptionId: record.subscriptionId, code: `RecordWriteFailed:${code}`, message });
      }
      records.push(record);
      options.onRecord?.(record);
    }
    return { revertId, records, unrecorded };
  });
}

type Target = RemediationRecord & { pricingBefore: PricingSummary; pricingAfter: PricingSummary };

async function revertOne(ports: Ports, config: Config, target: Target, request: GovernRequest & { runId: string }): Promise<RemediationRecord> {
  const startedAt = ports.clock();
  const subscription = { subscriptionId: target.subscriptionId, ...(target.subscriptionName ? { displayName: target.subscriptionName } : {}), state: 'Enabled', tags: {} };
  const origin = `Reverts what run ${request.detail?.revertOf ?? target.runId} did here on ${target.recordedAt} (${target.trigger}, record ${target.runId}): back to ${summaryText(target.pricingBefore)}.`;
  const finish = (input: { outcome: Outcome; decision: RecordedDecision; current?: PricingSnapshot; after?: PricingSnapshot; wrote?: boolean; error?: { code: string; message: string }; notes?: string[] }): RemediationRecord =>
    buildRecord({
      request,
      mode: config.mode,
      context: { subscription, aiResources: [], policyAssignments: [], ...(input.current ? { pricing: input.current } : {}) },
      decision: input.decision,
      outcome: input.outcome,
      ...(input.after ? { pricingAfter: input.after } : {}),
      ...(input.wrote ? { wrote: true } : {}),
      ...(input.error ? { error: input.error } : {}),
      extraReasons: input.notes ?? [],
      startedAt,
      finishedAt: ports.clock(),
    });
  const skip = (reason: string, current?: PricingSnapshot): RemediationRecord =>
    finish({ outcome: 'no-op', decision: { action: 'skip', skipReason: 'changed-since', missingComponents: [], reasons: [origin, reason], warnings: [] }, ...(current ? { current } : {}) });

  const notes: string[] = [];
  // Set once a PUT may have gone through (sent, and not answered "not applied"): the plan before it.
  let sent: { decision: RecordedDecision; before: PricingSnapshot } | undefined;
  for (let attempt = 0; ; attempt++) {
    let current: PricingSnapshot | undefined;
    try {
      current = await ports.pricing.get(target.subscriptionId);
    } catch (error) {
      const info = errorInfo(error);
      const code = `${sent ? 'VerificationReadFailed' : 'FreshReadFailed'}:${info.code}`;
      return finish({ outcome: 'failed', decision: sent?.decision ?? revertDecision(origin, undefined, undefined), ...(sent ? { current: sent.before, wrote: true } : {}), error: { ...info, code }, notes });
    }
    if (sent) {
      // The answer to an earlier PUT was lost (timeout, 5xx): the fresh read says what it did.
      const left = current ? differencesBetween(summarisePricing(current), target.pricingBefore) : ['the plan is gone'];
      if (left.length === 0) return finish({ outcome: 'applied', decision: sent.decision, current: sent.before, wrote: true, ...(current ? { after: current } : {}), notes: [...notes, 'The answer to an earlier PUT was lost; the fresh read shows the state reverted to.'] });
    }
    // Every attempt checks again, a retry after a lost answer too: a 409 or a timeout often means
    // another writer is at work, and what it did since is never undone.
    const changedSince = !current
      ? 'The service has no AI plan for this subscription any more: nothing to revert.'
      : current.managedBy
        ? `The plan is managed by ${current.managedBy} now; the governor never writes a plan another system manages.`
        : current.inherited
          ? `The plan is inherited from ${current.inheritedFrom ?? 'a parent scope'} now; it is changed there.`
          : differencesBetween(summarisePricing(current), target.pricingAfter).join('; ');
    if (changedSince) {
      if (sent) {
        const message = `After a PUT whose answer was lost, the plan is neither the state reverted to nor the one that run left: ${changedSince} Nothing more was written.`;
        return finish({ outcome: 'failed', decision: sent.decision, current: sent.before, wrote: true, ...(current ? { after: current } : {}), error: { code: 'ChangedDuringRevert', message }, notes });
      }
      return skip(current && !current.managedBy && !current.inherited ? `Changed since that run: ${changedSince}. Nothing was written.` : changedSince, current);
    }
    if (!current) return skip('The service has no AI plan for this subscription any more: nothing to revert.');
    const body = revertBody(target.pricingBefore, current);
    const decision = revertDecision(origin, body, planChange(current, body, AI_EXTENSIONS));
    if (config.mode !== 'enforce') return finish({ outcome: 'dry-run', decision, current, notes: ['Dry run: nothing was written.'] });
    try {
      await storeWithRetry(ports, () => ports.records.write(finish({ outcome: 'intent', decision, current })));
    } catch (error) {
      const info = errorInfo(error);
      return finish({ outcome: 'failed', decision, current, error: { code: `IntentNotRecorded:${info.code}`, message: `The intent record could not be stored, so nothing was written: ${info.message}` } });
    }
    const prior = sent;
    const before = prior?.before ?? current;
    sent = { decision, before };
    try {
      await ports.pricing.put(target.subscriptionId, body);
    } catch (error) {
      // Answered "not applied" (409, 429, other 4xx): this PUT changed nothing.
      if (wasNotApplied(error)) sent = prior;
      const wait = RETRY_BACKOFF_MS[attempt];
      const serviceWait = retryAfterMs(error);
      if ((isConflict(error) || isTransient(error)) && wait !== undefined && (serviceWait ?? 0) <= MAX_RETRY_AFTER_MS) {
        const delay = Math.max(wait, serviceWait ?? 0);
        notes.push(`The PUT failed (${errorInfo(error).code}); read again and retried after ${delay} ms.`);
        await ports.sleep(delay);
        continue;
      }
      // No PUT of this revert can have landed: nothing changed. Otherwise read what is there.
      if (!sent) return finish({ outcome: 'failed', decision, current, after: current, error: errorInfo(error), notes });
      const after = await ports.pricing.get(target.subscriptionId).catch(() => undefined);
      return finish({ outcome: 'failed', decision, current: sent.before, wrote: true, ...(after ? { after } : {}), error: errorInfo(error), notes });
    }
    let readBack: PricingSnapshot | undefined;
    try {
      readBack = await ports.pricing.get(target.subscriptionId);
    } catch (error) {
      return finish({ outcome: 'failed', decision, current: before, wrote: true, error: { ...errorInfo(error), code: 'VerificationReadFailed' }, notes });
    }
    const left = readBack ? differencesBetween(summarisePricing(readBack), target.pricingBefore) : ['the plan is gone'];
    if (left.length) return finish({ outcome: 'failed', decision, current: before, wrote: true, ...(readBack ? { after: readBack } : {}), error: { code: 'VerificationFailed', message: `Read-back differs from the state reverted to: ${left.join('; ')}.` }, notes });
    return finish({ outcome: 'applied', decision, current: before, wrote: true, ...(readBack ? { after: readBack } : {}), notes });
  }
}

function revertDecision(origin: string, body: PricingBody | undefined, change: PlannedChange | undefined): RecordedDecision {
  return { action: 'revert', missingComponents: [], reasons: [origin], warnings: [], ...(body ? { desired: body } : {}), ...(change ? { change } : {}) };
}

/** The body that restores `before`: its tier and subPlan, every extension listed explicitly (what `before` did not list is off). */
export function revertBody(before: PricingSummary, current: PricingSnapshot): PricingBody {
  const names = [...new Set([...AI_EXTENSIONS, ...current.extensions.map((e) => e.name), ...Object.keys(before.extensions)].map((n) => canonical(n, current)))];
  const on = (name: string): boolean => Object.entries(before.extensions).some(([n, enabled]) => enabled && n.toLowerCase() === name.toLowerCase());
  return {
    pricingTier: before.tier,
    ...(before.tier === 'Standard' && before.subPlan ? { subPlan: before.subPlan } : {}),
    extensions: names.map((name) => {
      const existing = current.extensions.find((e) => e.name.toLowerCase() === name.toLowerCase());
      return {
        name,
        isEnabled: before.tier === 'Standard' && on(name) ? ('True' as const) : ('False' as const),
        ...(existing?.additionalExtensionProperties ? { additionalExtensionProperties: existing.additionalExtensionProperties } : {}),
      };
    }),
  };
}

function canonical(name: string, current: PricingSnapshot): string {
  return current.extensions.find((e) => e.name.toLowerCase() === name.toLowerCase())?.name ?? AI_EXTENSIONS.find((e) => e.toLowerCase() === name.toLowerCase()) ?? name;
}

/** What differs between two plan states (tier, subPlan, each extension on/off; extension states do not matter on Free). */
export function differencesBetween(now: PricingSummary | undefined, then: PricingSummary): string[] {
  if (!now) return ['the plan is gone'];
  if (now.tier !== then.tier) return [`the plan is ${now.tier}, that run left it ${then.tier}`];
  if (now.tier === 'Free') return [];
  const out: string[] = [];
  if ((now.subPlan ?? '') !== (then.subPlan ?? '')) out.push(`subPlan is ${now.subPlan ?? 'none'}, was ${then.subPlan ?? 'none'}`);
  const names = new Map<string, string>();
  for (const n of [...Object.keys(then.extensions), ...Object.keys(now.extensions)]) names.set(n.toLowerCase(), n);
  const state = (s: PricingSummary, key: string): boolean => Object.entries(s.extensions).some(([n, on]) => on && n.toLowerCase() === key);
  for (const [key, name] of names) {
    const a = state(now, key);
    const b = state(then, key);
    if (a !== b) out.push(`${name} is ${a ? 'on' : 'off'}, that run left it ${b ? 'on' : 'off'}`);
  }
  return out;
}

function summaryText(p: PricingSummary): string {
  const on = Object.entries(p.extensions)
    .filter(([, enabled]) => enabled)
    .map(([name]) => name);
  return `${p.tier}${p.tier === 'Standard' ? ` with ${on.join(', ') || 'no extensions'}` : ''}`;
}
