import { createHash } from 'node:crypto';
import type { Config } from '../config';
import { isGuid } from '../config';
import { isWrite } from './decide';
import { ExtensionSet } from './extension-set';
import type { PricingBody } from './model';
import { planChange, type Plan } from './plan';
import { snapshotOfSummary } from './pricing-summary';

/**
 * A saved plan (`--dry-run --out plan.json`): the writes a dry run planned, as a file one person
 * makes, another reviews, and `d4ai apply` (or the admin API's POST /api/plans) applies exactly.
 * Pure: building, the digest, the settings fingerprint and the checks that refuse a file are all
 * here, so the CLI and the Functions app refuse the same files for the same reasons.
 *
 *  - `digest`: sha256 over the canonical JSON of everything else; an edited file is refused.
 *  - `settingsFingerprint`: sha256 of the settings that decide (settingsFingerprint below); a plan
 *    made under other settings (another tenant's endpoint, other components, another scope) is refused.
 *  - `expiresAt`: a plan is a claim about the estate at a time; an old one is refused whole.
 */
export const PLAN_SCHEMA = 'd4ai-plan/1';
export const DEFAULT_PLAN_TTL_MS = 24 * 3_600_000;
export const MAX_PLAN_TTL_MS = 7 * 24 * 3_600_000;

export interface SavedPlan {
  schema: typeof PLAN_SCHEMA;
  createdAt: string;
  expiresAt: string;
  command: 'govern' | 'sweep' | 'watch';
  scope: { managementGroup?: string; subscriptions?: string[] };
  settingsFingerprint: string;
  /** Subscriptions planned, and how many of them the plan writes. */
  counts: { subscriptions: number; writes: number };
  /** The writes only: each subscription's plan (action, exact body, change, before-state and basis). */
  subscriptions: Plan[];
  digest: string;
}

/** A file that is not a saved plan, or one that was edited: bad input (exit 2). */
export class PlanFileInvalid extends Error {
  readonly code = 'PlanFileInvalid';
}

/** A well-formed plan that must not be applied now (expired, other settings): refused whole (exit 1, 409 over HTTP). */
export class PlanRefused extends Error {
  readonly code = 'PlanRefused';
}

/** The settings that change what the governor decides or where it writes: a plan is only applied under the same ones. */
export function settingsFingerprint(config: Config): string {
  const deciding = {
    components: [...config.components].sort(),
    enableWhen: config.enableWhen,
    excludedSubscriptions: [...config.excludedSubscriptions].sort(),
    optOutTag: config.optOutTag.toLowerCase(),
    policyAssignmentId: config.policyAssignmentId?.toLowerCase() ?? null,
    managementGroup: config.managementGroup?.toLowerCase() ?? null,
    maxEnablementsPerRun: config.maxEnablementsPerRun,
    armEndpoint: config.armEndpoint.toLowerCase(),
    pricingsApiVersion: config.pricingsApiVersion,
  };
  return `sha256:${sha256(canonicalJson(deciding))}`;
}

export function buildSavedPlan(input: { command: SavedPlan['command']; scope: SavedPlan['scope']; config: Config; subscriptions: number; plans: readonly Plan[]; now: Date; ttlMs?: number }): SavedPlan {
  const writes = input.plans.filter((p) => isWrite(p.decision));
  const body: Omit<SavedPlan, 'digest'> = {
    schema: PLAN_SCHEMA,
    createdAt: input.now.toISOString(),
    expiresAt: new Date(input.now.getTime() + (input.ttlMs ?? DEFAULT_PLAN_TTL_MS)).toISOString(),
    command: input.command,
    scope: input.scope,
    settingsFingerprint: settingsFingerprint(input.config),
    counts: { subscriptions: input.subscriptions, writes: writes.length },
    subscriptions: [...writes].sort((a, b) => a.subscriptionId.localeCompare(b.subscriptionId)),
  };
  return { ...body, digest: digestOf(body) };
}

export function digestOf(plan: Omit<SavedPlan, 'digest'>): string {
  return `sha256:${sha256(canonicalJson(plan))}`;
}

/**
 * A saved plan read back from text, checked whole before anything is applied: its shape, its
 * digest, that every entry is a governing write that switches nothing off (a plan file can never
 * carry a revert or a switch-off), then (refusals) its expiry and its settings fingerprint.
 */
