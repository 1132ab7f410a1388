import * as fs from 'node:fs';
import * as path from 'node:path';
import { changeText, type PlannedChange } from '../../shared/domain/plan';
import type { SavedPlan } from '../../shared/domain/saved-plan';
import type { CoverageReport } from '../../shared/engine/coverage';
import type { RemediationRecord } from '../../shared/records/record';
import { sweepCommand } from '../../shared/cli/commands';
import { startSimulatedLandingZone, type SimulatedLandingZone } from '../../sim/simulated-landing-zone';
import { runBuilt } from './built-cli';
import { inProcess } from './in-process';
import { useTempDirs } from '../support/temp-dirs';

/**
 * Issue 15's promise, through the built CLI against the stand-in: under a Resource Graph index that
 * lags ARM (and carries no managedBy), the dry run, the terminal preview, the report and the
 * enforcing run show and make the same change for every subscription; a saved plan is applied
 * exactly as reviewed, and refused when it is stale, edited, foreign or unapproved.
 */
let lagging: SimulatedLandingZone;
let fresh: SimulatedLandingZone;

beforeAll(async () => {
  [lagging, fresh] = await Promise.all([startSimulatedLandingZone(), startSimulatedLandingZone()]);
  // The index is taken now; ARM moves on after it.
  const { state, graph } = lagging.arm;
  graph.freeze(state);
  const ids = lagging.zone.ids;
  // Another writer enabled corp-ai-prod with our components: the index still says Free.
  state.setPricing(ids['corp-ai-prod'], 'AI', { pricingTier: 'Standard', extensions: [{ name: 'AIPromptEvidence', isEnabled: 'True' }, { name: 'AIPromptSharingWithPurview', isEnabled: 'False' }, { name: 'AIModelScanner', isEnabled: 'True' }] });
  // ml-platform went Standard with prompt evidence only: ARM needs +AIModelScanner, not Free → Standard.
  state.setPricing(ids['ml-platform'], 'AI', { pricingTier: 'Standard', extensions: [{ name: 'AIPromptEvidence', isEnabled: 'True' }, { name: 'AIPromptSharingWithPurview', isEnabled: 'False' }, { name: 'AIModelScanner', isEnabled: 'False' }] });
}, 240_000);
afterAll(async () => {
  await Promise.all([lagging?.close(), fresh?.close()]);
});
const tempDir = useTempDirs();

type Changes = Record<string, string>;

function changesOf(records: readonly RemediationRecord[], outcomes: readonly string[]): Changes {
  return Object.fromEntries(records.filter((r) => outcomes.includes(r.outcome) && r.change).map((r) => [r.subscriptionId, changeText(r.change as PlannedChange)]));
}

function putsOf(lz: SimulatedLandingZone): Array<{ subscriptionId: string; body: unknown }> {
  return lz.arm.requestsMatching('PUT', /pricings\/AI$/).map((r) => ({ subscriptionId: r.path.split('/')[2] ?? '', body: r.body }));
}

