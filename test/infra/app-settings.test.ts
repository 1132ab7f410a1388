/**
 * The app settings the deployment writes are the settings the code reads: every D4AI_* setting of
 * shared/config.ts is provisioned, with the same default as DEFAULTS (except D4AI_MODE: report first), overridable through the azd
 * environment variable of the same name, and the provisioned defaults load without a ConfigError.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULTS, type SettingName, loadConfig } from '../../shared/config';
import { type BicepFile, INFRA_DIR, callArguments, infraFile, literal, prop, properties, stringTemplate, stringValue } from './bicep';

type DefaultedSetting = keyof typeof DEFAULTS;
/** Settings without a default in DEFAULTS; typed so a setting removed from config.ts fails to compile here. */
const OPTIONAL_SETTINGS: Exclude<SettingName, DefaultedSetting>[] = ['D4AI_EXCLUDED_SUBSCRIPTIONS', 'D4AI_POLICY_ASSIGNMENT_ID', 'D4AI_RECORDS_CONNECTION', 'D4AI_MANAGEMENT_GROUP'];
const ALL_SETTINGS: SettingName[] = [...(Object.keys(DEFAULTS) as DefaultedSetting[]), ...OPTIONAL_SETTINGS];
/**
 * What a deployment starts with: the app's defaults, except the mode. A new deployment reports
 * before it enforces (issue 18); the CLI and a hand-made local.settings.json keep D4AI_MODE's own default.
 */
const DEPLOYED_DEFAULTS: Record<DefaultedSetting, string> = { ...DEFAULTS, D4AI_MODE: 'report' };

/** Settings Flex Consumption sets itself (from functionAppConfig) or that would bring back storage keys. */
const MUST_NOT_BE_SET = [
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_CONTENTSHARE',
  'AzureWebJobsStorage',
  'APPINSIGHTS_INSTRUMENTATIONKEY',
];

interface AzdParameter {
  value: string;
}

function azdParameters(): Record<string, AzdParameter> {
  const json = JSON.parse(fs.readFileSync(path.join(INFRA_DIR, 'main.parameters.json'), 'utf8')) as { parameters: Record<string, AzdParameter> };
  return json.parameters;
}

/** `${NAME=default}` / `${NAME}` as written in main.parameters.json (azd substitutes it from the environment). */
function azdReference(value: string): { env: string; fallback?: string } | undefined {
  const match = /^\$\{([A-Z0-9_]+)(?:=(.*))?\}$/.exec(value);
  if (!match) return undefined;
  return { env: match[1] as string, ...(match[2] !== undefined ? { fallback: match[2] } : {}) };
}

