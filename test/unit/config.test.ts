import * as path from 'node:path';
import { ConfigError, DEFAULTS, isGuid, loadConfig, loadTelemetrySettings, type Config } from '../../shared/config';

const RECORDS = { D4AI_RECORDS_CONNECTION: 'UseDevelopmentStorage=true' };

/** The problems loadConfig reports for env (plus a valid records store); [] when it accepts it. */
function problemsFor(env: Record<string, string>, withRecords = true): string[] {
  try {
    loadConfig(withRecords ? { ...RECORDS, ...env } : env);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems;
  }
}

describe('loadConfig: defaults', () => {
  it('gives these exact values when only a records store is set', () => {
    expect(loadConfig({ ...RECORDS })).toEqual<Config>({
      components: ['AIPromptEvidence', 'AIModelScanner'],
      enableWhen: 'ai-resources',
      mode: 'enforce',
      excludedSubscriptions: [],
      optOutTag: 'd4ai-opt-out',
      maxEnablementsPerRun: 500,
      armEndpoint: 'https://management.azure.com',
      armScope: 'https://management.azure.com/.default',
      records: { kind: 'table', connection: 'UseDevelopmentStorage=true', table: 'RemediationRecords', source: 'D4AI_RECORDS_CONNECTION' },
      sweepConcurrency: 8,
      sweepSchedule: '0 0 2 * * *',
      watchSchedule: '0 */5 * * * *',
      sweepBatch: 50,
      activityRetry: { maxAttempts: 4, firstRetryIntervalMs: 5000, backoffCoefficient: 2 },
      httpTimeoutMs: 60000,
      pricingsApiVersion: '2026-07-01',
      adminAllowFunctionKeys: false,
    });
  });

  it('accepts the deployment\'s and the build tooling\'s D4AI_* names in the environment (CI exports D4AI_BICEP)', () => {
    expect(problemsFor({ D4AI_BICEP: '/opt/bicep', D4AI_REQUIRE_BICEP: '1', D4AI_ADMIN_CLIENT_ID: '00000000-0000-0000-0000-000000000001', D4AI_OPERATORS_GROUP_ID: 'x' })).toEqual([]);
  });

  it('serves the admin API to function keys only when D4AI_ADMIN_ALLOW_FUNCTION_KEYS is exactly true or false', () => {
    expect(loadConfig({ ...RECORDS, D4AI_ADMIN_ALLOW_FUNCTION_KEYS: 'true' }).adminAllowFunctionKeys).toBe(true);
    expect(loadConfig({ ...RECORDS, D4AI_ADMIN_ALLOW_FUNCTION_KEYS: 'false' }).adminAllowFunctionKeys).toBe(false);
    expect(problemsFor({ D4AI_ADMIN_ALLOW_FUNCTION_KEYS: 'yes' })).toEqual(['D4AI_ADMIN_ALLOW_FUNCTION_KEYS="yes" must be one of: true, false.']);
  });

  it('reads pricings at 2024-01-01 where a cloud lacks 2026-07-01, and takes the operator\'s token price', () => {
    expect(loadConfig({ ...RECORDS, D4AI_PRICINGS_API_VERSION: '2024-01-01', D4AI_PRICE_PER_MILLION_TOKENS: '0.25' })).toMatchObject({ pricingsApiVersion: '2024-01-01', pricePerMillionTokens: 0.25 });
    expect(problemsFor({ D4AI_PRICINGS_API_VERSION: '2025-01-01' }).join('\n')).toContain('D4AI_PRICINGS_API_VERSION');
    for (const bad of ['$1', '-1', '0', '1e3', 'abc']) expect(problemsFor({ D4AI_PRICE_PER_MILLION_TOKENS: bad }).join('\n')).toContain('D4AI_PRICE_PER_MILLION_TOKENS');
  });

  it('has no policyAssignmentId unless one is set', () => {
    expect(loadConfig({ ...RECORDS })).not.toHaveProperty('policyAssignmentId');
    expect(loadConfig({ ...RECORDS, D4AI_POLICY_ASSIGNMENT_ID: '   ' })).not.toHaveProperty('policyAssignmentId');
  });

  it('treats empty and blank settings as unset', () => {
    const blank = Object.fromEntries(Object.keys(DEFAULTS).map((name) => [name, name.length % 2 ? '' : '   ']));

    expect(loadConfig({ ...RECORDS, ...blank })).toEqual(loadConfig({ ...RECORDS }));
  });

  it('trims surrounding whitespace from values', () => {
    const cfg = loadConfig({ ...RECORDS, D4AI_MODE: '  report ', D4AI_MAX_ENABLEMENTS_PER_RUN: ' 12 ', D4AI_OPT_OUT_TAG: ' no-d4ai ' });

    expect([cfg.mode, cfg.maxEnablementsPerRun, cfg.optOutTag]).toEqual(['report', 12, 'no-d4ai']);
  });

  it('reads process.env when given no argument', () => {
    const names = ['D4AI_RECORDS_CONNECTION', 'D4AI_MODE'] as const;
    const saved = names.map((name) => process.env[name]);
    try {
      process.env.D4AI_RECORDS_CONNECTION = 'UseDevelopmentStorage=true';
      process.env.D4AI_MODE = 'report';
      expect(loadConfig().mode).toBe('report');
    } finally {
      names.forEach((name, i) => {
        const value = saved[i];
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      });
    }
  });
});

