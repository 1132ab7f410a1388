import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CoverageReport } from '../../shared/engine/coverage';
import type { RemediationRecord } from '../../shared/records/record';
import { aiWriteEvent } from '../../sim/landing-zone';
import { startSimulatedLandingZone, type SimulatedLandingZone } from '../../sim/simulated-landing-zone';
import { runBuilt } from './built-cli';
import { useTempDirs } from '../support/temp-dirs';

/**
 * Issue 17, through the built CLI against the stand-in: Azure as it really behaves.
 *  - a 12,000-subscription tenant behind Resource Graph's emulated 10,000-subscription cap is
 *    covered completely;
 *  - DINE conflicts come from the built-in policies' real parameter names, with no false alarm;
 *  - no path (govern, event) writes outside D4AI_MANAGEMENT_GROUP;
 *  - the CSPM prerequisite and private-link findings appear in records and the report.
 */
const CONFIGURE = '/providers/Microsoft.Authorization/policyDefinitions/359a48a3-351a-4618-bb32-f1628645694b';
const THREAT = '/providers/Microsoft.Authorization/policyDefinitions/7e92882a-2f8a-4991-9bc4-d3147d40abb0';
const EXTRA = 12_000;

let big: SimulatedLandingZone;
let lz: SimulatedLandingZone;

