import type { GraphScope } from '../azure/resource-graph.adapter';
import type { Config } from '../config';
import { isInspectableAccount, optedOutAccounts, protectedAiResources } from '../domain/accounts';
import { isWrite, skipBeforeReading, type SkipReason } from '../domain/decide';
import { ExtensionSet, isKnownExtension } from '../domain/extension-set';
import type { PlannedChange } from '../domain/plan';
import { FINDING_TYPES, modelScanCovered, type Finding, type FindingType } from '../domain/findings';
import type { AiResource } from '../domain/model';
import type { RunScope } from '../records/record';
import { errorInfo } from './errors';
import type { Ports } from './ports';
import { eachLimited, planPass, runScope, scopeFromConfig } from './snapshot-pass';

/**
 * `d4ai report`: coverage across the estate, read-only. One Resource Graph snapshot (a page of
 * subscriptions at a time, as a sweep reads it), the accounts of the subscriptions that have
 * Azure OpenAI / AI Services accounts read one by one (opt-outs, content filters), every
 * subscription decided as the governor would (no write, no record, no lease), and per
 * subscription: its AI resources by type, the plan and its components, how covered it is, and the
 * findings (domain/findings.ts). With `tokens`, the last 30 days' token volume per account from
 * Azure Monitor and, with D4AI_PRICE_PER_MILLION_TOKENS, what the plan would cost a month.
 */

/** How covered a subscription is: the plan on with everything wanted, partly, not at all, nothing to cover, or out of scope. */
export type Coverage = 'protected' | 'partial' | 'unprotected' | 'unknown' | 'no-ai' | 'out-of-scope';

export const COVERAGE_STATES: readonly Coverage[] = ['protected', 'partial', 'unprotected', 'unknown', 'no-ai', 'out-of-scope'];

export interface CoverageRow {
  subscriptionId: string;
  subscriptionName?: string;
  coverage: Coverage;
  /** Why it is out of scope, or what the governor would do. */
  decision: string;
  /** What the governor's plan would change (a write only): the same plan a dry run shows. */
  change?: PlannedChange;
  skipReason?: SkipReason;
  aiResources: number;
  /** AI resources by short type: openai, aiservices, project, ml-workspace, ml-registry. */
  aiResourcesByType: Record<string, number>;
  /** AI resources the plan protects now (Standard, not in an opted-out account). */
  protectedAiResources: number;
  /**
   * Machine Learning workspaces and registries AI model security actually scans: AIModelScanner on,
   * Defender CSPM not Free, not private link. Those without CSPM or behind private link are not counted.
   */
  modelScanProtected: number;
  tier: 'Free' | 'Standard' | 'not offered' | 'unknown';
  components: string[];
  findings: Finding[];
  /** Tokens over the last 30 days (report --tokens); absent when not asked or not published. */
  tokens30d?: number;
  /** tokens30d / 1e6 × D4AI_PRICE_PER_MILLION_TOKENS, when both are known. */
  estimatedMonthlyCost?: number;
  /** Reads that failed for this subscription (the row is still shown, with what is known). */
  problems: string[];
}

export interface CoverageReport {
  generatedAt: string;
  scope: RunScope;
  mode: Config['mode'];
  rows: CoverageRow[];
  /** What the AI services plan protects, and what it no longer does (so the report never implies more). */
  planScope: typeof PLAN_SCOPE;
  totals: {
    subscriptions: number;
    byCoverage: Record<Coverage, number>;
    aiResources: number;
    protectedAiResources: number;
    modelScanProtected: number;
    findings: Record<FindingType, number>;
    tokens30d?: number;
    estimatedMonthlyCost?: number;
    pricePerMillionTokens?: number;
  };
}

export interface CoverageOptions {
  scope?: GraphScope;
  tokens?: boolean;
  onProgress?: (decided: number, total?: number) => void;
}

export const TOKEN_WINDOW_DAYS = 30;

/**
 * What Defender for AI Services covers, as of 2026-07-01: its models and their calls; not Foundry
 * agents, whose discovery, posture and threat protection need a Microsoft Agent 365 licence. The
 * cost estimate is before the plan's 30-day trial (the first 75 billion tokens).
 */
export const PLAN_SCOPE = {
  protects: 'Foundry models and their calls: Azure OpenAI and model inference (threat protection, prompt evidence), and AI model security scans of Machine Learning workspaces and registries (with Defender CSPM).',
  doesNotProtect: "Foundry agents: since 2026-07-01 their discovery, posture and threat protection need a Microsoft Agent 365 licence; this report does not count agents as protected.",
  trial: 'A subscription enabling the plan gets a 30-day trial covering up to 75 billion tokens; the cost estimate does not deduct it.',
} as const;

