/**
 * The Resource Graph part of the stand-in, through the real @azure/arm-resourcegraph client: the
 * KQL subset and nothing more, scopes, paging, truncation, the per-user quota and a stale index.
 */
import { ResourceGraphClient, type QueryRequest } from '@azure/arm-resourcegraph';
import { isRestError, type RestError } from '@azure/core-rest-pipeline';
import { startStandIns, type StandIns } from '../../sim/stand-ins';
import { armCall } from '../support/arm-http';

let s: StandIns;
let client: ResourceGraphClient;
const SUBS = Array.from({ length: 12 }, (_, i) => `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`);

beforeAll(async () => {
  s = await startStandIns({ graphPageSize: 5 });
  client = new ResourceGraphClient(s.credential, s.clientOptions);
});
afterAll(() => s.close());
beforeEach(() => {
  s.arm.reset();
  s.arm.graph.quota = { limit: 1000, windowMs: 5000 };
  s.arm.state.addManagementGroup('contoso');
  s.arm.state.addManagementGroup('corp', { parent: 'contoso' });
  SUBS.forEach((id, i) => {
    s.arm.state.addSubscription({ subscriptionId: id, displayName: `sub-${i}`, managementGroupId: i < 4 ? 'corp' : i < 8 ? 'contoso' : undefined });
    if (i % 3 === 0) s.arm.state.addResource(id, { name: `oai-${i}`, type: 'Microsoft.CognitiveServices/accounts', kind: i === 9 ? 'SpeechServices' : 'OpenAI' });
  });
});

const query = (q: string, extra: Partial<QueryRequest> = {}) => client.resources({ query: q, ...extra, options: { resultFormat: 'objectArray', ...(extra.options ?? {}) } });
const error = async (p: Promise<unknown>): Promise<RestError> => {
  const e = await p.catch((x: unknown) => x);
  if (!isRestError(e)) throw new Error(`expected a RestError, got ${String(e)}`);
  return e;
};

it('answers the subset: where =~ / in~ joined with and, project of the table columns', async () => {
  const result = await query("resources | where type =~ 'microsoft.cognitiveservices/accounts' and kind in~ ('openai') | project id, kind, subscriptionId");
  expect(result.totalRecords).toBe(3);
  expect((result.data as Array<Record<string, unknown>>).map((r) => Object.keys(r).sort())).toEqual(Array(3).fill(['id', 'kind', 'subscriptionId']));
  // Types are lower case in the index, as Resource Graph has them.
  const types = await query("resources | where kind =~ 'openai' | project type");
  expect((types.data as Array<{ type: string }>)[0]?.type).toBe('microsoft.cognitiveservices/accounts');
});

it.each([
  ["resources | where type =~ 'a' or type =~ 'b'", '"or" is not supported'],
  ["resources | extend x = 1", 'operator "extend"'],
  ["resources | summarize count() by type", 'operator "summarize"'],
  ["resources | where properties.state =~ 'x'", 'not a column'],
  ["resources | project id, upper = toupper(name)", 'computed column'],
  ["resources | limit 3", 'operator "limit"'],
  ['unknowntable', "Table 'unknowntable'"],
  // The join: leftouter only, one, on projected rows, with a known right table.
  ["securityresources | project id, subscriptionId | join kind=inner (securityresources | project subscriptionId, name) on subscriptionId", 'only kind=leftouter'],
  ["securityresources | project id, subscriptionId | join (securityresources | project subscriptionId, name) on subscriptionId", 'without kind= (innerunique)'],
  ["securityresources | join kind=leftouter (securityresources | project subscriptionId, name) on subscriptionId", 'needs a project before it'],
  ["securityresources | project id, subscriptionId | join kind=leftouter (securityresources | where name =~ 'AI') on subscriptionId", 'right side of a join needs a project'],
  [
    "securityresources | project id, subscriptionId | join kind=leftouter (securityresources | project subscriptionId | join kind=leftouter (resources | project subscriptionId) on subscriptionId) on subscriptionId",
    'a join inside a join',
  ],
  ["securityresources | project id, subscriptionId | join kind=leftouter (nosuchtable | project subscriptionId) on subscriptionId", "Table 'nosuchtable'"],
  ["securityresources | project id, subscriptionId | join kind=leftouter (securityresources | project subscriptionId) on $left.subscriptionId == $right.subscriptionId", 'not a column'],
  ["securityresources | project id, tier = tostring(name)", 'computed column'],
  ["securityresources | project id, tier = tostring(name.first)", 'only a property path of a dynamic column'],
  ["securityresources | project id, subscriptionId | where name =~ 'AI'", 'after project only the projected columns exist'],
])('rejects %p with 400 InvalidQuery', async (q, message) => {
  const e = await error(query(q));
  expect(e.statusCode).toBe(400);
  expect(e.code).toBe('InvalidQuery');
  expect(e.message).toContain(message);
});