describe('loadConfig: accepted values', () => {
  it('normalises enum values case-insensitively', () => {
    const cfg = loadConfig({ ...RECORDS, D4AI_ENABLE_WHEN: 'ALWAYS', D4AI_MODE: 'Report' });

    expect(cfg.enableWhen).toBe('always');
    expect(cfg.mode).toBe('report');
    expect(loadConfig({ ...RECORDS, D4AI_ENABLE_WHEN: 'AI-Resources' }).enableWhen).toBe('ai-resources');
  });

  it('normalises component names to their canonical case and removes duplicates, keeping the first order', () => {
    const cfg = loadConfig({ ...RECORDS, D4AI_COMPONENTS: ' aimodelscanner, AIPromptEvidence ,AIMODELSCANNER,,AIModelScanner ' });

    expect(cfg.components).toEqual(['AIModelScanner', 'AIPromptEvidence']);
  });

  it('accepts all three components', () => {
    expect(loadConfig({ ...RECORDS, D4AI_COMPONENTS: 'AIPromptEvidence,AIPromptSharingWithPurview,AIModelScanner' }).components).toEqual([
      'AIPromptEvidence',
      'AIPromptSharingWithPurview',
      'AIModelScanner',
    ]);
  });

  it('lower-cases excluded subscription ids and skips empty entries', () => {
    const cfg = loadConfig({
      ...RECORDS,
      D4AI_EXCLUDED_SUBSCRIPTIONS: ' 0000000A-0000-0000-0000-0000000000A1 ,, 11111111-2222-3333-4444-555555555555 ,',
    });

    expect(cfg.excludedSubscriptions).toEqual(['0000000a-0000-0000-0000-0000000000a1', '11111111-2222-3333-4444-555555555555']);
  });

  it.each([
    ['https://management.usgovcloudapi.net', 'https://management.usgovcloudapi.net'],
    ['https://management.chinacloudapi.cn/', 'https://management.chinacloudapi.cn'],
    ['https://localhost:8443', 'https://localhost:8443'],
    ['HTTPS://Management.Azure.com/', 'https://management.azure.com'],
  ])('keeps the ARM endpoint %s as the origin %s and derives the token scope from it', (raw, origin) => {
    const cfg = loadConfig({ ...RECORDS, D4AI_ARM_ENDPOINT: raw });

    expect(cfg.armEndpoint).toBe(origin);
    expect(cfg.armScope).toBe(`${origin}/.default`);
  });

  it.each([
    '/providers/Microsoft.Management/managementGroups/contoso/providers/Microsoft.Authorization/policyAssignments/d4ai-audit',
    '/subscriptions/00000000-0000-0000-0000-0000000000a1/providers/Microsoft.Authorization/policyAssignments/d4ai',
    '/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg/providers/Microsoft.Authorization/policyAssignments/d4ai',
    '/providers/microsoft.management/managementgroups/contoso/providers/microsoft.authorization/policyassignments/x',
  ])('accepts the policy assignment id %s', (id) => {
    expect(loadConfig({ ...RECORDS, D4AI_POLICY_ASSIGNMENT_ID: ` ${id} ` }).policyAssignmentId).toBe(id);
  });

  it.each([
    ['D4AI_MAX_ENABLEMENTS_PER_RUN', '0', 'maxEnablementsPerRun', 0],
    ['D4AI_MAX_ENABLEMENTS_PER_RUN', '100000', 'maxEnablementsPerRun', 100000],
    ['D4AI_SWEEP_CONCURRENCY', '1', 'sweepConcurrency', 1],
    ['D4AI_SWEEP_CONCURRENCY', '64', 'sweepConcurrency', 64],
    ['D4AI_SWEEP_BATCH', '1000', 'sweepBatch', 1000],
  ] as const)('accepts %s=%s at the edge of its range', (name, value, key, expected) => {
    expect(loadConfig({ ...RECORDS, [name]: value })[key]).toBe(expected);
  });

  it('accepts retry settings at the edges of their ranges', () => {
    expect(
      loadConfig({ ...RECORDS, D4AI_RETRY_MAX_ATTEMPTS: '20', D4AI_RETRY_FIRST_INTERVAL_MS: '100', D4AI_RETRY_BACKOFF: '10' }).activityRetry,
    ).toEqual({ maxAttempts: 20, firstRetryIntervalMs: 100, backoffCoefficient: 10 });
    expect(
      loadConfig({ ...RECORDS, D4AI_RETRY_MAX_ATTEMPTS: '1', D4AI_RETRY_FIRST_INTERVAL_MS: '600000', D4AI_RETRY_BACKOFF: '1' }).activityRetry,
    ).toEqual({ maxAttempts: 1, firstRetryIntervalMs: 600000, backoffCoefficient: 1 });
  });

  it.each(['0 */30 * * * *', '0  0 2 * * 1-5', '0 0 2 * * *'])('accepts the six-field schedule %p', (schedule) => {
    expect(loadConfig({ ...RECORDS, D4AI_SWEEP_SCHEDULE: schedule }).sweepSchedule).toBe(schedule);
  });

  it.each(['Records', 'd4aiRecords2025', `R${'a'.repeat(62)}`])('accepts the table name %s', (table) => {
    expect(loadConfig({ ...RECORDS, D4AI_RECORDS_TABLE: table }).records).toMatchObject({ kind: 'table', table });
  });

  it('accepts an opt-out tag name of 512 characters with spaces and punctuation', () => {
    const name = `opt out: ${'x'.repeat(503)}`;

    expect(name).toHaveLength(512);
    expect(loadConfig({ ...RECORDS, D4AI_OPT_OUT_TAG: name }).optOutTag).toBe(name);
  });
});