export async function coverageReport(ports: Ports, config: Config, options: CoverageOptions = {}): Promise<CoverageReport> {
  const scope = options.scope ?? scopeFromConfig(config);
  const now = ports.clock();
  const rows: CoverageRow[] = [];
  // The same tenant pass as a sweep's: plans refreshed from ARM where the snapshot's decision is a
  // write, so the report says what the enforcing run will see (a plan managed elsewhere, a lagging index).
  for await (const page of planPass(ports, config, scope, { inspectAll: true })) {
    await eachLimited(page.planned, config.sweepConcurrency, async ({ entry, context, nomination }) => {
      const early = skipBeforeReading(entry.subscription, config);
      const decision = nomination.decision;
      const problems = (context.accounts ?? []).flatMap((a) => a.problems);
      const pricing = context.pricing;
      const tier: CoverageRow['tier'] = !pricing ? 'not offered' : pricing.notIndexed ? 'unknown' : pricing.tier;
      const protectedNow = tier === 'Standard' ? protectedAiResources(context).length : 0;
      const row: CoverageRow = {
        subscriptionId: entry.subscription.subscriptionId,
        ...(entry.subscription.displayName ? { subscriptionName: entry.subscription.displayName } : {}),
        coverage: early ? 'out-of-scope' : coverageOf(context.aiResources.length, tier, decision.missingComponents.length, optedOutAccounts(context.accounts).length),
        decision: decision.action + (decision.skipReason ? ` (${decision.skipReason})` : ''),
        ...(decision.skipReason ? { skipReason: decision.skipReason } : {}),
        ...(isWrite(decision) && decision.change ? { change: decision.change } : {}),
        aiResources: context.aiResources.length,
        aiResourcesByType: byType(context.aiResources),
        protectedAiResources: protectedNow,
        modelScanProtected: early ? 0 : modelScanCovered(context).length,
        tier,
        components: pricing?.tier === 'Standard' ? ExtensionSet.ofPlan(pricing).on().filter(isKnownExtension) : [],
        findings: decision.findings ?? [],
        problems,
      };
      if (options.tokens && !early) await addTokens(ports, config, row, context.aiResources.filter(isInspectableAccount), now);
      rows.push(row);
    });
    options.onProgress?.(rows.length, page.total);
  }
  rows.sort((a, b) => (a.subscriptionName ?? '\uffff').localeCompare(b.subscriptionName ?? '\uffff') || a.subscriptionId.localeCompare(b.subscriptionId));
  return { generatedAt: now.toISOString(), scope: runScope(scope), mode: config.mode, rows, planScope: PLAN_SCOPE, totals: totalsOf(rows, config) };
}

function coverageOf(aiResources: number, tier: CoverageRow['tier'], missing: number, optedOut: number): Coverage {
  if (aiResources === 0) return 'no-ai';
  // Resource Graph has no row for the plan yet (a new subscription): not seen, so not claimed either way.
  if (tier === 'unknown') return 'unknown';
  if (tier !== 'Standard') return 'unprotected';
  return missing > 0 || optedOut > 0 ? 'partial' : 'protected';
}

const SHORT_TYPES: Array<[string, string | undefined, string]> = [
  ['microsoft.cognitiveservices/accounts', 'openai', 'openai'],
  ['microsoft.cognitiveservices/accounts', 'aiservices', 'aiservices'],
  ['microsoft.cognitiveservices/accounts/projects', undefined, 'project'],
  ['microsoft.machinelearningservices/workspaces', undefined, 'ml-workspace'],
  ['microsoft.machinelearningservices/registries', undefined, 'ml-registry'],
];

function byType(resources: readonly AiResource[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of resources) {
    const type = r.type.toLowerCase();
    const kind = r.kind?.toLowerCase();
    const short = SHORT_TYPES.find(([t, k]) => t === type && (k === undefined || k === kind))?.[2] ?? type;
    counts[short] = (counts[short] ?? 0) + 1;
  }
  return counts;
}

async function addTokens(ports: Ports, config: Config, row: CoverageRow, accounts: readonly AiResource[], now: Date): Promise<void> {
  if (accounts.length === 0) return;
  const from = new Date(now.getTime() - TOKEN_WINDOW_DAYS * 86_400_000);
  let total = 0;
  let published = false;
  for (const account of accounts) {
    try {
      const volume = await ports.metrics.tokenVolume(account.id, from, now);
      if (volume) {
        published = true;
        total += volume.tokens;
      }
    } catch (error) {
      row.problems.push(`token metrics of ${account.id.split('/').pop() ?? account.id} could not be read (${errorInfo(error).code}); needs Microsoft.Insights/metrics/read (Monitoring Reader).`);
    }
  }
  if (!published) return;
  row.tokens30d = total;
  if (config.pricePerMillionTokens !== undefined) row.estimatedMonthlyCost = Math.round((total / 1_000_000) * config.pricePerMillionTokens * 100) / 100;
}

function totalsOf(rows: readonly CoverageRow[], config: Config): CoverageReport['totals'] {
  const byCoverage = Object.fromEntries(COVERAGE_STATES.map((c) => [c, 0])) as Record<Coverage, number>;
  const findings = Object.fromEntries(FINDING_TYPES.map((f) => [f, 0])) as Record<FindingType, number>;
  let aiResources = 0;
  let protectedNow = 0;
  let modelScan = 0;
  let tokens: number | undefined;
  let cost: number | undefined;
  for (const row of rows) {
    byCoverage[row.coverage]++;
    aiResources += row.aiResources;
    protectedNow += row.protectedAiResources;
    modelScan += row.modelScanProtected;
    for (const f of row.findings) findings[f.type]++;
    if (row.tokens30d !== undefined) tokens = (tokens ?? 0) + row.tokens30d;
    if (row.estimatedMonthlyCost !== undefined) cost = Math.round(((cost ?? 0) + row.estimatedMonthlyCost) * 100) / 100;
  }
  return {
    subscriptions: rows.length,
    byCoverage,
    aiResources,
    protectedAiResources: protectedNow,
    modelScanProtected: modelScan,
    findings,
    ...(tokens !== undefined ? { tokens30d: tokens } : {}),
    ...(cost !== undefined ? { estimatedMonthlyCost: cost } : {}),
    ...(config.pricePerMillionTokens !== undefined ? { pricePerMillionTokens: config.pricePerMillionTokens } : {}),
  };
}