describe('under a lagging index, every view of the plan agrees with the enforcing run', () => {
  const views: Record<string, Changes> = {};
  let planFile = '';

  it('the dry run plans on ARM and saves the plan; --detailed-exitcode says changes are pending', async () => {
    planFile = path.join(tempDir('plan'), 'plan.json');
    const run = await runBuilt(lagging, ['sweep', '--dry-run', '--json', '--out', planFile, '--detailed-exitcode']);
    expect(run.code).toBe(3);
    const doc = JSON.parse(run.stdout) as { records: RemediationRecord[] };
    views.dry = changesOf(doc.records, ['dry-run']);
    const ids = lagging.zone.ids;
    expect(doc.records.find((r) => r.subscriptionId === ids['managed-elsewhere'])).toMatchObject({ action: 'skip', skipReason: 'managed-elsewhere', planBasis: { source: 'arm' } });
    expect(doc.records.find((r) => r.subscriptionId === ids['corp-ai-prod'])).toMatchObject({ action: 'none', planBasis: { source: 'arm' } });
    expect(views.dry[ids['ml-platform']]).toMatch(/^Standard \+AIModelScanner/);
    expect(lagging.arm.requestsMatching('PUT')).toHaveLength(0);
    const saved = JSON.parse(fs.readFileSync(planFile, 'utf8')) as SavedPlan;
    expect(Object.fromEntries(saved.subscriptions.map((p) => [p.subscriptionId, changeText(p.decision.change as PlannedChange)]))).toEqual(views.dry);
  }, 120_000);

  it('the report shows the same changes (and managed-elsewhere as managed, not as AI without the plan)', async () => {
    const run = await runBuilt(lagging, ['report', '--json', '--detailed-exitcode']);
    expect(run.code).toBe(3);
    const report = JSON.parse(run.stdout) as CoverageReport;
    views.report = Object.fromEntries(report.rows.filter((r) => r.change).map((r) => [r.subscriptionId, changeText(r.change as PlannedChange)]));
    expect(views.report).toEqual(views.dry);
    const managed = report.rows.find((r) => r.subscriptionId === lagging.zone.ids['managed-elsewhere']);
    expect(managed?.findings.map((f) => f.type)).toContain('managed-elsewhere');
    expect(managed?.findings.map((f) => f.type)).not.toContain('ai-without-plan');
  }, 120_000);

  it('the terminal preview shows the same changes; anything but "yes" writes nothing', async () => {
    // In this process (a terminal is simulated): the credential reads the identity endpoint from process.env.
    const saved = Object.fromEntries(Object.keys(lagging.env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, lagging.env);
    const run = await inProcess({}, (ctx) => sweepCommand(ctx), { tty: true, answers: ['y'] }).finally(() => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    });
    expect({ code: run.code, stderr: run.code === 1 ? '' : run.stderr }).toEqual({ code: 1, stderr: '' });
    const shown: Changes = {};
    for (const line of run.stderr.split('\n')) {
      const m = /\(([0-9a-f-]{36})\)\s+(enable|add-components)\s+(.*)$/.exec(line.trim());
      if (m?.[1] && m[3]) shown[m[1]] = m[3].trim();
    }
    views.preview = shown;
    expect(views.preview).toEqual(views.dry);
    expect(lagging.arm.requestsMatching('PUT')).toHaveLength(0);
  }, 120_000);

  it('the enforcing run makes exactly those changes', async () => {
    const run = await runBuilt(lagging, ['sweep', '--yes', '--json']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as { records: RemediationRecord[] };
    views.enforce = changesOf(doc.records, ['applied', 'partial']);
    expect(views.enforce).toEqual(views.dry);
    expect(putsOf(lagging).map((p) => p.subscriptionId).sort()).toEqual(Object.keys(views.dry ?? {}).sort());
    expect(putsOf(lagging).some((p) => p.subscriptionId === lagging.zone.ids['managed-elsewhere'])).toBe(false);
  }, 120_000);

  it('the saved plan, applied after that run, is stale everywhere: nothing written, exit 3 with --detailed-exitcode', async () => {
    const before = putsOf(lagging).length;
    const run = await runBuilt(lagging, ['apply', planFile, '--json', '--detailed-exitcode']);
    expect(run.code).toBe(3);
    const doc = JSON.parse(run.stdout) as { records: RemediationRecord[]; planDigest: string };
    expect(doc.records.length).toBeGreaterThan(0);
    expect(doc.records.every((r) => r.outcome === 'plan-stale' && r.planDigest === doc.planDigest)).toBe(true);
    expect(doc.records[0]?.reasons.join(' ')).toContain('the plan changed since it was made');
    expect(putsOf(lagging)).toHaveLength(before);
  }, 120_000);
});

describe('a saved plan is applied exactly as reviewed, and only then', () => {
  let planFile = '';
  let saved: SavedPlan;

  beforeAll(async () => {
    planFile = path.join(tempDir('plan'), 'plan.json');
    const run = await runBuilt(fresh, ['sweep', '--dry-run', '--out', planFile]);
    expect(run.code).toBe(0);
    saved = JSON.parse(fs.readFileSync(planFile, 'utf8')) as SavedPlan;
    expect(saved.counts.writes).toBeGreaterThan(0);
  }, 120_000);

  it('an enforcing sweep off a terminal without --yes is refused: exit 2, nothing read or written', async () => {
    const run = await runBuilt(fresh, ['sweep']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--yes');
    expect(putsOf(fresh)).toHaveLength(0);
  }, 60_000);

  it('an edited plan is bad input (exit 2), a plan made under other settings is refused (exit 1), report mode applies nothing (exit 2)', async () => {
    const edited = path.join(path.dirname(planFile), 'edited.json');
    const tampered = structuredClone(saved);
    const first = tampered.subscriptions[0];
    if (first?.decision.desired) first.decision.desired.extensions = first.decision.desired.extensions.map((e) => ({ ...e, isEnabled: 'True' as const }));
    fs.writeFileSync(edited, JSON.stringify(tampered));
    const editedRun = await runBuilt(fresh, ['apply', edited]);
    expect(editedRun.code).toBe(2);
    expect(editedRun.stderr).toContain('was changed after it was made');
    const foreign = await runBuilt(fresh, ['apply', planFile], { D4AI_COMPONENTS: 'AIPromptEvidence' });
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toContain('made under other settings');
    const report = await runBuilt(fresh, ['--dry-run', 'apply', planFile]);
    expect(report.code).toBe(2);
    expect(putsOf(fresh)).toHaveLength(0);
  }, 120_000);

  it('d4ai apply writes exactly the reviewed bodies, each record carrying the digest; revert undoes that apply', async () => {
    const run = await runBuilt(fresh, ['apply', planFile, '--json']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as { records: RemediationRecord[]; planDigest: string; applyId: string };
    expect(doc.planDigest).toBe(saved.digest);
    const puts = putsOf(fresh);
    expect(puts.map((p) => p.subscriptionId).sort()).toEqual(saved.subscriptions.map((p) => p.subscriptionId).sort());
    for (const plan of saved.subscriptions) {
      const sent = puts.find((p) => p.subscriptionId === plan.subscriptionId)?.body as { properties?: unknown } | undefined;
      expect(sent?.properties).toEqual(plan.decision.desired);
    }
    expect(doc.records.every((r) => r.planDigest === saved.digest && ['applied', 'partial'].includes(r.outcome))).toBe(true);
    const revert = await runBuilt(fresh, ['revert', '--run', doc.applyId, '--yes', '--json']);
    expect(revert.code).toBe(0);
    const reverted = JSON.parse(revert.stdout) as { records: RemediationRecord[] };
    // Every subscription the apply wrote (applied, or partial where a region lacks the scanner) is put back.
    expect(reverted.records.filter((r) => r.outcome === 'applied').map((r) => r.subscriptionId).sort()).toEqual(doc.records.map((r) => r.subscriptionId).sort());
  }, 180_000);
});
