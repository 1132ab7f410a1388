import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { GlobalFlags, SettingFlags } from '../../shared/cli/context';
import { inProcess, useLandingZoneProcess, type Command, type Run } from './in-process';
import { useTempDirs } from '../support/temp-dirs';
import { eventCommand, governCommand, sweepCommand, watchOnceCommand } from '../../shared/cli/commands';
import { recordsCommand, runsCommand, type RecordsOptions } from '../../shared/cli/history.commands';
import { revertCommand } from '../../shared/cli/revert.command';
import { configCommand } from '../../shared/cli/config.command';
import type { RemediationRecord, SweepSummaryRecord } from '../../shared/records/record';
import { aiWriteEvent, buildLandingZone, type LandingZone, type LandingZoneName } from '../../sim/landing-zone';
import type { SimulatedLandingZone } from '../../sim/simulated-landing-zone';

/**
 * The operator's side of the CLI (plan, confirm, scope, revert, runs, records, --settings, config,
 * output formats, progress), through the same runCommand and commands the d4ai binary runs (its
 * argument parsing is tested on the built binary in d4ai.cli.test.ts), in this process so a
 * terminal can be simulated: real SDK clients over HTTPS to the ARM stand-in, tokens from the
 * identity stand-in, records in Azurite.
 */
const lab = useLandingZoneProcess();
const tempDir = useTempDirs();
let lz: SimulatedLandingZone;
let zone: LandingZone;

beforeEach(() => {
  lz = lab.lz;
  lz.arm.reset();
  lz.arm.graph.quota = { limit: 1000, windowMs: 5000 };
  zone = buildLandingZone(lz.arm.state);
  process.env.D4AI_RECORDS_TABLE = `Ops${randomUUID().replace(/-/g, '').slice(0, 12)}`;
});

/** One d4ai command in this process, with its global flags; `terminal` answers its questions when it is one. */
const d4ai = (flags: GlobalFlags, command: Command, terminal: { tty?: boolean; stderrTty?: boolean; answers?: string[]; onAsk?: (question: string) => void } = {}, settings: SettingFlags = {}): Promise<Run> =>
  inProcess(flags, command, { ...terminal, settings });

const sweep = (subscriptions?: string): Command => (ctx) => sweepCommand(ctx, subscriptions);
const govern = (id: string): Command => (ctx) => governCommand(ctx, id);
const event = (file: string): Command => (ctx) => eventCommand(ctx, file);
const records = (options: Partial<RecordsOptions>): Command => (ctx) => recordsCommand(ctx, { limit: '20', ...options });
const revert = (run: string): Command => (ctx) => revertCommand(ctx, { run });
const runs: Command = (ctx) => runsCommand(ctx, { limit: '20' });
const config: Command = (ctx) => configCommand(ctx);

const puts = () => lz.arm.requestsMatching('PUT', /pricings\/AI$/i);
const tierOf = (name: LandingZoneName) => lz.arm.state.getPricing(zone.ids[name], 'AI')?.pricingTier;
const extensionsOf = (name: LandingZoneName) => Object.fromEntries((lz.arm.state.getPricing(zone.ids[name], 'AI')?.extensions ?? []).map((e) => [e.name, e.isEnabled]));
const WRITERS: LandingZoneName[] = ['corp-ai-prod', 'corp-ai-dev', 'ml-platform', 'purview-already-on', 'flaky-scanner'];