describe('D4AI settings', () => {
  let main: BicepFile;
  let settings: Map<string, string>;
  beforeAll(async () => {
    main = await infraFile('main.bicep');
    settings = new Map(properties(main.vars().get('d4aiSettings')).map(({ key, value }) => [key, value.text]));
  });

  test('main.bicep provisions every setting shared/config.ts reads, and no other D4AI_* setting', () => {
    expect([...settings.keys()].sort()).toEqual([...ALL_SETTINGS].sort());
  });

  test.each(Object.entries(DEPLOYED_DEFAULTS))('%s defaults to %p (shared/config.ts DEFAULTS, but report mode first)', (setting, expected) => {
    const parameter = settings.get(setting) ?? '';
    const declared = main.params().get(parameter);
    expect(declared).toBeDefined();
    expect(declared?.type).toBe('string');
    expect(literal(declared?.defaultValue)).toBe(expected);
  });

  test.each(Object.entries(DEPLOYED_DEFAULTS))('%s can be overridden with the azd environment variable of the same name, falling back to %p', (setting, expected) => {
    const parameter = settings.get(setting) ?? '';
    const reference = azdReference(azdParameters()[parameter]?.value ?? '');
    expect(reference).toEqual({ env: setting, fallback: expected });
  });

  test('the optional settings default to empty and are overridable too', () => {
    const optional = { D4AI_EXCLUDED_SUBSCRIPTIONS: 'excludedSubscriptions', D4AI_RECORDS_CONNECTION: 'recordsConnection' } as const;
    for (const [setting, parameter] of Object.entries(optional)) {
      expect(literal(main.params().get(parameter)?.defaultValue)).toBe('');
      expect(azdReference(azdParameters()[parameter]?.value ?? '')).toEqual({ env: setting });
    }
    expect(settings.get('D4AI_EXCLUDED_SUBSCRIPTIONS')).toBe('excludedSubscriptions');
    // Empty means this deployment's own table endpoint.
    expect(settings.get('D4AI_RECORDS_CONNECTION')).toBe('!empty(recordsConnection) ? recordsConnection : storage.outputs.tableEndpoint');
  });

  test('every azd parameter mapping refers to a parameter main.bicep declares', () => {
    const declared = main.params();
    expect(Object.keys(azdParameters()).filter((p) => !declared.has(p))).toEqual([]);
  });

  test('reach the Function App: main passes them to the app module, which writes them with the host settings', async () => {
    const functionApp = main.modules().find((m) => m.source === 'modules/function-app.bicep');
    expect(prop(functionApp?.body, 'params', 'd4aiSettings')?.text).toBe('d4aiSettings');
    const app = await infraFile('modules/function-app.bicep');
    const [appSettings] = app.resourcesOfType('Microsoft.Web/sites/config');
    expect(literal(prop(appSettings?.body, 'name'))).toBe('appsettings');
    expect(prop(appSettings?.body, 'properties')?.text.replace(/\s+/g, '')).toBe('union(hostSettings,d4aiSettings)');
    const host = properties(app.vars().get('hostSettings')).map((p) => p.key);
    expect(host.filter((k) => MUST_NOT_BE_SET.includes(k))).toEqual([]);
    expect([...settings.keys()].filter((k) => MUST_NOT_BE_SET.includes(k) || host.includes(k))).toEqual([]);
  });

  test('the records table the template creates is the one D4AI_RECORDS_TABLE names', async () => {
    expect(settings.get('D4AI_RECORDS_TABLE')).toBe('recordsTableName');
    const storage = main.modules().find((m) => m.source === 'modules/storage.bicep');
    expect(prop(storage?.body, 'params', 'recordsTableName')?.text).toBe('recordsTableName');
    const module = await infraFile('modules/storage.bicep');
    const [table] = module.resourcesOfType('Microsoft.Storage/storageAccounts/tableServices/tables');
    expect(prop(table?.body, 'name')?.text).toBe('recordsTableName');
    expect(literal(module.params().get('recordsTableName')?.defaultValue)).toBe(DEFAULTS.D4AI_RECORDS_TABLE);
  });

  test('D4AI_MANAGEMENT_GROUP is the management group the deployment governs', () => {
    expect(settings.get('D4AI_MANAGEMENT_GROUP')).toBe('managementGroupId');
    expect(main.params().get('managementGroupId')?.type).toBe('string');
  });

  test('D4AI_POLICY_ASSIGNMENT_ID is the id of the assignment mg.bicep creates', async () => {
    // var policyAssignmentId = empty(policyAssignmentName) ? '' : '<id>'
    const computed = main.vars().get('policyAssignmentId');
    expect(computed?.type).toBe('ternary_expression');
    const template = stringTemplate(computed?.childForFieldName('alternative') ?? undefined);
    expect(template).toBe('/providers/Microsoft.Management/managementGroups/${managementGroupId}/providers/Microsoft.Authorization/policyAssignments/${policyAssignmentName}');
    const name = literal(main.params().get('policyAssignmentName')?.defaultValue);
    const mg = await infraFile('mg.bicep');
    const policy = await infraFile('modules/mg-policy.bicep');
    const mgParams = await infraFile('mg.bicepparam');
    expect(literal(mg.params().get('policyAssignmentName')?.defaultValue)).toBe(name);
    expect(literal(policy.params().get('assignmentName')?.defaultValue)).toBe(name);
    const fromEnv = callArguments(mgParams.params().get('policyAssignmentName')?.defaultValue);
    expect(stringValue(fromEnv[0])).toBe('D4AI_POLICY_ASSIGNMENT_NAME');
    expect(stringValue(fromEnv[1])).toBe(name);
    expect(main.outputs().get('D4AI_POLICY_ASSIGNMENT_NAME')?.text).toBe('policyAssignmentName');
  });

  test('the provisioned defaults are a configuration the app accepts', () => {
    const env: NodeJS.ProcessEnv = {
      AzureWebJobsStorage__accountName: 'std4aiexample',
      AzureWebJobsStorage__credential: 'managedidentity',
      AzureWebJobsStorage__clientId: '00000000-0000-0000-0000-000000000001',
    };
    for (const [setting, parameter] of settings) {
      const declared = main.params().get(parameter);
      const value = declared ? literal(declared.defaultValue) : undefined;
      if (typeof value === 'string') env[setting] = value;
    }
    env.D4AI_POLICY_ASSIGNMENT_ID = `/providers/Microsoft.Management/managementGroups/contoso-landing-zones/providers/Microsoft.Authorization/policyAssignments/${
      literal(main.params().get('policyAssignmentName')?.defaultValue) as string
    }`;
    env.D4AI_RECORDS_CONNECTION = 'https://std4aiexample.table.core.windows.net';
    env.D4AI_MANAGEMENT_GROUP = 'contoso-landing-zones';
    const config = loadConfig(env);
    expect(config.policyAssignmentId).toBe(env.D4AI_POLICY_ASSIGNMENT_ID);
    expect(config.records).toMatchObject({ kind: 'table', connection: env.D4AI_RECORDS_CONNECTION, table: DEFAULTS.D4AI_RECORDS_TABLE });
    // Report mode first, and the admin API for Entra callers only.
    expect(config.mode).toBe('report');
    expect(config.adminAllowFunctionKeys).toBe(false);
  });
});
