/**
 * Read surfaces of the ARM stand-in, driven by the real SDK clients the product uses:
 * subscriptions (paged), resources with a resourceType filter, policy assignments; plus the
 * generic ARM behaviours (401 challenge, api-version checks, unknown routes).
 */
import { PolicyClient } from '@azure/arm-policy';
import { ResourceManagementClient } from '@azure/arm-resources';
import { SubscriptionClient } from '@azure/arm-resources-subscriptions';
import { RestError } from '@azure/core-rest-pipeline';
import { armCall, armErrorOf } from '../support/arm-http';
import { startStandIns, type StandIns } from '../../sim/stand-ins';

const SUB = '11111111-1111-1111-1111-111111111111';

async function collect<T>(iter: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iter) out.push(item);
  return out;
}

describe('ARM stand-in: read surfaces', () => {
  let s: StandIns;

  beforeAll(async () => {
    s = await startStandIns({ pageSize: 2 });
  });
  afterAll(() => s.close());
  beforeEach(() => {
    s.arm.reset();
    s.arm.state.addSubscription({ subscriptionId: SUB, displayName: 'ai-prod', tags: { env: 'prod' } });
  });

  it('lists subscriptions across pages with SubscriptionClient', async () => {
    for (let i = 0; i < 4; i++) s.arm.state.addSubscription({ displayName: `extra-${i}`, state: i === 0 ? 'Disabled' : 'Enabled' });
    const client = new SubscriptionClient(s.credential, s.clientOptions);
    const subs = await collect(client.subscriptions.list());
    expect(subs).toHaveLength(5);
    expect(subs[0]).toMatchObject({ subscriptionId: SUB, displayName: 'ai-prod', state: 'Enabled', tags: { env: 'prod' }, id: `/subscriptions/${SUB}` });
    expect(subs.filter((x) => x.state === 'Disabled')).toHaveLength(1);
    const pages = s.arm.requestsMatching('GET', /^\/subscriptions$/);
    expect(pages).toHaveLength(3);
    expect(pages.every((r) => r.authorized && r.status === 200)).toBe(true);
    expect(pages[1]?.query.$skiptoken).toBeDefined();
  });

  it('gets one subscription and answers 404 SubscriptionNotFound for an unknown one', async () => {
    const client = new SubscriptionClient(s.credential, s.clientOptions);
    expect((await client.subscriptions.get(SUB)).displayName).toBe('ai-prod');
    const err = await client.subscriptions.get('99999999-0000-0000-0000-000000000000').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestError);
    expect((err as RestError).statusCode).toBe(404);
    expect((err as RestError).code).toBe('SubscriptionNotFound');
  });

  it('filters resources by type (case-insensitive) and pages them with ResourceManagementClient', async () => {
    const st = s.arm.state;
    st.addResource(SUB, { name: 'oai-1', type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI' });
    st.addResource(SUB, { name: 'oai-1/proj', type: 'Microsoft.CognitiveServices/accounts/projects' });
    st.addResource(SUB, { name: 'ws-1', type: 'Microsoft.MachineLearningServices/workspaces', tags: { team: 'ml' } });
    st.addResource(SUB, { name: 'vm-1', type: 'Microsoft.Compute/virtualMachines' });
    const client = new ResourceManagementClient(s.credential, SUB, s.clientOptions);
    const filter =
      "resourceType eq 'microsoft.cognitiveservices/accounts' or resourceType eq 'Microsoft.CognitiveServices/accounts/projects'  or  resourceType eq 'Microsoft.MachineLearningServices/workspaces'";
    const found = await collect(client.resources.list({ filter }));
    expect(found.map((r) => r.name).sort()).toEqual(['oai-1', 'oai-1/proj', 'ws-1']);
    expect(found.find((r) => r.name === 'oai-1')).toMatchObject({ kind: 'OpenAI', location: 'eastus' });
    expect(found.find((r) => r.name === 'oai-1/proj')?.id).toBe(
      `/subscriptions/${SUB}/resourceGroups/rg-ai/providers/Microsoft.CognitiveServices/accounts/oai-1/projects/proj`,
    );
    expect(s.arm.requestsMatching('GET', /\/resources$/)).toHaveLength(2); // pageSize 2 -> 2 pages
    expect(s.arm.requestsMatching('GET', /\/resources$/)[0]?.query['api-version']).toBe('2025-04-01');
  });

  it('rejects a resources filter it does not understand', async () => {
    const client = new ResourceManagementClient(s.credential, SUB, s.clientOptions);
    const err = await collect(client.resources.list({ filter: "substringof('ai', name)" })).catch((e: unknown) => e);
    expect((err as RestError).statusCode).toBe(400);
    expect((err as RestError).code).toBe('InvalidFilterInQueryString');
  });

  it('lists policy assignments with PolicyClient and atScope()', async () => {
    const st = s.arm.state;
    st.addPolicyAssignment(SUB, { name: 'at-sub', policyDefinitionId: '/providers/Microsoft.Authorization/policyDefinitions/d1', parameters: { effect: { value: 'DeployIfNotExists' } }, withIdentity: true });
    st.addPolicyAssignment(SUB, { name: 'at-mg', policyDefinitionId: '/providers/Microsoft.Authorization/policyDefinitions/d2', scope: '/providers/Microsoft.Management/managementGroups/root' });
    st.addPolicyAssignment(SUB, { name: 'at-rg', policyDefinitionId: '/providers/Microsoft.Authorization/policyDefinitions/d3', scope: `/subscriptions/${SUB}/resourceGroups/rg1` });
    const client = new PolicyClient(s.credential, SUB, s.clientOptions);
    const atScope = await collect(client.policyAssignments.list({ filter: 'atScope()' }));
    expect(atScope.map((a) => a.name).sort()).toEqual(['at-mg', 'at-sub']);
    const sub = atScope.find((a) => a.name === 'at-sub');
    expect(sub).toMatchObject({ enforcementMode: 'Default', parameters: { effect: { value: 'DeployIfNotExists' } }, scope: `/subscriptions/${SUB}` });
    expect(sub?.identity?.type).toBe('SystemAssigned');
    expect(await collect(client.policyAssignments.list())).toHaveLength(3);
    expect(s.arm.requestsMatching('GET', /policyAssignments$/)[0]?.query['api-version']).toBe('2025-03-01');
  });

  it('lists policy exemptions (expired ones included unless excludeExpired())', async () => {
    const st = s.arm.state;
    st.addExemption(SUB, { name: 'live', policyAssignmentId: '/a/1', expiresOn: new Date(Date.now() + 86400000).toISOString() });
    st.addExemption(SUB, { name: 'expired', policyAssignmentId: '/a/1', exemptionCategory: 'Mitigated', expiresOn: '2020-01-01T00:00:00Z' });
    st.addExemption(SUB, { name: 'rg-only', policyAssignmentId: '/a/2', scope: `/subscriptions/${SUB}/resourceGroups/rg1` });
    const base = `/subscriptions/${SUB}/providers/Microsoft.Authorization/policyExemptions?api-version=2022-07-01-preview`;
    const atScope = await armCall(s.arm, s.identity, 'GET', `${base}&$filter=atScope()`);
    expect(atScope.status).toBe(200);
    const value = (atScope.body as { value: Array<{ name: string; type: string; properties: { exemptionCategory: string } }> }).value;
    expect(value.map((e) => e.name)).toEqual(['live', 'expired']);
    expect(value[1]).toMatchObject({ type: 'Microsoft.Authorization/policyExemptions', properties: { exemptionCategory: 'Mitigated' } });
    const live = await armCall(s.arm, s.identity, 'GET', `${base}&$filter=atScope() and excludeExpired()`);
    expect((live.body as { value: Array<{ name: string }> }).value.map((e) => e.name)).toEqual(['live']);
    const byAssignment = await armCall(s.arm, s.identity, 'GET', `${base}&$filter=${encodeURIComponent("policyAssignmentId eq '/a/2'")}`);
    expect((byAssignment.body as { value: Array<{ name: string }> }).value.map((e) => e.name)).toEqual(['rg-only']);
  });

  it('answers 401 with a Bearer challenge for missing or foreign tokens', async () => {
    const path = `/subscriptions/${SUB}?api-version=2022-12-01`;
    const missing = await armCall(s.arm, s.identity, 'GET', path, { token: null });
    expect(missing.status).toBe(401);
    expect(String(missing.headers['www-authenticate'])).toMatch(/^Bearer authorization_uri=".*", error="invalid_token"/);
    const foreign = await armCall(s.arm, s.identity, 'GET', path, { token: s.identity.issueToken('https://management.azure.com') });
    expect(armErrorOf(foreign)?.code).toBe('InvalidAuthenticationToken');
    expect(s.arm.requests.every((r) => r.authorized === false && r.status === 401)).toBe(true);
    expect(missing.headers['x-ms-request-id']).toBeTruthy();
    expect(missing.headers['x-ms-correlation-request-id']).toBeTruthy();
  });

  it('checks api-version and unknown routes like ARM', async () => {
    const wrong = await armCall(s.arm, s.identity, 'GET', `/subscriptions/${SUB}?api-version=2016-06-01`);
    expect(wrong.status).toBe(400);
    expect(armErrorOf(wrong)?.code).toBe('InvalidApiVersionParameter');
    const missing = await armCall(s.arm, s.identity, 'GET', `/subscriptions/${SUB}`);
    expect(armErrorOf(missing)?.code).toBe('MissingApiVersionParameter');
    const unknown = await armCall(s.arm, s.identity, 'GET', `/subscriptions/${SUB}/providers/Microsoft.Nope/things?api-version=2024-01-01`);
    expect(unknown.status).toBe(404);
    expect(armErrorOf(unknown)?.code).toBe('InvalidResourceType');
  });
});