export function checkSavedPlan(text: string, config: Config, now: Date, source = 'the plan'): SavedPlan {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new PlanFileInvalid(`${source} is not JSON (${(error as Error).message.slice(0, 200)}); make one with --dry-run --out FILE.`);
  }
  const plan = shapeOf(parsed, source);
  const { digest, ...rest } = plan;
  if (digestOf(rest) !== digest) throw new PlanFileInvalid(`${source} was changed after it was made: its digest ${digest.slice(0, 20)}… does not match its content. Plan again rather than editing a plan.`);
  if (Date.parse(plan.expiresAt) <= now.getTime()) throw new PlanRefused(`${source} expired at ${plan.expiresAt} (made ${plan.createdAt}); nothing was applied. Plan again: the estate may have changed since.`);
  if (plan.settingsFingerprint !== settingsFingerprint(config)) {
    throw new PlanRefused(`${source} was made under other settings (fingerprint ${plan.settingsFingerprint.slice(0, 20)}…, now ${settingsFingerprint(config).slice(0, 20)}…: components, D4AI_ENABLE_WHEN, exclusions, opt-out tag, policy assignment, management group, cap, ARM endpoint or pricings API version differ); nothing was applied.`);
  }
  return plan;
}

function shapeOf(value: unknown, source: string): SavedPlan {
  const bad = (what: string): never => {
    throw new PlanFileInvalid(`${source} is not a d4ai plan: ${what}.`);
  };
  if (!isObject(value)) return bad('not a JSON object');
  if (value.schema !== PLAN_SCHEMA) return bad(`schema is ${JSON.stringify(value.schema)?.slice(0, 40)}, expected "${PLAN_SCHEMA}"`);
  for (const field of ['createdAt', 'expiresAt', 'settingsFingerprint', 'digest', 'command'] as const) {
    if (typeof value[field] !== 'string') bad(`${field} is missing`);
  }
  if (Number.isNaN(Date.parse(value.expiresAt as string)) || Number.isNaN(Date.parse(value.createdAt as string))) bad('createdAt or expiresAt is not a time');
  if (!['govern', 'sweep', 'watch'].includes(value.command as string)) bad('command is not govern, sweep or watch');
  if (!isObject(value.scope) || !isObject(value.counts)) bad('scope or counts is missing');
  if (!Array.isArray(value.subscriptions)) return bad('subscriptions is not a list');
  const seen = new Set<string>();
  value.subscriptions.forEach((entry: unknown, i: number) => {
    const where = `subscriptions[${i}]`;
    if (!isObject(entry) || typeof entry.subscriptionId !== 'string' || !isGuid(entry.subscriptionId)) return bad(`${where}.subscriptionId is not a subscription id`);
    const id = entry.subscriptionId.toLowerCase();
    if (seen.has(id)) bad(`${where} repeats subscription ${id}`);
    seen.add(id);
    if (!isObject(entry.decision) || !['enable', 'add-components'].includes(entry.decision.action as string)) return bad(`${where}.decision.action is not enable or add-components`);
    const body = entry.decision.desired;
    if (!isBody(body)) return bad(`${where}.decision.desired is not a pricing body`);
    if (body.pricingTier !== 'Standard') bad(`${where} does not set the plan to Standard`);
    if (!isObject(entry.basis) || !isObject(entry.aiResources)) bad(`${where}.basis or aiResources is missing`);
    if (entry.before !== undefined && !isSummary(entry.before)) bad(`${where}.before is not a pricing state (tier Free or Standard, extensions name -> true/false)`);
    // The invariant that holds for every governing write, checked again on the file's own terms.
    const before = entry.before as Plan['before'];
    const change = planChange(before ? snapshotOfSummary(before) : undefined, body);
    if (change.switchOff.length) bad(`${where} would switch ${change.switchOff.join(', ')} off`);
    return undefined;
  });
  return value as unknown as SavedPlan;
}

function isBody(value: unknown): value is PricingBody {
  if (!isObject(value) || (value.pricingTier !== 'Standard' && value.pricingTier !== 'Free') || !Array.isArray(value.extensions)) return false;
  const names = value.extensions.map((e: unknown) => (isObject(e) && typeof e.name === 'string' && (e.isEnabled === 'True' || e.isEnabled === 'False') ? e.name : undefined));
  return names.every((n): n is string => n !== undefined) && ExtensionSet.names(names).names().length === names.length;
}

function isSummary(value: unknown): boolean {
  return isObject(value) && (value.tier === 'Free' || value.tier === 'Standard') && isObject(value.extensions) && Object.values(value.extensions).every((v) => typeof v === 'boolean');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