describe('plan', () => {
  it('a dry run shows and stores the exact body and the per-extension change; --changes-only shows only what would change', async () => {
    const run = await d4ai({ dryRun: true, changesOnly: true }, sweep());
    expect(run.code).toBe(0);
    expect(puts()).toHaveLength(0);
    // The plan is refreshed from ARM before it is shown (issue 15): one GET of the AI pricing per write
    // candidate of the Resource Graph snapshot, which carries no managedBy: the 5 writers, plus
    // managed-elsewhere and all-opted-out, which the refresh (and the account reads) turn into skips.
    const refreshed = lz.arm.requestsMatching('GET', /pricings\/AI$/i).map((r) => r.path.split('/')[2]?.toLowerCase());
    expect(refreshed.sort()).toEqual(([...WRITERS, 'managed-elsewhere', 'all-opted-out'] as LandingZoneName[]).map((n) => zone.ids[n].toLowerCase()).sort());
    const rows = run.stdout.split('\n\n')[0]?.split('\n') ?? [];
    // Header + one row per subscription that would change (some rows wrap), sorted by display name.
    expect(rows[0]).toMatch(/^SUBSCRIPTION\s+ACTION\s+OUTCOME\s+CHANGE$/);
    const named = rows.slice(1).filter((l) => /^\S/.test(l)).map((l) => l.split(' ')[0]);
    expect(named).toEqual([...WRITERS].sort());
    expect(run.stdout).toContain(`corp-ai-prod (${zone.ids['corp-ai-prod']})`);
    expect(run.stdout).toMatch(/Free → Standard \+AIPromptEvidence \+AIModelScanner/);
    expect(run.stdout).toMatch(/Standard \+AIModelScanner \(AIPromptEvidence, AIPromptSharingWithPurview\s+kept\s+on\)/);
    expect(run.stdout).toMatch(/changes planned \(nothing written\): Free → Standard=3 \+AIPromptEvidence=3 \+AIModelScanner=5/);

    const listed = await d4ai({ json: true }, records({ subscription: zone.ids['corp-ai-prod'] }));
    const [record] = JSON.parse(listed.stdout) as RemediationRecord[];
    expect(record).toMatchObject({
      mode: 'report',
      outcome: 'dry-run',
      desired: { pricingTier: 'Standard', extensions: [{ name: 'AIPromptEvidence', isEnabled: 'True' }, { name: 'AIPromptSharingWithPurview', isEnabled: 'False' }, { name: 'AIModelScanner', isEnabled: 'True' }] },
      change: { tier: { from: 'Free', to: 'Standard' }, switchOn: ['AIPromptEvidence', 'AIModelScanner'], staysOff: ['AIPromptSharingWithPurview'] },
    });
  });
});

