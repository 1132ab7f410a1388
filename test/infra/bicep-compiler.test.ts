/**
 * infra/ through the real Bicep compiler (.ci/bicep.sh installs the pinned release): every .bicep
 * builds, every .bicepparam builds against its template, the linter has nothing to say, and the
 * facts that matter for safety are read from the compiled ARM JSON, i.e. after the compiler has
 * resolved modules, loaded files and parameters, which the syntax-tree tests (bicep-syntax,
 * security, app-settings, event-grid) cannot see. Those stay: they run on machines without the
 * compiler and check conventions of the source (a role id is a named variable, module wiring).
 *
 * Without the compiler: these tests print that they skip, and skip; with CI=true or
 * D4AI_REQUIRE_BICEP=1 they fail instead, so CI cannot pass without compiling.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AI_WRITE_OPERATIONS } from '../../shared/ai-resource-types';
import { DEFAULTS } from '../../shared/config';
import { REPO_ROOT, filesUnder, INFRA_DIR } from './bicep';
import {
  type ArmResource,
  type ArmTemplate,
  BICEP_FILES,
  BICEP_REQUIRED,
  type Compiler,
  PARAM_FILES,
  allResources,
  bicep,
  buildAll,
  diagnostics,
  findCompiler,
  resolveVariables,
} from './compiler';

const compiler = findCompiler();

/** Sample azd environment values for the .bicepparam files (readEnvironmentVariable without a default fails the build). */
const AZD_ENV: Record<string, string> = {
  AZURE_ENV_NAME: 'd4ai-ci',
  AZURE_LOCATION: 'westeurope',
  AZURE_RESOURCE_GROUP: 'rg-d4ai-ci',
  RESOURCE_TOKEN: 'abc123',
  GOVERNOR_FUNCTION_APP_ID: '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-d4ai-ci/providers/Microsoft.Web/sites/func-d4ai-abc123',
  EVENTGRID_IDENTITY_ID: '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-d4ai-ci/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-d4ai-eg-abc123',
  STORAGE_ACCOUNT_ID: '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-d4ai-ci/providers/Microsoft.Storage/storageAccounts/std4aiabc123',
  GOVERNOR_PRINCIPAL_ID: '00000000-0000-0000-0000-0000000000aa',
};

/** Built-in roles (same ids in every tenant) the deployment may grant, and those it must never grant. */
const ALLOWED_ROLES = new Set([
  'fb1c8493-542b-48eb-b624-b4c8fea62acd', // Security Admin (management group)
  'acdd72a7-3385-48ef-bd42-f606fba81ae7', // Reader (management group)
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b', // Storage Blob Data Owner
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88', // Storage Queue Data Contributor
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3', // Storage Table Data Contributor
  '3913510d-42f4-4e42-8a64-420c390055eb', // Monitoring Metrics Publisher
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe', // Storage Blob Data Contributor
  'f1a07417-d97a-45cb-824c-7a7467783830', // Managed Identity Operator
  'd5a91429-5739-47e2-a06b-3470a27159e7', // EventGrid Data Sender
]);

/** `[variables('x')]`, followed through variables that are themselves such references (loadJsonContent compiles to one). */
function variableValue(value: unknown, template: ArmTemplate, depth = 0): unknown {
  const name = typeof value === 'string' ? /^\[variables\('([^']+)'\)\]$/.exec(value)?.[1] : undefined;
  if (name === undefined || depth > 5) return value;
  return variableValue(template.variables?.[name], template, depth + 1);
}

function requireCompiler(): Compiler {
  if (!compiler) throw new Error('unreachable: compiled tests run only with a compiler');
  return compiler;
}

if (!compiler) {
  if (BICEP_REQUIRED) {
    test('the Bicep compiler is installed (required: CI=true or D4AI_REQUIRE_BICEP=1)', () => {
      throw new Error('No Bicep CLI found (D4AI_BICEP, .ci/.bicep, PATH). Run `source .ci/bicep.sh` first; .ci/run does.');
    });
  } else {
    console.log('test/infra/bicep-compiler: no Bicep CLI found (D4AI_BICEP, .ci/.bicep, PATH): skipping the compile tests. `source .ci/bicep.sh` installs it.');
  }
}