describe('join kind=leftouter, as Kusto answers it', () => {
  const PRICINGS = "securityresources | where type =~ 'microsoft.security/pricings'";
  const rows = async (q: string, extra: Partial<QueryRequest> = {}): Promise<Array<Record<string, unknown>>> => {
    const all: Array<Record<string, unknown>> = [];
    let skipToken: string | undefined;
    do {
      const page = await query(q, { ...extra, options: { ...(skipToken ? { skipToken } : {}) } });
      all.push(...(page.data as Array<Record<string, unknown>>));
      skipToken = page.skipToken;
    } while (skipToken);
    return all;
  };

  it('one row per left row with the right columns; a duplicate name from the right gets the suffix 1', async () => {
    s.arm.state.setPricing(SUBS[1] as string, 'CloudPosture', { pricingTier: 'Standard' });
    const q = `${PRICINGS} and name =~ 'AI' | project id, subscriptionId | join kind=leftouter (${PRICINGS} and name =~ 'CloudPosture' | project subscriptionId, tier = tostring(properties.pricingTier)) on subscriptionId`;
    const result = await rows(q, { subscriptions: SUBS.slice(0, 3) });
    expect(result).toEqual(
      SUBS.slice(0, 3).map((sub, i) => ({ id: `/subscriptions/${sub}/providers/Microsoft.Security/pricings/AI`, subscriptionId: sub, subscriptionId1: sub, tier: i === 1 ? 'Standard' : 'Free' })),
    );
  });

  it("a left row without a match keeps its place: '' for a string column (Kusto strings have no null), null for a dynamic one", async () => {
    s.arm.state.removePricing(SUBS[2] as string, 'CloudPosture');
    const q = `${PRICINGS} and name =~ 'AI' | project id, subscriptionId | join kind=leftouter (${PRICINGS} and name =~ 'CloudPosture' | project subscriptionId, tier = tostring(properties.pricingTier), properties) on subscriptionId | project id, tier, properties`;
    const [unmatched] = await rows(q, { subscriptions: [SUBS[2] as string] });
    expect(unmatched).toEqual({ id: `/subscriptions/${SUBS[2]}/providers/Microsoft.Security/pricings/AI`, tier: '', properties: null });
    // tostring() of a property that is not there is '' too.
    const [missing] = await rows(`${PRICINGS} and name =~ 'AI' | project id, nothing = tostring(properties.noSuchProperty)`, { subscriptions: [SUBS[0] as string] });
    expect(missing).toEqual({ id: expect.stringMatching(/pricings\/AI$/), nothing: '' });
  });

  it('pages the joined rows by id with $skipToken, and a where after the join filters on the joined columns', async () => {
    s.arm.state.setPricing(SUBS[7] as string, 'CloudPosture', { pricingTier: 'Standard' });
    const q = `${PRICINGS} and name =~ 'AI' | project id, subscriptionId | join kind=leftouter (${PRICINGS} and name =~ 'CloudPosture' | project subscriptionId, tier = tostring(properties.pricingTier)) on subscriptionId`;
    const first = await query(q);
    expect(first.count).toBe(5);
    expect(first.totalRecords).toBe(SUBS.length);
    expect(first.skipToken).toBeDefined();
    const all = await rows(q);
    expect(all.map((r) => r.subscriptionId)).toEqual([...SUBS].sort());
    expect(await rows(`${q} | where tier == 'Standard' | project id, subscriptionId`)).toEqual([{ id: expect.stringContaining(SUBS[7] as string), subscriptionId: SUBS[7] }]);
  });
});

it('pages with $skipToken (at most the page size per request) and refuses a token of another query', async () => {
  const q = "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' | project id, subscriptionId";
  const first = await query(q, { options: { top: 1000 } });
  expect(first.count).toBe(5);
  expect(first.totalRecords).toBe(SUBS.length);
  expect(first.skipToken).toBeDefined();
  const second = await query(q, { options: { skipToken: first.skipToken } });
  expect((second.data as unknown[]).length).toBe(5);
  const e = await error(query('resources | project id', { options: { skipToken: first.skipToken } }));
  expect(e.statusCode).toBe(400);
});