describe('confirm before an enforcing run on a terminal', () => {
  it('shows the plan and writes nothing unless the answer is yes', async () => {
    const no = await d4ai({}, sweep(), { tty: true, answers: ['n'] });
    expect(no.code).toBe(1);
    expect(no.asked).toHaveLength(1);
    expect(no.asked[0]).toMatch(/Apply these 5 changes \(D4AI_MODE=enforce\)\?/);
    // The plan and the answer are for the person at the terminal: stderr; stdout has only results.
    expect(no.stderr).toMatch(/Plan: 5 subscription\(s\) would change/);
    expect(no.stderr).toContain('Nothing was changed.');
    expect(no.stdout).toBe('');
    expect(puts()).toHaveLength(0);

    // The prompt says "Type yes": a "y" is not consent to a tenant-wide write.
    const y = await d4ai({}, sweep(), { tty: true, answers: ['y'] });
    expect(y.code).toBe(1);
    expect(y.asked).toHaveLength(1);
    expect(y.stderr).toContain('Nothing was changed.');
    expect(puts()).toHaveLength(0);

    const yes = await d4ai({}, sweep(), { tty: true, answers: ['yes'] });
    expect(yes.code).toBe(0);
    expect(tierOf('corp-ai-prod')).toBe('Standard');
  });

  it('applies the plan it showed: one that goes stale before its write is recorded plan-stale and not written', async () => {
    // While the person reads the plan, someone switches Purview sharing on in corp-ai-dev themselves.
    const onAsk = (): void =>
      void lz.arm.state.setPricing(zone.ids['corp-ai-dev'], 'AI', {
        pricingTier: 'Standard',
        extensions: [
          { name: 'AIPromptEvidence', isEnabled: 'True' },
          { name: 'AIPromptSharingWithPurview', isEnabled: 'True' },
          { name: 'AIModelScanner', isEnabled: 'False' },
        ],
      });
    const run = await d4ai({ json: true }, sweep(), { tty: true, answers: ['yes'], onAsk });
    expect(run.asked).toHaveLength(1);
    const document = JSON.parse(run.stdout) as { records: RemediationRecord[] };
    const byId = new Map(document.records.map((r) => [r.subscriptionId, r]));
    const stale = byId.get(zone.ids['corp-ai-dev']);
    expect(stale).toMatchObject({ outcome: 'plan-stale', mode: 'enforce', planDigest: expect.stringMatching(/^sha256:/) });
    // The record names what changed since the plan was shown.
    expect(stale?.reasons.join(' ')).toContain('AIPromptSharingWithPurview is on, was off');
    expect(puts().filter((r) => r.path.includes(zone.ids['corp-ai-dev']))).toEqual([]);
    // What the person set is left as they set it; the other confirmed plans are written.
    expect(extensionsOf('corp-ai-dev')).toEqual({ AIPromptEvidence: 'True', AIPromptSharingWithPurview: 'True', AIModelScanner: 'False' });
    expect(tierOf('corp-ai-prod')).toBe('Standard');
    expect(puts()).toHaveLength(WRITERS.length - 1);
  });

  it('writes only what was confirmed: a write that appears while the question is open is recorded as a dry run', async () => {
    // While the person reads the plan, an Azure OpenAI account appears in "identity".
    const onAsk = (): void => void lz.arm.state.addResource(zone.ids.identity, { name: 'oai-late', type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI', resourceGroup: 'rg-late' });
    const run = await d4ai({ json: true }, sweep(), { tty: true, answers: ['yes'], onAsk });
    expect(run.code).toBe(0);
    expect(tierOf('corp-ai-prod')).toBe('Standard');
    expect(tierOf('identity')).toBe('Free');
    const document = JSON.parse(run.stdout) as { records: RemediationRecord[] };
    const late = document.records.find((r) => r.subscriptionId === zone.ids.identity);
    expect(late).toMatchObject({ action: 'enable', outcome: 'dry-run', mode: 'enforce' });
    expect(late?.reasons.join(' ')).toContain('Not in the plan confirmed at the start of this run');
  });

  it('a write that appears while the question is open takes no slot under the cap from a confirmed one', async () => {
    const onAsk = (): void => void lz.arm.state.addResource(zone.ids.identity, { name: 'oai-late', type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI', resourceGroup: 'rg-late' });
    // Exactly the five confirmed writes fit under the cap.
    const run = await inProcess({ json: true }, sweep(), { tty: true, answers: ['yes'], onAsk, env: { D4AI_MAX_ENABLEMENTS_PER_RUN: '5' } });
    expect(run.code).toBe(0);
    const document = JSON.parse(run.stdout) as { records: RemediationRecord[] };
    const outcomes = Object.fromEntries(document.records.map((r) => [r.subscriptionId, r.outcome]));
    for (const name of WRITERS) expect({ name, outcome: outcomes[zone.ids[name]] }).toEqual({ name, outcome: expect.stringMatching(/^(applied|partial)$/) });
    expect(outcomes[zone.ids.identity]).toBe('dry-run');
  });

  it('started from a terminal with stderr redirected (nobody can be asked): refuses to write without --yes', async () => {
    const run = await d4ai({}, sweep(), { tty: true, stderrTty: false, answers: ['yes'] });
    expect(run.code).toBe(2);
    expect(run.asked).toEqual([]);
    expect(run.stderr).toContain('stderr is redirected: add --yes');
    expect(puts()).toHaveLength(0);
    const yes = await d4ai({ yes: true }, sweep(), { tty: true, stderrTty: false });
    expect(yes.code).toBe(0);
    expect(tierOf('corp-ai-prod')).toBe('Standard');
  });

  it('asks even when stdout is redirected (--json > file), and stdout stays one JSON document', async () => {
    const run = await d4ai({ json: true }, sweep(), { tty: true, answers: ['yes'] });
    expect(run.code).toBe(0);
    expect(run.asked).toHaveLength(1);
    const document = JSON.parse(run.stdout) as { records: RemediationRecord[]; summary: SweepSummaryRecord };
    expect(document.records.filter((r) => r.outcome === 'applied' || r.outcome === 'partial')).toHaveLength(5);
    expect(run.stderr).toMatch(/Plan: 5 subscription\(s\) would change/);
  });

  it('--yes does not ask; off a terminal (scripts, CI) an enforcing run without --yes is refused (exit 2) and writes nothing', async () => {
    const withYes = await d4ai({ yes: true }, govern(zone.ids['corp-ai-prod']), { tty: true });
    expect(withYes.asked).toEqual([]);
    expect(tierOf('corp-ai-prod')).toBe('Standard');

    const putsBefore = puts().length;
    for (const command of [govern(zone.ids['ml-platform']), sweep(), (ctx: Parameters<Command>[0]) => watchOnceCommand(ctx)]) {
      const script = await d4ai({}, command);
      expect(script.code).toBe(2);
      expect(script.asked).toEqual([]);
      expect(script.stderr).toContain('An enforcing run off a terminal writes only when approved: add --yes');
    }
    expect(puts()).toHaveLength(putsBefore);
    expect(tierOf('ml-platform')).toBe('Free');

    const scripted = await d4ai({ yes: true }, govern(zone.ids['ml-platform']));
    expect(scripted.code).toBe(0);
    expect(scripted.asked).toEqual([]);
    expect(tierOf('ml-platform')).toBe('Standard');
  });

  it('event off a terminal follows the same rule: refused without --yes (exit 2) before anything is read, written with it', async () => {
    // A new Azure OpenAI account in "identity", the subscription's first AI resource.
    lz.arm.state.addResource(zone.ids.identity, { name: 'oai-new', type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI', resourceGroup: 'rg-new-ai' });
    const file = path.join(tempDir('event'), 'event.json');
    fs.writeFileSync(file, JSON.stringify(aiWriteEvent(zone.ids.identity, 'oai-new')));
    const refused = await d4ai({}, event(file));
    expect(refused.code).toBe(2);
    expect(refused.asked).toEqual([]);
    expect(refused.stderr).toContain('An enforcing run off a terminal writes only when approved: add --yes');
    expect(lz.arm.requests).toEqual([]);
    expect(tierOf('identity')).toBe('Free');

    const approved = await d4ai({ yes: true }, event(file));
    expect(approved.code).toBe(0);
    expect(puts()).toHaveLength(1);
    expect(tierOf('identity')).toBe('Standard');
  });

  it("an event's resource id that ARM's list does not show yet counts once a GET of that exact id answers", async () => {
    // List lag: the account exists (a GET by id finds it) but the list API does not show it yet.
    lz.arm.state.addResource(zone.ids.identity, { name: 'oai-lagging', type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI', resourceGroup: 'rg-new-ai', listed: false });
    const file = path.join(tempDir('event'), 'event.json');
    fs.writeFileSync(file, JSON.stringify(aiWriteEvent(zone.ids.identity, 'oai-lagging')));
    const run = await d4ai({ yes: true }, event(file));
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('found no such resource');
    expect(puts()).toHaveLength(1);
    expect(tierOf('identity')).toBe('Standard');
  });
});

describe('scope', () => {
  it('--subscription limits a sweep to those subscriptions; the scope is in the first line and the summary', async () => {
    const ids = [zone.ids['corp-ai-prod'], zone.ids.identity];
    const run = await d4ai({ json: true, yes: true }, sweep(ids.join(',')));
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as { records: RemediationRecord[]; summary: SweepSummaryRecord };
    expect(doc.records.map((r) => r.subscriptionId).sort()).toEqual([...ids].sort());
    expect(doc.summary.scope).toEqual({ subscriptions: ids });
    const firstProgress = JSON.parse(run.stderr.split('\n').find((l) => l.includes('"progress"')) ?? '{}') as { progress: string };
    expect(firstProgress.progress).toContain(`Sweeping subscriptions ${ids.join(', ')}`);
    expect(puts()).toHaveLength(1);
  });

  it('a bad --subscription list is a usage error, as JSON with --json', async () => {
    const run = await d4ai({ json: true }, sweep(`${zone.ids.identity},not-a-guid`));
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toEqual({ error: { code: 'UsageError', message: '--subscription must be a subscription id (GUID), got "not-a-guid".', exitCode: 2 } });
  });
});

describe('revert', () => {
  it('puts back what a sweep changed where nothing changed since, says what changed elsewhere, and records it all', async () => {
    const swept = JSON.parse((await d4ai({ json: true, yes: true }, sweep())).stdout) as { summary: SweepSummaryRecord };
    const sweepId = swept.summary.sweepId;
    expect(tierOf('corp-ai-prod')).toBe('Standard');
    // Someone switched Purview on in ml-platform after the sweep: that one must be left alone.
    lz.arm.state.setPricing(zone.ids['ml-platform'], 'AI', {
      pricingTier: 'Standard',
      extensions: [
        { name: 'AIPromptEvidence', isEnabled: 'True' },
        { name: 'AIPromptSharingWithPurview', isEnabled: 'True' },
        { name: 'AIModelScanner', isEnabled: 'True' },
      ],
    });

    const unattended = await d4ai({}, revert(sweepId));
    expect(unattended.code).toBe(2);
    expect(unattended.stderr).toContain('--yes');

    const putsBefore = puts().length;
    const dry = await d4ai({ dryRun: true }, revert(sweepId));
    expect(dry.code).toBe(0);
    expect(puts().length).toBe(putsBefore);
    expect(dry.stdout).toMatch(/corp-ai-prod .*revert\s+dry-run\s+Standard → Free -AIPromptEvidence -AIModelScanner/);

    const asked = await d4ai({}, revert(sweepId), { tty: true, answers: ['yes'] });
    expect(asked.asked[0]).toMatch(/Revert 4 subscription\(s\) to the state before run/);
    expect(asked.code).toBe(0);
    expect(tierOf('corp-ai-prod')).toBe('Free');
    expect(extensionsOf('corp-ai-dev')).toEqual({ AIPromptEvidence: 'True', AIPromptSharingWithPurview: 'False', AIModelScanner: 'False' });
    // purview-already-on had Purview on before the sweep: it stays on.
    expect(extensionsOf('purview-already-on')).toEqual({ AIPromptEvidence: 'True', AIPromptSharingWithPurview: 'True', AIModelScanner: 'False' });
    expect(tierOf('ml-platform')).toBe('Standard');
    expect(asked.stdout).toMatch(/ml-platform .*skip \(changed-since\)/);
    expect(asked.stdout).toContain('AIPromptSharingWithPurview is on, that run left it off');

    const latest = JSON.parse((await d4ai({ json: true }, records({ subscription: zone.ids['corp-ai-prod'], limit: '1' }))).stdout) as RemediationRecord[];
    expect(latest[0]).toMatchObject({ trigger: 'revert', action: 'revert', outcome: 'applied', triggerDetail: { revertOf: sweepId }, pricingAfter: { tier: 'Free' } });
    // Who reverted: the ids in the CLI's token (the identity stand-in issues an application's token: oid, appid, idtyp app).
    expect(latest[0]?.actor).toEqual({ objectId: expect.stringMatching(/^[0-9a-f-]{36}$/), appId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    // The revert's records are one run of their own.
    const revertId = latest[0]?.triggerDetail?.revertId ?? '';
    const ofRevert = JSON.parse((await d4ai({ json: true }, records({ run: revertId }))).stdout) as RemediationRecord[];
    expect(ofRevert.map((r) => r.subscriptionId).sort()).toEqual(WRITERS.map((n) => zone.ids[n]).sort());
  });

  it('a run with nothing applied is refused, naming the run', async () => {
    const run = await d4ai({ yes: true }, revert('sweep-1999-01-01'));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Run sweep-1999-01-01 has no applied record');
  });
});

describe('runs and records', () => {
  it('runs lists sweeps and watch passes; records --run lists one run across subscriptions; --since and csv work', async () => {
    await d4ai({ dryRun: true }, sweep());
    await d4ai({ dryRun: true }, (ctx) => watchOnceCommand(ctx));
    const listedRuns = await d4ai({}, runs);
    const lines = listedRuns.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^STARTED \(UTC\)\s+KIND\s+ID\s+TRIGGER\s+ACTOR\s+MODE\s+SCOPE\s+SUBSCRIPTIONS\s+OUTCOMES\s+FAILED$/);
    // A row starts with its time; a long cell (the scope) may wrap onto a line of its own below.
    const rows = lines.slice(1).filter((l) => /^\d{4}-\d{2}-\d{2} /.test(l));
    expect(rows.map((l) => l.split(/\s{2,}/)[1])).toEqual(['watch', 'sweep']);
    // Who ran them: the object id in the CLI's own token (the identity stand-in's), never a name.
    expect(rows.map((l) => l.split(/\s{2,}/)[4])).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/), expect.stringMatching(/^[0-9a-f-]{36}$/)]);
    const summaries = JSON.parse((await d4ai({ json: true }, runs)).stdout) as Array<{ kind: string; sweepId?: string }>;
    const sweepId = summaries.find((s) => s.kind === 'sweep-summary')?.sweepId ?? '';

    const ofRun = await d4ai({ output: 'csv' }, records({ run: sweepId, limit: '100' }));
    const csv = ofRun.stdout.trim().split('\n');
    expect(csv[0]).toBe('recordedAt,subscriptionName,subscriptionId,runId,trigger,mode,action,skipReason,outcome,change,before,after,aiResourceCount,errorCode,errorMessage,reasons,warnings,actorObjectId,actorAppId');
    expect(csv).toHaveLength(1 + Object.keys(zone.ids).length);

    const table = await d4ai({}, records({ subscription: zone.ids['corp-ai-prod'] }));
    expect(table.stdout.split('\n')[0]).toMatch(/^TIME \(UTC\)\s+SUBSCRIPTION\s+RUN\s+TRIGGER\s+ACTOR\s+MODE\s+ACTION\s+OUTCOME\s+CHANGE$/);
    const none = await d4ai({ json: true }, records({ subscription: zone.ids['corp-ai-prod'], since: '2999-01-01' }));
    expect(JSON.parse(none.stdout)).toEqual([]);
    const bad = await d4ai({}, records({ subscription: zone.ids['corp-ai-prod'], since: 'yesterday' }));
    expect(bad.code).toBe(2);
  });
});

describe("the deployed app's settings on a laptop", () => {
  const dir = tempDir('settings');

  it('--settings reads local.settings.json Values and decides with them; config names every source', async () => {
    const file = path.join(dir, 'local.settings.json');
    fs.writeFileSync(file, JSON.stringify({ IsEncrypted: false, Values: { AzureWebJobsStorage: 'UseDevelopmentStorage=true', D4AI_MODE: 'report', D4AI_EXCLUDED_SUBSCRIPTIONS: zone.ids['corp-ai-prod'] } }));
    const run = await d4ai({ json: true, settings: file }, govern(zone.ids['corp-ai-prod']));
    expect(JSON.parse(run.stdout)).toMatchObject({ mode: 'report', action: 'skip', skipReason: 'excluded' });
    expect(puts()).toHaveLength(0);

    const shown = JSON.parse((await d4ai({ json: true, settings: file }, config, {}, { managementGroup: 'contoso-corp' })).stdout) as { settings: Array<{ name: string; value: string; source: string }> };
    const source = (name: string) => shown.settings.find((s) => s.name === name);
    expect(source('D4AI_MODE')).toEqual({ name: 'D4AI_MODE', value: 'report', source: 'settings file' });
    expect(source('D4AI_MANAGEMENT_GROUP')).toEqual({ name: 'D4AI_MANAGEMENT_GROUP', value: 'contoso-corp', source: 'flag' });
    expect(source('D4AI_ARM_ENDPOINT')?.source).toBe('environment');
    expect(source('D4AI_SWEEP_BATCH')).toEqual({ name: 'D4AI_SWEEP_BATCH', value: '50', source: 'default' });
    // The connection string's key is masked.
    expect(source('D4AI_RECORDS_CONNECTION')?.value).toContain('AccountKey=***');
  });

  it('reads the JSON of az functionapp config appsettings list, and refuses Key Vault references naming the setting', async () => {
    const file = path.join(dir, 'appsettings.json');
    fs.writeFileSync(file, JSON.stringify([{ name: 'D4AI_MODE', value: 'report', slotSetting: false }, { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'node', slotSetting: false }]));
    const run = await d4ai({ settings: file }, config);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/D4AI_MODE\s+report\s+settings file/);
    fs.writeFileSync(file, JSON.stringify([{ name: 'D4AI_RECORDS_CONNECTION', value: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/x)' }]));
    const refused = await d4ai({ settings: file }, config);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('D4AI_RECORDS_CONNECTION is a Key Vault reference');
  });
});

describe('progress that tells the truth', () => {
  it('says how far a sweep is and when it waits for a back-off, on stderr only', async () => {
    lz.arm.faults.conflict(1, { method: 'PUT', subscriptionId: zone.ids['corp-ai-prod'] });
    const run = await d4ai({ yes: true }, sweep());
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/\[17\/17\] subscriptions decided, \d+ s elapsed/);
    expect(run.stderr).toMatch(/waiting 2 s before trying again/);
    expect(run.stdout).not.toMatch(/waiting|subscriptions decided/);
  });

  it('says when a read is throttled and the client waits out Retry-After, instead of going silent', async () => {
    lz.arm.faults.throttle(1, 2, { method: 'GET', path: /pricings\/AI$/i, subscriptionId: zone.ids['corp-ai-prod'] });
    const run = await d4ai({ dryRun: true }, govern(zone.ids['corp-ai-prod']));
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/waiting 2 s: GET to \S+ answered 429 \(throttled\); the client waits as the service asked \(Retry-After\) and retries \(attempt 2 of 4\)/);
    expect(run.stdout).not.toMatch(/waiting/);
  });

  it('one line per retry that follows, none after the last attempt (the SDK gives up then)', async () => {
    lz.arm.faults.throttle(4, 1, { method: 'GET', path: /pricings\/AI$/i, subscriptionId: zone.ids['corp-ai-prod'] });
    const run = await d4ai({ dryRun: true }, govern(zone.ids['corp-ai-prod']));
    const notices = run.stderr.split('\n').filter((l) => l.includes('answered 429'));
    expect(notices.map((l) => /attempt (\d) of 4/.exec(l)?.[1])).toEqual(['2', '3', '4']);
    expect(lz.arm.requestsMatching('GET', /pricings\/AI$/i).filter((r) => r.path.includes(zone.ids['corp-ai-prod']))).toHaveLength(4);
  });

  it('with --json, the wait is a JSON progress line on stderr', async () => {
    lz.arm.faults.throttle(1, 2, { method: 'GET', path: /pricings\/AI$/i, subscriptionId: zone.ids['corp-ai-prod'] });
    const run = await d4ai({ dryRun: true, json: true }, govern(zone.ids['corp-ai-prod']));
    expect(run.code).toBe(0);
    const lines = run.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ progress: expect.stringContaining('answered 429'), waitMs: 2000, waitingFor: 'retry', elapsedMs: expect.any(Number) }));
  });

});