beforeAll(async () => {
  [big, lz] = await Promise.all([startSimulatedLandingZone(), startSimulatedLandingZone()]);
  for (let i = 0; i < EXTRA; i++) {
    const id = `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`;
    big.arm.state.addSubscription({ subscriptionId: id, displayName: `big-${String(i).padStart(5, '0')}`, managementGroupId: 'contoso-landing-zones' });
    // AI beyond the first 10,000: what the cap used to hide.
    if (i % 1000 === 999) big.arm.state.addResource(id, { name: `oai-${i}`, type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI' });
  }
  big.arm.graph.quota = { limit: 1000, windowMs: 5000 };
}, 300_000);
afterAll(async () => {
  await Promise.all([big?.close(), lz?.close()]);
});
const tempDir = useTempDirs();

describe('a 12,000-subscription tenant behind the emulated cap', () => {
  it('sweep --dry-run covers every subscription (the cap is partitioned away) and plans every AI subscription', async () => {
    const total = big.arm.state.subscriptions.size;
    expect(total).toBeGreaterThan(12_000);
    const from = big.arm.requests.length;
    const run = await runBuilt(big, ['sweep', '--dry-run', '--json']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as { records: RemediationRecord[] };
    // Every subscription under D4AI_MANAGEMENT_GROUP (contoso): all of them in this tenant.
    expect(new Set(doc.records.map((r) => r.subscriptionId)).size).toBe(total);
    const planned = doc.records.filter((r) => r.outcome === 'dry-run').map((r) => r.subscriptionId);
    for (let i = 999; i < EXTRA; i += 1000) expect(planned).toContain(`00000000-0000-4000-9000-${String(i).padStart(12, '0')}`);
    // The stand-in said the first answer was capped; the run did not stop there.
    const graph = big.arm.requests.slice(from).filter((r) => r.path.includes('Microsoft.ResourceGraph'));
    expect(graph.some((r) => !Array.isArray((r.body as { subscriptions?: unknown }).subscriptions))).toBe(true);
    // The budget: 4·⌈N/1000⌉ + 2·⌈N/10,000⌉ + 10 Resource Graph requests, and exactly what
    // it is made of: the two set-aside capped answers (listing, policy), then per 1,000 subscriptions
    // the listing, the plans (one row per subscription), the AI resources and the policy.
    const n = total;
    expect(graph.length).toBeLessThanOrEqual(4 * Math.ceil(n / 1000) + 2 * Math.ceil(n / 10_000) + 10);
    expect(graph.length).toBe(2 + 4 * Math.ceil(n / 1000));
    // Plus the enumeration of D4AI_MANAGEMENT_GROUP's descendants (ManagementGroups_GetDescendants,
    // subscriptions and groups, 100 a page in the stand-in), once for the listing and once for the
    // policy, a page read again where a batch of 1,000 ends inside it; never Subscriptions_List.
    const since = big.arm.requests.slice(from);
    const enumerations = since.filter((r) => r.method === 'GET' && /\/descendants$/i.test(r.path)).length;
    const groups = big.arm.state.managementGroups.size;
    expect(enumerations).toBeGreaterThanOrEqual(2 * Math.ceil(n / 100));
    expect(enumerations).toBeLessThanOrEqual(2 * (Math.ceil((n + groups) / 100) + Math.ceil(n / 1000)));
    expect(since.filter((r) => r.method === 'GET' && /^\/subscriptions$/i.test(r.path))).toHaveLength(0);
    process.stdout.write(`12k dry run: ${graph.length} Resource Graph requests, ${enumerations} enumeration requests\n`);
  }, 300_000);

  it('when the scope cannot be listed to split it (descendants refused), the run fails naming the cap, the scope and what was left out, and decides nothing', async () => {
    const dir = tempDir('capped-refused');
    big.arm.faults.error(1000, 403, 'AuthorizationFailed', "The client does not have authorization to perform action 'Microsoft.Management/managementGroups/descendants/read'.", { method: 'GET', path: /\/descendants$/i });
    try {
      const run = await runBuilt(big, ['sweep', '--dry-run', '--json'], {}, dir);
      expect(run.code).toBe(1);
      const doc = JSON.parse(run.stdout) as { records: RemediationRecord[]; summary: { subscriptions: number; failed: number }; unrecorded: Array<{ code: string; message: string }> };
      // No decision on a partial view: not one record of the 10,000 Resource Graph did answer for.
      expect(doc.records).toEqual([]);
      expect(doc.summary).toMatchObject({ subscriptions: 0, failed: 1 });
      expect(doc.unrecorded).toHaveLength(1);
      const [failure] = doc.unrecorded;
      expect(failure?.code).toBe('ResourceGraphSubscriptionLimit');
      expect(failure?.message).toContain('first 10,000 subscriptions only (x-ms-tenant-subscription-limit-hit: true) for management group contoso;');
      expect(failure?.message).toContain('an unknown number of the subscriptions beyond the first 10,000 were left out');
      expect(failure?.message).toContain('Listing the descendants of management group contoso (ManagementGroups_GetDescendants), to query the scope in parts under the cap, failed: AuthorizationFailed');
    } finally {
      big.arm.faults.clear();
    }
  }, 120_000);
});

describe('the built-in policies by their real parameters', () => {
  it('an agreeing 359a48a3 and 7e92882a raise nothing; isAIPromptEvidenceEnabled "false" is named with its value', async () => {
    const { state } = lz.arm;
    const ids = lz.zone.ids;
    state.addPolicyAssignment(ids['corp-ai-dev'], { name: 'agrees', displayName: 'Agrees with the governor', policyDefinitionId: CONFIGURE, parameters: { effect: { value: 'DeployIfNotExists' }, isAIPromptEvidenceEnabled: { value: 'true' }, isAIPromptSharingWithPurviewEnabled: { value: 'true' } }, withIdentity: true, definitionVersion: '1.*.*' });
    state.addPolicyAssignment(ids['corp-ai-dev'], { name: 'threat', displayName: 'Threat protection', policyDefinitionId: THREAT, withIdentity: true });
    state.addPolicyAssignment(ids['ml-platform'], { name: 'evidence-off', displayName: 'Prompt evidence off', policyDefinitionId: CONFIGURE, parameters: { isAIPromptEvidenceEnabled: { value: 'false' } }, withIdentity: true, definitionVersion: '1.*.*' });
    // With Purview sharing wanted, the landing zone's Deploy-MDFC-Config agrees too: only the real disagreement is left.
    const env = { D4AI_COMPONENTS: 'AIPromptEvidence,AIPromptSharingWithPurview,AIModelScanner' };
    const run = await runBuilt(lz, ['report', '--json'], env);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as CoverageReport;
    const conflicts = report.rows.flatMap((r) => r.findings.filter((f) => f.type === 'dine-conflict').map((f) => ({ sub: r.subscriptionId, message: f.message })));
    expect(conflicts).toEqual([
      {
        sub: ids['ml-platform'],
        message:
          'Policy assignment Prompt evidence off (Configure Microsoft Defender threat protection for AI Services 1.1.0) sets isAIPromptEvidenceEnabled = "false", which turns AIPromptEvidence off; D4AI_COMPONENTS includes it.',
      },
    ]);
  }, 180_000);
});

describe('one scope for every path', () => {
  let outside = '';
  beforeAll(() => {
    const { state } = lz.arm;
    state.addManagementGroup('fabrikam');
    outside = '00000000-0000-4000-a000-00000000f001';
    state.addSubscription({ subscriptionId: outside, displayName: 'fabrikam-ai', managementGroupId: 'fabrikam' });
    state.addResource(outside, { name: 'oai-fabrikam', type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI' });
  });
  const putsTo = (id: string) => lz.arm.requestsMatching('PUT').filter((r) => r.path.toLowerCase().includes(id));

  it('govern records skip out-of-scope naming D4AI_MANAGEMENT_GROUP and writes nothing', async () => {
    const run = await runBuilt(lz, ['govern', '--subscription', outside, '--json', '--yes']);
    expect(run.code).toBe(0);
    const record = JSON.parse(run.stdout) as RemediationRecord;
    expect(record).toMatchObject({ action: 'skip', skipReason: 'out-of-scope' });
    expect(record.reasons.join(' ')).toContain('D4AI_MANAGEMENT_GROUP=contoso');
    expect(putsTo(outside)).toHaveLength(0);
  }, 120_000);

  it('an Event Grid event for a new account there records the same and writes nothing', async () => {
    const file = path.join(tempDir('evt'), 'event.json');
    fs.writeFileSync(file, JSON.stringify([aiWriteEvent(outside, 'oai-fabrikam')]));
    const run = await runBuilt(lz, ['event', file, '--json', '--yes']);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { records: RemediationRecord[] };
    expect(out.records).toEqual([expect.objectContaining({ subscriptionId: outside, action: 'skip', skipReason: 'out-of-scope' })]);
    expect(putsTo(outside)).toHaveLength(0);
  }, 120_000);

  it('a subscription moved out of the management group stops being governed at the next pass', async () => {
    const moved = lz.zone.ids['corp-ai-dev'];
    lz.arm.state.placeSubscription(moved, 'fabrikam');
    const run = await runBuilt(lz, ['sweep', '--json', '--yes']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as { records: RemediationRecord[] };
    expect(doc.records.some((r) => r.subscriptionId === moved)).toBe(false);
    expect(putsTo(moved)).toHaveLength(0);
    lz.arm.state.placeSubscription(moved, 'contoso-landing-zones');
  }, 180_000);

  it('a saved plan applied after its subscription moved out of the management group writes nothing there and records skip out-of-scope', async () => {
    const moved = lz.zone.ids['corp-ai-dev'];
    const dir = tempDir('moved-plan');
    const planFile = path.join(dir, 'plan.json');
    const saved = await runBuilt(lz, ['sweep', '--dry-run', '--out', planFile], {}, dir);
    expect({ code: saved.code, stderr: saved.code === 0 ? '' : saved.stderr }).toEqual({ code: 0, stderr: '' });
    const plan = JSON.parse(fs.readFileSync(planFile, 'utf8')) as { subscriptions: Array<{ subscriptionId: string }> };
    expect(plan.subscriptions.map((s) => s.subscriptionId)).toContain(moved);
    lz.arm.state.placeSubscription(moved, 'fabrikam');
    const from = lz.arm.requests.length;
    try {
      const run = await runBuilt(lz, ['apply', planFile, '--json'], {}, dir);
      // The scope of every write in the plan is read again in one Resource Graph request, not one per write.
      expect(lz.arm.requests.slice(from).filter((r) => r.path.includes('Microsoft.ResourceGraph'))).toHaveLength(1);
      expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
      const doc = JSON.parse(run.stdout) as { records: RemediationRecord[] };
      const record = doc.records.find((r) => r.subscriptionId === moved);
      expect(record).toMatchObject({ action: 'skip', skipReason: 'out-of-scope' });
      expect(record?.reasons.join(' ')).toContain('is not under D4AI_MANAGEMENT_GROUP=contoso');
      expect(record?.reasons.join(' ')).toContain('read again before applying the saved plan');
      expect(putsTo(moved)).toHaveLength(0);
      // Whatever else the plan holds (after the sweep above, possibly nothing) is still in scope.
      expect(doc.records.filter((r) => r.subscriptionId !== moved && r.skipReason === 'out-of-scope')).toEqual([]);
    } finally {
      lz.arm.state.placeSubscription(moved, 'contoso-landing-zones');
    }
  }, 180_000);
});

describe('the prerequisites of AI model security', () => {
  it('a pricing write refused for permissions (403) names the role the guidance requires', async () => {
    const { state } = lz.arm;
    const sub = '00000000-0000-4000-a000-00000000f403';
    state.addSubscription({ subscriptionId: sub, displayName: 'corp-ai-locked', managementGroupId: 'contoso-landing-zones' });
    state.addResource(sub, { name: 'oai-locked', type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI' });
    lz.arm.faults.error(1, 403, 'AuthorizationFailed', `The client does not have authorization to perform action 'Microsoft.Security/pricings/write' over scope '/subscriptions/${sub}'.`, { method: 'PUT', subscriptionId: sub });
    try {
      const run = await runBuilt(lz, ['govern', '--subscription', sub, '--yes', '--json']);
      expect(run.code).toBe(1);
      const record = JSON.parse(run.stdout) as RemediationRecord;
      expect(record).toMatchObject({ outcome: 'failed', error: { code: 'AuthorizationFailed' } });
      expect(record.error?.message).toContain('Owner or Contributor on the subscription');
      expect(record.error?.message).toContain('Grant Security Admin on the subscription or D4AI_MANAGEMENT_GROUP');
      expect(state.getPricing(sub, 'AI')?.pricingTier ?? 'Free').toBe('Free');
    } finally {
      lz.arm.faults.clear();
    }
  }, 120_000);

  it('CSPM Free and a private-link workspace: findings in the records and in the report, not counted as scanned', async () => {
    const { state } = lz.arm;
    const sub = lz.zone.ids['corp-ai-prod'];
    state.addResource(sub, { name: 'ml-private', type: 'Microsoft.MachineLearningServices/workspaces', properties: { publicNetworkAccess: 'Disabled', privateEndpointConnections: [{ id: 'pe-1' }] } });
    state.addResource(sub, { name: 'ml-open', type: 'Microsoft.MachineLearningServices/workspaces', properties: { publicNetworkAccess: 'Enabled' } });
    const dry = await runBuilt(lz, ['sweep', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    const record = (JSON.parse(dry.stdout) as { records: RemediationRecord[] }).records.find((r) => r.subscriptionId === sub);
    expect(record?.findings?.map((f) => f.type)).toEqual(expect.arrayContaining(['model-scan-needs-cspm', 'model-scan-private-link']));
    expect(record?.findings?.find((f) => f.type === 'model-scan-private-link')?.resourceId).toMatch(/ml-private$/);

    const report = JSON.parse((await runBuilt(lz, ['report', '--json'])).stdout) as CoverageReport;
    const row = report.rows.find((r) => r.subscriptionId === sub);
    expect(row?.findings.map((f) => f.type)).toEqual(expect.arrayContaining(['model-scan-needs-cspm', 'model-scan-private-link']));
    expect(row?.modelScanProtected).toBe(0);
    expect(report.planScope.doesNotProtect).toMatch(/Foundry agents.*Agent 365/);
    // The cost estimate says it is before the plan's trial, in the data and on the page a security lead forwards.
    expect(report.planScope.trial).toMatch(/30-day trial covering up to 75 billion tokens/);
    const page = path.join(tempDir('coverage'), 'coverage.html');
    expect((await runBuilt(lz, ['report', '--html', page])).code).toBe(0);
    const html = fs.readFileSync(page, 'utf8');
    expect(html).toContain('30-day trial covering up to 75 billion tokens');
    expect(html).toMatch(/Not protected: Foundry agents[^<]*Agent 365/);

    // With Defender CSPM on, the public workspace counts as scanned; the private-link one never does.
    state.setPricing(sub, 'CloudPosture', { pricingTier: 'Standard' });
    const after = JSON.parse((await runBuilt(lz, ['report', '--json'])).stdout) as CoverageReport;
    const rowAfter = after.rows.find((r) => r.subscriptionId === sub);
    expect(rowAfter?.findings.map((f) => f.type)).not.toContain('model-scan-needs-cspm');
    expect(rowAfter?.modelScanProtected).toBe(rowAfter?.tier === 'Standard' ? 1 : 0);

    const text = await runBuilt(lz, ['report']);
    expect(text.stdout).toContain('model-scan-private-link');
    expect(text.stdout).toMatch(/not protected: +Foundry agents/);
  }, 240_000);
});