describe('loadConfig: rejected values name their setting', () => {
  it.each<[string, string]>([
    ['D4AI_COMPONENTS', 'AIPromptEvidence,AIThreatProtection'],
    ['D4AI_COMPONENTS', 'none,AIModelScanner'],
    ['D4AI_ENABLE_WHEN', 'sometimes'],
    ['D4AI_ENABLE_WHEN', 'ai_resources'],
    ['D4AI_MODE', 'dry-run'],
    ['D4AI_MODE', 'audit'],
    ['D4AI_EXCLUDED_SUBSCRIPTIONS', '00000000-0000-0000-0000-0000000000a1,sandbox'],
    ['D4AI_EXCLUDED_SUBSCRIPTIONS', '00000000-0000-0000-0000-0000000000a'],
    ['D4AI_EXCLUDED_SUBSCRIPTIONS', '{00000000-0000-0000-0000-0000000000a1}'],
    ['D4AI_OPT_OUT_TAG', 'opt/out'],
    ['D4AI_OPT_OUT_TAG', 'opt<out>'],
    ['D4AI_OPT_OUT_TAG', 'opt%out'],
    ['D4AI_OPT_OUT_TAG', 'opt&out'],
    ['D4AI_OPT_OUT_TAG', 'opt\\out'],
    ['D4AI_OPT_OUT_TAG', 'opt?out'],
    ['D4AI_OPT_OUT_TAG', 'x'.repeat(513)],
    ['D4AI_MAX_ENABLEMENTS_PER_RUN', '1.5'],
    ['D4AI_MAX_ENABLEMENTS_PER_RUN', '-1'],
    ['D4AI_MAX_ENABLEMENTS_PER_RUN', 'ten'],
    ['D4AI_MAX_ENABLEMENTS_PER_RUN', '1e3'],
    ['D4AI_MAX_ENABLEMENTS_PER_RUN', '100001'],
    ['D4AI_ARM_ENDPOINT', 'management.azure.com'],
    ['D4AI_ARM_ENDPOINT', 'not a url'],
    ['D4AI_ARM_ENDPOINT', 'http://management.azure.com'],
    ['D4AI_ARM_ENDPOINT', 'https://management.azure.com/subscriptions'],
    ['D4AI_ARM_ENDPOINT', 'https://management.azure.com/?api-version=2024-01-01'],
    ['D4AI_ARM_ENDPOINT', 'https://management.azure.com/#x'],
    ['D4AI_POLICY_ASSIGNMENT_ID', 'd4ai-audit'],
    ['D4AI_POLICY_ASSIGNMENT_ID', '/subscriptions/s/providers/Microsoft.Authorization/policyDefinitions/d4ai'],
    ['D4AI_POLICY_ASSIGNMENT_ID', '/providers/Microsoft.Management/managementGroups/mg/providers/Microsoft.Authorization/policyAssignments/'],
    ['D4AI_POLICY_ASSIGNMENT_ID', '/providers/Microsoft.Management/managementGroups/mg/providers/Microsoft.Authorization/policyAssignments/a/b'],
    ['D4AI_RECORDS_TABLE', 'ab'],
    ['D4AI_RECORDS_TABLE', '1records'],
    ['D4AI_RECORDS_TABLE', 'remediation-records'],
    ['D4AI_RECORDS_TABLE', `R${'a'.repeat(63)}`],
    ['D4AI_SWEEP_SCHEDULE', '0 2 * * *'],
    ['D4AI_SWEEP_SCHEDULE', '0 0 2 * * * *'],
    ['D4AI_SWEEP_SCHEDULE', '@daily'],
    ['D4AI_SWEEP_CONCURRENCY', '0'],
    ['D4AI_SWEEP_CONCURRENCY', '65'],
    ['D4AI_SWEEP_BATCH', '0'],
    ['D4AI_SWEEP_BATCH', '1001'],
    ['D4AI_SWEEP_BATCH', 'fifty'],
    ['D4AI_RETRY_MAX_ATTEMPTS', '0'],
    ['D4AI_RETRY_MAX_ATTEMPTS', '21'],
    ['D4AI_RETRY_FIRST_INTERVAL_MS', '99'],
    ['D4AI_RETRY_FIRST_INTERVAL_MS', '600001'],
    ['D4AI_RETRY_FIRST_INTERVAL_MS', '5s'],
    ['D4AI_RETRY_BACKOFF', '0'],
    ['D4AI_RETRY_BACKOFF', '1.5'],
    ['D4AI_RETRY_BACKOFF', '11'],
  ])('%s=%p', (name, value) => {
    const problems = problemsFor({ [name]: value });

    expect(problems.length).toBeGreaterThanOrEqual(1);
    for (const problem of problems) expect(problem).toContain(name);
  });

  it.each<[string, string, string]>([
    ['D4AI_COMPONENTS', 'AIPromptEvidence,AIThreat', 'D4AI_COMPONENTS has "AIThreat"; allowed: AIPromptEvidence, AIPromptSharingWithPurview, AIModelScanner, or none.'],
    ['D4AI_ENABLE_WHEN', 'sometimes', 'D4AI_ENABLE_WHEN="sometimes" must be one of: ai-resources, always.'],
    ['D4AI_MODE', 'dry-run', 'D4AI_MODE="dry-run" must be one of: enforce, report.'],
    ['D4AI_EXCLUDED_SUBSCRIPTIONS', 'sandbox', 'D4AI_EXCLUDED_SUBSCRIPTIONS has "sandbox", which is not a subscription id (GUID).'],
    ['D4AI_OPT_OUT_TAG', 'a/b', 'D4AI_OPT_OUT_TAG="a/b" is not a valid Azure tag name.'],
    ['D4AI_MAX_ENABLEMENTS_PER_RUN', '-1', 'D4AI_MAX_ENABLEMENTS_PER_RUN="-1" must be a whole number from 0 to 100000.'],
    ['D4AI_ARM_ENDPOINT', 'nope', 'D4AI_ARM_ENDPOINT="nope" is not a URL.'],
    [
      'D4AI_ARM_ENDPOINT',
      'http://localhost:8080',
      'D4AI_ARM_ENDPOINT="http://localhost:8080" must use https (ARM bearer tokens are never sent in clear).',
    ],
    [
      'D4AI_ARM_ENDPOINT',
      'https://management.azure.com/tenants',
      'D4AI_ARM_ENDPOINT="https://management.azure.com/tenants" must be an origin only, e.g. https://management.azure.com.',
    ],
    ['D4AI_RECORDS_TABLE', 'ab', 'D4AI_RECORDS_TABLE="ab" must be 3-63 letters or digits, starting with a letter.'],
    ['D4AI_SWEEP_BATCH', '0', 'D4AI_SWEEP_BATCH="0" must be a whole number from 1 to 1000.'],
    ['D4AI_SWEEP_CONCURRENCY', '65', 'D4AI_SWEEP_CONCURRENCY="65" must be a whole number from 1 to 64.'],
    ['D4AI_RETRY_MAX_ATTEMPTS', '0', 'D4AI_RETRY_MAX_ATTEMPTS="0" must be a whole number from 1 to 20.'],
    ['D4AI_RETRY_FIRST_INTERVAL_MS', '50', 'D4AI_RETRY_FIRST_INTERVAL_MS="50" must be a whole number from 100 to 600000.'],
    ['D4AI_RETRY_BACKOFF', '11', 'D4AI_RETRY_BACKOFF="11" must be a whole number from 1 to 10.'],
  ])('%s=%p is reported as exactly one problem with this message', (name, value, message) => {
    expect(problemsFor({ [name]: value })).toEqual([message]);
  });

  it('explains the six NCRONTAB fields for a five-field cron expression', () => {
    expect(problemsFor({ D4AI_SWEEP_SCHEDULE: '0 2 * * *' })).toEqual([
      'D4AI_SWEEP_SCHEDULE="0 2 * * *" must be an NCRONTAB expression with six fields: second minute hour day month weekday, e.g. "0 0 2 * * *"; it has 5.',
    ]);
  });

  it('shows the expected shape of a policy assignment id', () => {
    const [problem] = problemsFor({ D4AI_POLICY_ASSIGNMENT_ID: 'd4ai-audit' });

    expect(problem).toBe(
      'D4AI_POLICY_ASSIGNMENT_ID="d4ai-audit" must be a policy assignment resource id, e.g. ' +
        '/providers/Microsoft.Management/managementGroups/<mg>/providers/Microsoft.Authorization/policyAssignments/<name>.',
    );
  });

  it('reports an http endpoint with a path as two problems', () => {
    expect(problemsFor({ D4AI_ARM_ENDPOINT: 'http://arm.local/api' })).toEqual([
      'D4AI_ARM_ENDPOINT="http://arm.local/api" must use https (ARM bearer tokens are never sent in clear).',
      'D4AI_ARM_ENDPOINT="http://arm.local/api" must be an origin only, e.g. https://management.azure.com.',
    ]);
  });

  it('reports every bad subscription id in the exclusion list', () => {
    expect(problemsFor({ D4AI_EXCLUDED_SUBSCRIPTIONS: 'dev, 00000000-0000-0000-0000-0000000000a1, prod' })).toEqual([
      'D4AI_EXCLUDED_SUBSCRIPTIONS has "dev", which is not a subscription id (GUID).',
      'D4AI_EXCLUDED_SUBSCRIPTIONS has "prod", which is not a subscription id (GUID).',
    ]);
  });

  it('reports several problems together in one ConfigError, in settings order', () => {
    let thrown: unknown;
    try {
      loadConfig({
        D4AI_COMPONENTS: 'AIPromptEvidence,Bogus',
        D4AI_MODE: 'yolo',
        D4AI_MAX_ENABLEMENTS_PER_RUN: '-5',
        D4AI_SWEEP_BATCH: '0',
        D4AI_RETRY_BACKOFF: 'x',
      });
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(ConfigError);
    expect(thrown).toBeInstanceOf(Error);
    const error = thrown as ConfigError;
    expect(error.name).toBe('ConfigError');
    expect(error.problems).toHaveLength(6);
    expect(error.problems.map((p) => p.split(/[=\s(]/)[0])).toEqual([
      'D4AI_COMPONENTS',
      'D4AI_MODE',
      'D4AI_MAX_ENABLEMENTS_PER_RUN',
      'D4AI_RECORDS_CONNECTION',
      'D4AI_SWEEP_BATCH',
      'D4AI_RETRY_BACKOFF',
    ]);
    expect(error.message).toBe(`Invalid configuration:\n${error.problems.map((p) => `  - ${p}`).join('\n')}`);
  });
});

describe('loadConfig: records store', () => {
  const ALL_SOURCES = {
    D4AI_RECORDS_CONNECTION: 'DefaultEndpointsProtocol=https;AccountName=d4airecords;AccountKey=a2V5;EndpointSuffix=core.windows.net',
    AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=funchost;AccountKey=a2V5;EndpointSuffix=core.windows.net',
    AzureWebJobsStorage__tableServiceUri: 'https://funcidentity.table.core.windows.net',
    AzureWebJobsStorage__accountName: 'funcaccount',
  };

  it.each<[string, string[], string, string]>([
    ['all set', [], 'D4AI_RECORDS_CONNECTION', ALL_SOURCES.D4AI_RECORDS_CONNECTION],
    ['without D4AI_RECORDS_CONNECTION', ['D4AI_RECORDS_CONNECTION'], 'AzureWebJobsStorage', ALL_SOURCES.AzureWebJobsStorage],
    [
      'with only the identity-based settings',
      ['D4AI_RECORDS_CONNECTION', 'AzureWebJobsStorage'],
      'AzureWebJobsStorage__tableServiceUri',
      'https://funcidentity.table.core.windows.net',
    ],
    [
      'with only the account name',
      ['D4AI_RECORDS_CONNECTION', 'AzureWebJobsStorage', 'AzureWebJobsStorage__tableServiceUri'],
      'AzureWebJobsStorage__accountName',
      'https://funcaccount.table.core.windows.net',
    ],
  ])('uses the first setting present (%s)', (_case, removed, source, connection) => {
    const env: Record<string, string> = { ...ALL_SOURCES };
    for (const name of removed) delete env[name];

    expect(loadConfig(env, { fileFallback: '/var/d4ai/records.jsonl' }).records).toEqual({
      kind: 'table',
      connection,
      table: 'RemediationRecords',
      source,
    });
  });

  it('skips settings that are blank', () => {
    const env = { D4AI_RECORDS_CONNECTION: '  ', AzureWebJobsStorage: '', AzureWebJobsStorage__accountName: ' funcaccount ' };

    expect(loadConfig(env).records).toEqual({
      kind: 'table',
      connection: 'https://funcaccount.table.core.windows.net',
      table: 'RemediationRecords',
      source: 'AzureWebJobsStorage__accountName',
    });
  });

  it('uses D4AI_RECORDS_TABLE for the table name', () => {
    expect(loadConfig({ ...RECORDS, D4AI_RECORDS_TABLE: 'GovernorRecords' }).records).toMatchObject({ table: 'GovernorRecords' });
  });

  it('falls back to the SQLite file only when the caller offers one and nothing else is set', () => {
    expect(loadConfig({}, { fileFallback: '/var/d4ai/d4ai.db' }).records).toEqual({ kind: 'sqlite', path: '/var/d4ai/d4ai.db' });
    expect(loadConfig({}, { fileFallback: 'relative/d4ai.db' }).records).toEqual({
      kind: 'sqlite',
      path: path.resolve('relative/d4ai.db'),
    });
  });

  it('D4AI_RECORDS_RETENTION_DAYS: unset keeps everything; whole days from 1 to 36500, otherwise named', () => {
    expect(loadConfig({}, { fileFallback: 'd4ai.db' }).recordsRetentionDays).toBeUndefined();
    expect(loadConfig({ D4AI_RECORDS_RETENTION_DAYS: ' 90 ' }, { fileFallback: 'd4ai.db' }).recordsRetentionDays).toBe(90);
    for (const bad of ['0', '-1', '7.5', '1e3', '36501', 'forever']) {
      expect(() => loadConfig({ D4AI_RECORDS_RETENTION_DAYS: bad }, { fileFallback: 'd4ai.db' })).toThrow(`D4AI_RECORDS_RETENTION_DAYS="${bad}" must be a whole number of days from 1 to 36500`);
    }
  });

  it('requires a table store when there is no file fallback (Functions)', () => {
    expect(problemsFor({}, false)).toEqual([
      'D4AI_RECORDS_CONNECTION (or AzureWebJobsStorage / AzureWebJobsStorage__accountName) must be set: remediation records need a Table Storage account.',
    ]);
  });

  it.each([
    'UseDevelopmentStorage=true',
    'usedevelopmentstorage=true;DevelopmentStorageProxyUri=http://127.0.0.1',
    'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;',
    'TableEndpoint=https://acct.table.core.windows.net/;SharedAccessSignature=sv=2022',
    'https://acct.table.core.windows.net',
  ])('accepts the connection %s', (connection) => {
    expect(loadConfig({ D4AI_RECORDS_CONNECTION: connection }).records).toMatchObject({ kind: 'table', connection });
  });

  it.each<[string, string, string]>([
    ['D4AI_RECORDS_CONNECTION', 'my-storage-account', 'which is not a Name=value pair'],
    ['AzureWebJobsStorage', 'AccountKey=only-a-key', 'is incomplete'],
    ['D4AI_RECORDS_CONNECTION', 'AccountName=acct', 'is incomplete'],
    ['D4AI_RECORDS_CONNECTION', 'SharedAccessSignature=sv=2022&sig=abc', 'is incomplete'],
    ['AzureWebJobsStorage__tableServiceUri', 'acct.table.core.windows.net', 'which is not a Name=value pair'],
    ['D4AI_RECORDS_CONNECTION', 'https://', 'is not a URL'],
    ['D4AI_RECORDS_CONNECTION', 'http://acct.table.core.windows.net', 'must use https (it is http://acct.table.core.windows.net'],
    ['D4AI_RECORDS_CONNECTION', 'AccountName=a;AccountKey=k;TableEndpoint=http://tables.example.com/', 'must use https (its TableEndpoint is http://tables.example.com'],
    ['D4AI_RECORDS_CONNECTION', 'DefaultEndpointsProtocol=http;AccountName=a;AccountKey=k', 'uses DefaultEndpointsProtocol=http'],
    ['D4AI_RECORDS_CONNECTION', 'http://127.0.0.1:10002/devstoreaccount1', 'is a table endpoint URL over http'],
    ['D4AI_RECORDS_CONNECTION', 'AccountName=acct;AccountKey=a2V5', 'has AccountName and AccountKey but no endpoint: add DefaultEndpointsProtocol=https'],
  ])('rejects %s=%p, naming that setting: %s', (name, value, message) => {
    const problems = problemsFor({ [name]: value }, false);
    expect(problems).toEqual([expect.stringContaining(message)]);
    expect(problems[0]?.startsWith(`${name} `)).toBe(true);
    // The value may hold a key: it is never echoed whole.
    expect(problems[0]).not.toContain('only-a-key');
    expect(problems[0]).not.toContain('sig=abc');
  });
});

describe('loadConfig: settings that cannot be misread', () => {
  it('refuses an unknown D4AI_* variable, naming the closest known setting', () => {
    expect(problemsFor({ D4AI_EXCLUDED_SUBSCRIPTION: '00000000-0000-0000-0000-0000000000a1' })).toEqual([
      'D4AI_EXCLUDED_SUBSCRIPTION is not a setting of the governor; did you mean D4AI_EXCLUDED_SUBSCRIPTIONS? (Unknown settings are refused rather than ignored.)',
    ]);
    expect(problemsFor({ D4AI_MODES: 'report' })).toEqual([expect.stringContaining('did you mean D4AI_MODE?')]);
  });

  it('lets the deployment-only azd values through (a shell with the azd environment loaded)', () => {
    expect(problemsFor({ D4AI_POLICY_ASSIGNMENT_NAME: 'd4ai-audit-ai', D4AI_WATCHED_SUBSCRIPTION_IDS: '', D4AI_ALERT_EMAIL: 'ops@contoso.com' })).toEqual([]);
  });

  it.each([
    ['D4AI_COMPONENTS', ',,,', 'or write none for no components'],
    ['D4AI_EXCLUDED_SUBSCRIPTIONS', ' , ,', 'holds only separators'],
  ])('refuses a list of separators only: %s=%p', (name, value, message) => {
    expect(problemsFor({ [name]: value })).toEqual([expect.stringContaining(message)]);
  });

  it.each([
    ['a b c d e f', 'is not a valid NCRONTAB expression'],
    ['0 0 25 * * *', 'Invalid value for hour'],
    ['0 0 2 31 2 *', 'never fires'],
    ['*/5 * * * *', 'it has 5'],
  ])('refuses the schedule %p with a real NCRONTAB parser', (schedule, message) => {
    expect(problemsFor({ D4AI_WATCH_SCHEDULE: schedule })).toEqual([expect.stringContaining(message)]);
  });

  it.each([
    '/providers/Microsoft.Management/managementGroups/../providers/Microsoft.Authorization/policyAssignments/x',
    '/providers/Microsoft.Management/managementGroups/contoso/providers/Microsoft.Authorization/policyAssignments/..',
    '/subscriptions/not-a-guid/providers/Microsoft.Authorization/policyAssignments/x',
    '/providers/Microsoft.Management/managementGroups/contoso/providers/Microsoft.Authorization/policyAssignments/x?api-version=1',
  ])('refuses a policy assignment id that is not an id: %s', (id) => {
    expect(problemsFor({ D4AI_POLICY_ASSIGNMENT_ID: id })).toEqual([expect.stringContaining('must be a policy assignment resource id')]);
  });

  it('refuses a management group id of dots', () => {
    expect(problemsFor({ D4AI_MANAGEMENT_GROUP: '..' })).toEqual([expect.stringContaining('must be a management group id')]);
  });

  it('never echoes a password or a key in a problem', () => {
    const [problem] = problemsFor({ D4AI_ARM_ENDPOINT: 'https://admin:s3cret@management.example.com' });
    expect(problem).toContain('must not carry a user name or password');
    expect(problem).not.toContain('s3cret');
  });

  it('takes D4AI_HTTP_TIMEOUT_SECONDS as whole seconds from 1 to 600', () => {
    expect(loadConfig({ ...RECORDS, D4AI_HTTP_TIMEOUT_SECONDS: '5' }).httpTimeoutMs).toBe(5000);
    expect(problemsFor({ D4AI_HTTP_TIMEOUT_SECONDS: '0' })).toEqual([expect.stringContaining('D4AI_HTTP_TIMEOUT_SECONDS="0" must be a whole number from 1 to 600')]);
  });
});

describe('isGuid', () => {
  it.each([
    ['00000000-0000-0000-0000-0000000000a1', true],
    ['ABCDEF01-2345-6789-ABCD-EF0123456789', true],
    ['00000000000000000000000000000000', false],
    ['00000000-0000-0000-0000-0000000000a1 ', false],
    ['g0000000-0000-0000-0000-000000000000', false],
    ['', false],
  ])('%p -> %p', (value, expected) => {
    expect(isGuid(value)).toBe(expected);
  });
});

describe('D4AI_COMPONENTS=none', () => {
  it('means the plan alone, without optional components', () => {
    expect(loadConfig({ D4AI_RECORDS_CONNECTION: 'UseDevelopmentStorage=true', D4AI_COMPONENTS: 'None' }).components).toEqual([]);
  });
});

describe('loadTelemetrySettings (the Functions app\'s Application Insights settings)', () => {
  const CS = 'InstrumentationKey=0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9;IngestionEndpoint=https://swedencentral-0.in.applicationinsights.azure.com/';
  const problems = (env: Record<string, string>): string[] => {
    try {
      loadTelemetrySettings(env);
      return [];
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return error.problems;
    }
  };

  it('is off without a connection string (local runs, tests)', () => {
    expect(loadTelemetrySettings({})).toBeUndefined();
    expect(loadTelemetrySettings({ APPLICATIONINSIGHTS_CONNECTION_STRING: '  ' })).toBeUndefined();
  });

  it('signs ingestion with the user-assigned identity named in APPLICATIONINSIGHTS_AUTHENTICATION_STRING', () => {
    const clientId = '11111111-2222-4333-8444-555555555555';
    expect(loadTelemetrySettings({ APPLICATIONINSIGHTS_CONNECTION_STRING: CS, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `Authorization=AAD;ClientId=${clientId}` })).toEqual({
      connectionString: CS,
      entra: { clientId },
    });
    expect(loadTelemetrySettings({ APPLICATIONINSIGHTS_CONNECTION_STRING: CS, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD' })).toEqual({ connectionString: CS, entra: {} });
    expect(loadTelemetrySettings({ APPLICATIONINSIGHTS_CONNECTION_STRING: CS })).toEqual({ connectionString: CS });
  });

  it.each<[Record<string, string>, string]>([
    [{ APPLICATIONINSIGHTS_CONNECTION_STRING: 'IngestionEndpoint=https://x/' }, 'APPLICATIONINSIGHTS_CONNECTION_STRING must hold InstrumentationKey=<id>'],
    [{ APPLICATIONINSIGHTS_CONNECTION_STRING: CS, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=Key' }, 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING must be "Authorization=AAD"'],
    [{ APPLICATIONINSIGHTS_CONNECTION_STRING: CS, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=my-app' }, 'ClientId="my-app", which is not a client id'],
  ])('rejects %p, naming the setting', (env, message) => {
    expect(problems(env)).toEqual([expect.stringContaining(message)]);
  });
});