it('truncates a result larger than a page when id is not projected (no stable paging), as the service does', async () => {
  const result = await query('resourcecontainers | project name');
  expect(result.resultTruncated).toBe('true');
  expect(result.skipToken).toBeUndefined();
});

it('scopes to management groups (with their children), explicit subscriptions (at most 1,000), or the tenant', async () => {
  const ids = async (extra: Partial<QueryRequest>): Promise<string[]> => {
    const rows: string[] = [];
    let skipToken: string | undefined;
    do {
      const page = await query("resourcecontainers | where type =~ 'microsoft.resources/subscriptions' | project id, subscriptionId", { ...extra, options: { ...(skipToken ? { skipToken } : {}) } });
      rows.push(...(page.data as Array<{ subscriptionId: string }>).map((r) => r.subscriptionId));
      skipToken = page.skipToken;
    } while (skipToken);
    return rows.sort();
  };
  expect(await ids({ managementGroups: ['contoso'] })).toEqual(SUBS.slice(0, 8));
  expect(await ids({ managementGroups: ['corp'] })).toEqual(SUBS.slice(0, 4));
  expect(await ids({ subscriptions: [SUBS[10] as string] })).toEqual([SUBS[10]]);
  expect(await ids({})).toEqual(SUBS);
  const tooMany = await error(query('resources | project id', { subscriptions: Array.from({ length: 1001 }, (_, i) => `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`) }));
  expect(tooMany.statusCode).toBe(400);
  expect(tooMany.message).toContain('At most 1000 subscriptions');
});

it('subscriptions carry their management-group ancestry, nearest first, up to the tenant root group', async () => {
  const result = await query("resourcecontainers | where type =~ 'microsoft.resources/subscriptions' and name =~ 'sub-0' | project id, properties");
  const [row] = result.data as Array<{ properties: { managementGroupAncestorsChain: Array<{ name: string }> } }>;
  expect(row?.properties.managementGroupAncestorsChain.map((a) => a.name)).toEqual(['corp', 'contoso', '72f988bf-86f1-41af-91ab-2d7cd011db47']);
});

it('policy resources assigned at a management group above the scope come with AtScopeAboveAndBelow only', async () => {
  const assignment = '/providers/Microsoft.Management/managementGroups/contoso';
  s.arm.state.addPolicyAssignment(SUBS[0] as string, { name: 'audit', policyDefinitionId: '/providers/Microsoft.Authorization/policyDefinitions/x', scope: assignment });
  const q = "policyresources | where type =~ 'microsoft.authorization/policyassignments' | project id, subscriptionId, properties";
  expect((await query(q, { managementGroups: ['corp'] })).totalRecords).toBe(0);
  expect((await query(q, { managementGroups: ['corp'], options: { authorizationScopeFilter: 'AtScopeAboveAndBelow' } })).totalRecords).toBe(1);
  expect((await query(q, { managementGroups: ['contoso'] })).totalRecords).toBe(1);
});

it('reports the per-user quota in headers and answers 429 with Retry-After past it', async () => {
  s.arm.graph.quota = { limit: 2, windowMs: 60_000 };
  const headers: Array<string | undefined> = [];
  for (let i = 0; i < 2; i++) {
    await client.resources({ query: 'resources | project id' }, { onResponse: (r) => headers.push(r.headers.get('x-ms-user-quota-remaining')) });
  }
  expect(headers).toEqual(['1', '0']);
  const raw = await fetchStatus();
  expect(raw.status).toBe(429);
  expect(Number(raw.retryAfter)).toBeGreaterThan(0);
  expect(raw.resetsAfter).toMatch(/^\d{2}:\d{2}:\d{2}$/);

  async function fetchStatus(): Promise<{ status: number; retryAfter: string | undefined; resetsAfter: string | undefined }> {
    const res = await armCall(s.arm, s.identity, 'POST', '/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01', { body: { query: 'resources | project id' } });
    return { status: res.status, retryAfter: res.headers['retry-after'] as string | undefined, resetsAfter: res.headers['x-ms-user-quota-resets-after'] as string | undefined };
  }
});

it('freeze() serves a stale index while ARM moves on; thaw() catches up', async () => {
  s.arm.graph.freeze(s.arm.state);
  s.arm.state.addResource(SUBS[1] as string, { name: 'oai-late', type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI' });
  const q = "resources | where name =~ 'oai-late' | project id";
  expect((await query(q)).totalRecords).toBe(0);
  s.arm.graph.thaw();
  expect((await query(q)).totalRecords).toBe(1);
});