/** Lines with a linter suppression, and the line above each (where its reason must be). */
function suppressions(): Array<{ file: string; line: number; above: string }> {
  const found: Array<{ file: string; line: number; above: string }> = [];
  for (const file of filesUnder(INFRA_DIR, ['.bicep', '.bicepparam'])) {
    const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
    lines.forEach((text, i) => {
      if (/#disable-(next-line|diagnostics)/.test(text)) found.push({ file: path.relative(REPO_ROOT, file), line: i + 1, above: (lines[i - 1] ?? '').trim() });
    });
  }
  return found;
}

test('every linter suppression in infra/ has a one-line reason (a // comment) right above it', () => {
  const unexplained = suppressions().filter((s) => !/^\/\/\s*\S.{10,}/.test(s.above));
  expect(unexplained).toEqual([]);
});

const describeCompiled = compiler ? describe : describe.skip;

describeCompiled('bicep build, build-params and lint', () => {
  let templates: Map<string, ArmTemplate>;
  let buildOutput: string;
  beforeAll(() => {
    const built = buildAll(requireCompiler());
    templates = built.templates;
    buildOutput = `${built.run.stdout}\n${built.run.stderr}`;
    expect(built.run.status).toBe(0);
  });

  test('builds every .bicep file under infra/ without an error or a warning', () => {
    expect(diagnostics(buildOutput)).toEqual([]);
    expect([...templates.keys()].sort()).toEqual(BICEP_FILES.map((f) => path.relative(REPO_ROOT, f).split(path.sep).join('/')).sort());
  });

  test.each(PARAM_FILES.map((f) => path.relative(REPO_ROOT, f)))('builds %s against its template with azd-style environment values', (file) => {
    const run = bicep(requireCompiler(), ['build-params', file, '--stdout'], AZD_ENV);
    expect(diagnostics(run.stderr)).toEqual([]);
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout) as { parametersJson: string; templateJson: string };
    const parameters = (JSON.parse(out.parametersJson) as { parameters: Record<string, unknown> }).parameters;
    expect(Object.keys(parameters).length).toBeGreaterThan(0);
  });

  test('the linter reports nothing (a suppression carries its reason, see above)', () => {
    const run = bicep(requireCompiler(), ['lint', '--pattern', 'infra/**/*.bicep']);
    expect(diagnostics(`${run.stdout}\n${run.stderr}`)).toEqual([]);
    expect(run.status).toBe(0);
  });

  test('the checks above would see a broken file (the compiler is really consulted)', () => {
    // Outside infra/: the other infra tests, running in parallel, must never see this file.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd4ai-compiler-check-'));
    try {
      fs.writeFileSync(path.join(dir, 'broken.bicep'), "resource s 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: 'stbroken01'\n  location: 'westeurope'\n  kind: 'StorageV2'\n  sku: { name: 'Standard_LRS' }\n  properties: { allowSharedKeyAcess: false }\n}\n");
      const run = bicep(requireCompiler(), ['build', path.join(dir, 'broken.bicep'), '--stdout']);
      // BCP089: a property the resource type does not have (here: a misspelt allowSharedKeyAccess).
      expect(diagnostics(run.stderr).map((d) => d.code)).toContain('BCP089');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('facts read from the compiled ARM JSON', () => {
    const entry = (name: string): ArmTemplate => {
      const template = templates.get(`infra/${name}`);
      if (!template) throw new Error(`infra/${name} did not compile`);
      return template;
    };
    /** Resources the entry points (main, mg, events) really deploy, through every module. */
    const deployed = (): Array<{ resource: ArmResource; template: ArmTemplate; via: string[] }> => ['main.bicep', 'mg.bicep', 'events.bicep'].flatMap((f) => allResources(entry(f), [f]));
    const moduleParams = (template: ArmTemplate, deployment: string): Record<string, unknown> => {
      const module = template.resources.find((r) => r.type === 'Microsoft.Resources/deployments' && r.name === deployment);
      return Object.fromEntries(Object.entries(module?.properties?.parameters ?? {}).map(([k, v]) => [k, v.value]));
    };

    test('the deployed app starts in report mode; enforce is a deliberate parameter', () => {
      const mode = entry('main.bicep').parameters?.mode;
      expect(mode?.defaultValue).toBe('report');
      expect(mode?.allowedValues).toEqual(['enforce', 'report']);
      const settings = moduleParams(entry('main.bicep'), 'd4ai-function-app').d4aiSettings as Record<string, string>;
      expect(settings.D4AI_MODE).toBe("[parameters('mode')]");
    });

    test('the app module receives every defaulted D4AI setting, and writes them as app settings', () => {
      const settings = moduleParams(entry('main.bicep'), 'd4ai-function-app').d4aiSettings as Record<string, string>;
      expect(Object.keys(settings)).toEqual(expect.arrayContaining(Object.keys(DEFAULTS)));
      const appSettings = deployed().find(({ resource }) => resource.type === 'Microsoft.Web/sites/config' && String(resource.name).includes("'appsettings'"));
      expect(appSettings?.resource.properties).toBe("[union(variables('hostSettings'), parameters('d4aiSettings'))]");
      expect(appSettings?.via).toEqual(['main.bicep', 'd4ai-function-app']);
    });

    test('the admin API is behind App Service Authentication: Entra ID, 401 without a principal, keys only on request', () => {
      const auth = deployed().find(({ resource }) => resource.type === 'Microsoft.Web/sites/config' && String(resource.name).includes("'authsettingsV2'"));
      expect(auth?.via).toEqual(['main.bicep', 'd4ai-function-app']);
      const properties = auth?.resource.properties as Record<string, Record<string, unknown>>;
      expect(properties.platform).toEqual({ enabled: true, runtimeVersion: '~1' });
      expect(properties.globalValidation).toMatchObject({ requireAuthentication: true, unauthenticatedClientAction: 'Return401' });
      const aad = (properties.identityProviders as Record<string, Record<string, unknown>>).azureActiveDirectory;
      expect(aad?.enabled).toBe("[not(empty(parameters('adminClientId')))]");
      expect(JSON.stringify(aad?.registration)).toContain('tenant().tenantId');
      // Only the Event Grid webhook always, and /api/automation only when keys are allowed.
      const paths = String(auth?.template.variables?.unauthenticatedPaths);
      expect(paths).toBe("[concat(createArray('/runtime/webhooks/eventgrid'), if(parameters('adminAllowFunctionKeys'), createArray('/api/automation'), createArray()))]");
      expect(entry('main.bicep').parameters?.adminAllowFunctionKeys?.defaultValue).toBe('false');
      expect(moduleParams(entry('main.bicep'), 'd4ai-function-app').adminClientId).toBe("[parameters('adminClientId')]");
      expect(JSON.stringify(aad?.validation)).toContain("format('api://{0}', parameters('adminClientId'))");
      expect(moduleParams(entry('main.bicep'), 'd4ai-function-app').adminAllowFunctionKeys).toBe("[equals(parameters('adminAllowFunctionKeys'), 'true')]");
    });

    test('storage accepts no shared key, no anonymous blob and TLS 1.2+ only', () => {
      const accounts = deployed().filter(({ resource }) => resource.type === 'Microsoft.Storage/storageAccounts');
      expect(accounts).toHaveLength(1);
      expect(accounts[0]?.resource.properties).toMatchObject({ allowSharedKeyAccess: false, allowBlobPublicAccess: false, minimumTlsVersion: 'TLS1_2', supportsHttpsTrafficOnly: true });
    });

    test('every role assignment any entry point deploys is an allowed built-in role, and the operators get the records table only', () => {
      const assignments = deployed().filter(({ resource }) => resource.type === 'Microsoft.Authorization/roleAssignments');
      const roles = assignments.map(({ resource, template }) => String(resolveVariables(resource.properties?.roleDefinitionId, template)).match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/)?.[0]);
      expect(roles.filter((r) => !r || !ALLOWED_ROLES.has(r))).toEqual([]);
      const operators = assignments.filter(({ resource }) => resource.properties?.principalId === "[parameters('operatorsGroupObjectId')]");
      expect(operators).toHaveLength(1);
      expect(operators[0]?.resource.scope).toBe("[resourceId('Microsoft.Storage/storageAccounts/tableServices/tables', parameters('storageAccountName'), 'default', parameters('recordsTableName'))]");
      expect(operators[0]?.resource.condition).toBe("[not(empty(parameters('operatorsGroupObjectId')))]");
      expect(moduleParams(entry('main.bicep'), 'd4ai-rbac').operatorsGroupObjectId).toBe("[parameters('operatorsGroupObjectId')]");
    });

    test('the AI-write Event Grid filter the compiler loaded is exactly AI_WRITE_OPERATIONS', () => {
      const subscriptions = deployed().filter(({ resource }) => resource.type === 'Microsoft.EventGrid/systemTopics/eventSubscriptions');
      expect(subscriptions.length).toBeGreaterThan(0);
      for (const { resource, template } of subscriptions) {
        const filter = resource.properties?.filter as { includedEventTypes: string[]; advancedFilters: Array<{ operatorType: string; key: string; values: string }> };
        expect(filter.includedEventTypes).toEqual(['Microsoft.Resources.ResourceWriteSuccess']);
        const [advanced] = filter.advancedFilters;
        expect(advanced).toMatchObject({ operatorType: 'StringIn', key: 'data.operationName' });
        expect(variableValue(advanced?.values, template)).toEqual([...AI_WRITE_OPERATIONS]);
      }
    });

    test('no module comes from a registry: the build needs nothing but this repository', () => {
      for (const file of BICEP_FILES) expect({ file, registry: /^\s*module\s+\S+\s+'br[:/]/m.test(fs.readFileSync(file, 'utf8')) }).toEqual({ file, registry: false });
    });
  });
});
