/**
 * The security-relevant facts of the infrastructure, asserted on the Bicep source: which roles are
 * granted, to whom and where (and that nothing broad is), key-less storage and telemetry, and the
 * Function App's transport and publishing settings. docs/permissions.md explains each role.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type BicepFile,
  INFRA_DIR,
  callArguments,
  callName,
  filesUnder,
  infraFile,
  literal,
  loadBicep,
  prop,
  properties,
  relativeToRepo,
  roleDefinitionGuids,
  stringTemplate,
  stringValue,
} from './bicep';

/** Built-in role definition ids (the same in every tenant). */
const ROLE = {
  securityAdmin: 'fb1c8493-542b-48eb-b624-b4c8fea62acd',
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  managedIdentityOperator: 'f1a07417-d97a-45cb-824c-7a7467783830',
  eventGridDataSender: 'd5a91429-5739-47e2-a06b-3470a27159e7',
} as const;

/** Roles that would make the governor (or anyone this template touches) an administrator. */
const FORBIDDEN_ROLES = {
  owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  userAccessAdministrator: '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
  roleBasedAccessControlAdministrator: 'f58310d9-a9f6-439a-9e8d-f62e7b41a168',
} as const;

interface Grant {
  file: string;
  role: string;
  /** Resource type the assignment is scoped to, or the deployment scope when it has no `scope:`. */
  scope: string;
  principal: string;
}

/** Every role assignment in the infrastructure; the expected list below is exhaustive. */
const EXPECTED_GRANTS: Grant[] = [
  { file: 'infra/modules/mg-rbac.bicep', role: ROLE.securityAdmin, scope: 'managementGroup', principal: 'principalId' },
  { file: 'infra/modules/mg-rbac.bicep', role: ROLE.reader, scope: 'managementGroup', principal: 'principalId' },
  { file: 'infra/modules/rbac.bicep', role: ROLE.storageBlobDataOwner, scope: 'Microsoft.Storage/storageAccounts', principal: 'governorPrincipalId' },
  { file: 'infra/modules/rbac.bicep', role: ROLE.storageQueueDataContributor, scope: 'Microsoft.Storage/storageAccounts', principal: 'governorPrincipalId' },
  { file: 'infra/modules/rbac.bicep', role: ROLE.storageTableDataContributor, scope: 'Microsoft.Storage/storageAccounts', principal: 'governorPrincipalId' },
  { file: 'infra/modules/rbac.bicep', role: ROLE.monitoringMetricsPublisher, scope: 'Microsoft.Insights/components', principal: 'governorPrincipalId' },
  {
    file: 'infra/modules/rbac.bicep',
    role: ROLE.storageBlobDataContributor,
    scope: 'Microsoft.Storage/storageAccounts/blobServices/containers',
    principal: 'eventGridPrincipalId',
  },
  {
    file: 'infra/modules/rbac.bicep',
    role: ROLE.managedIdentityOperator,
    scope: 'Microsoft.ManagedIdentity/userAssignedIdentities',
    principal: 'vendingPipelinePrincipalId',
  },
  {
    file: 'infra/modules/rbac.bicep',
    role: ROLE.storageTableDataContributor,
    scope: 'Microsoft.Storage/storageAccounts/tableServices/tables',
    principal: 'operatorsGroupObjectId',
  },
  { file: 'infra/modules/vending-topic.bicep', role: ROLE.eventGridDataSender, scope: 'Microsoft.EventGrid/topics', principal: 'publisherPrincipalId' },
];

const ALL_BICEP = filesUnder(INFRA_DIR, ['.bicep']);

function typeWithoutVersion(type: string): string {
  return type.split('@')[0] as string;
}

async function grantsIn(bicep: BicepFile): Promise<Grant[]> {
  const grants: Grant[] = [];
  for (const assignment of bicep.resourcesOfType('Microsoft.Authorization/roleAssignments')) {
    const scopeNode = prop(assignment.body, 'scope');
    let scope = bicep.targetScope();
    if (scopeNode) {
      const target = bicep.resources().find((r) => r.symbol === scopeNode.text);
      scope = target ? typeWithoutVersion(target.type) : `unresolved: ${scopeNode.text}`;
    }
    const principal = prop(assignment.body, 'properties', 'principalId')?.text ?? '';
    for (const role of roleDefinitionGuids(bicep, assignment)) grants.push({ file: bicep.name, role, scope, principal });
  }
  return grants;
}

const order = (a: Grant, b: Grant): number => `${a.file}${a.role}`.localeCompare(`${b.file}${b.role}`);

describe('role assignments', () => {
  let grants: Grant[];
  beforeAll(async () => {
    grants = [];
    for (const file of ALL_BICEP) grants.push(...(await grantsIn(await loadBicep(file))));
  });

  test('are exactly the documented least-privilege set: role, scope and principal', () => {
    expect([...grants].sort(order)).toEqual([...EXPECTED_GRANTS].sort(order));
  });

  test('never use Owner, Contributor, User Access Administrator or RBAC Administrator', () => {
    const forbidden = Object.values(FORBIDDEN_ROLES) as string[];
    expect(grants.filter((g) => forbidden.includes(g.role))).toEqual([]);
  });

  test('no file under infra/ even mentions an administrator role id', () => {
    const mentions: string[] = [];
    for (const file of filesUnder(INFRA_DIR, [''])) {
      const text = fs.readFileSync(file, 'utf8').toLowerCase();
      for (const [role, id] of Object.entries(FORBIDDEN_ROLES)) if (text.includes(id)) mentions.push(`${relativeToRepo(file)}: ${role}`);
    }
    expect(mentions).toEqual([]);
  });

  test('each role id is written once, as a named variable, so a reviewer can read what is granted', async () => {
    for (const file of ['modules/rbac.bicep', 'modules/mg-rbac.bicep', 'modules/vending-topic.bicep']) {
      const bicep = await infraFile(file);
      for (const assignment of bicep.resourcesOfType('Microsoft.Authorization/roleAssignments')) {
        const roleDefinitionId = prop(assignment.body, 'properties', 'roleDefinitionId');
        expect(['subscriptionResourceId', 'tenantResourceId']).toContain(callName(roleDefinitionId));
        const [resourceType, id] = callArguments(roleDefinitionId);
        expect(stringValue(resourceType)).toBe('Microsoft.Authorization/roleDefinitions');
        expect(id?.type).toBe('identifier');
        expect(Object.values(ROLE)).toContain(stringValue(bicep.vars().get(id?.text ?? '')));
      }
    }
  });

  test('the governor identity is a service principal in every grant it receives', async () => {
    for (const file of ['modules/rbac.bicep', 'modules/mg-rbac.bicep']) {
      const bicep = await infraFile(file);
      for (const assignment of bicep.resourcesOfType('Microsoft.Authorization/roleAssignments')) {
        const principal = prop(assignment.body, 'properties', 'principalId')?.text;
        if (principal === 'governorPrincipalId' || principal === 'principalId' || principal === 'eventGridPrincipalId') {
          expect(literal(prop(assignment.body, 'properties', 'principalType'))).toBe('ServicePrincipal');
        }
      }
    }
  });

  test('control-plane roles are granted at the management group, by a management-group deployment', async () => {
    const mgRbac = await infraFile('modules/mg-rbac.bicep');
    expect(mgRbac.targetScope()).toBe('managementGroup');
    const entry = await infraFile('mg.bicep');
    expect(entry.targetScope()).toBe('managementGroup');
    const module = entry.modules().find((m) => m.source === 'modules/mg-rbac.bicep');
    expect(module).toBeDefined();
    // No `scope:` means the management group the deployment targets (AZURE_MANAGEMENT_GROUP_ID).
    expect(prop(module?.body, 'scope')).toBeUndefined();
    expect(prop(module?.body, 'params', 'principalId')?.text).toBe('governorPrincipalId');
  });

  test('the principal granted at the management group is the one main.bicep created for the app', async () => {
    const params = await infraFile('mg.bicepparam');
    const principal = params.params().get('governorPrincipalId')?.defaultValue;
    const envName = stringValue(callArguments(principal)[0]);
    const main = await infraFile('main.bicep');
    expect(main.outputs().get(envName ?? '')?.text).toBe('governorIdentity.outputs.principalId');
    const functionApp = main.modules().find((m) => m.source === 'modules/function-app.bicep');
    expect(prop(functionApp?.body, 'params', 'identityId')?.text).toBe('governorIdentity.outputs.resourceId');
  });
});

describe('storage account', () => {
  let storage: BicepFile;
  beforeAll(async () => {
    storage = await infraFile('modules/storage.bicep');
  });

  test('accepts no shared keys, no anonymous blobs, only HTTPS and TLS 1.2+', () => {
    const [account] = storage.resourcesOfType('Microsoft.Storage/storageAccounts');
    const props = prop(account?.body, 'properties');
    expect(literal(prop(props, 'allowSharedKeyAccess'))).toBe(false);
    expect(literal(prop(props, 'allowBlobPublicAccess'))).toBe(false);
    expect(literal(prop(props, 'supportsHttpsTrafficOnly'))).toBe(true);
    expect(literal(prop(props, 'minimumTlsVersion'))).toBe('TLS1_2');
    expect(literal(prop(props, 'defaultToOAuthAuthentication'))).toBe(true);
  });

  test('containers are private', () => {
    const containers = storage.resourcesOfType('Microsoft.Storage/storageAccounts/blobServices/containers');
    expect(containers.length).toBeGreaterThanOrEqual(2);
    for (const container of containers) expect(literal(prop(container.body, 'properties', 'publicAccess'))).toBe('None');
  });

  test('nothing in infra/ reads account keys, SAS or connection strings with secrets', () => {
    const secretReaders = /listKeys|listAccountSas|listServiceSas|listConnectionStrings|AccountKey=|SharedAccessSignature/i;
    const hits: string[] = [];
    for (const file of filesUnder(INFRA_DIR, ['.bicep', '.bicepparam', '.json'])) {
      const hit = secretReaders.exec(fs.readFileSync(file, 'utf8'));
      if (hit) hits.push(`${relativeToRepo(file)}: ${hit[0]}`);
    }
    expect(hits).toEqual([]);
  });
});

describe('Function App', () => {
  let app: BicepFile;
  beforeAll(async () => {
    app = await infraFile('modules/function-app.bicep');
  });

  test('runs Node on a Flex Consumption (FC1) plan', () => {
    const [plan] = app.resourcesOfType('Microsoft.Web/serverfarms');
    expect(literal(prop(plan?.body, 'sku'))).toEqual({ name: 'FC1', tier: 'FlexConsumption' });
    const [site] = app.resourcesOfType('Microsoft.Web/sites');
    const runtime = prop(site?.body, 'properties', 'functionAppConfig', 'runtime');
    expect(literal(prop(runtime, 'name'))).toBe('node');
    expect(literal(app.resolve(prop(runtime, 'version')))).toBe('22');
  });

  test('is HTTPS-only with TLS 1.2 and no FTP', () => {
    const [site] = app.resourcesOfType('Microsoft.Web/sites');
    expect(literal(prop(site?.body, 'properties', 'httpsOnly'))).toBe(true);
    const siteConfig = prop(site?.body, 'properties', 'siteConfig');
    expect(literal(prop(siteConfig, 'minTlsVersion'))).toBe('1.2');
    expect(literal(prop(siteConfig, 'scmMinTlsVersion'))).toBe('1.2');
    expect(literal(prop(siteConfig, 'ftpsState'))).toBe('Disabled');
  });

  test('has basic publishing credentials switched off for both FTP and SCM', () => {
    const policies = app.resourcesOfType('Microsoft.Web/sites/basicPublishingCredentialsPolicies');
    const byName = Object.fromEntries(policies.map((p) => [literal(prop(p.body, 'name')), literal(prop(p.body, 'properties', 'allow'))]));
    expect(byName).toEqual({ ftp: false, scm: false });
  });

  test('runs as the user-assigned identity and pulls its package with it', () => {
    const [site] = app.resourcesOfType('Microsoft.Web/sites');
    expect(literal(prop(site?.body, 'identity', 'type'))).toBe('UserAssigned');
    const auth = prop(site?.body, 'properties', 'functionAppConfig', 'deployment', 'storage', 'authentication');
    expect(literal(prop(auth, 'type'))).toBe('UserAssignedIdentity');
    expect(prop(auth, 'userAssignedIdentityResourceId')?.text).toBe('identityId');
  });

  test('reaches host storage and Application Insights with Entra ID, never a key', () => {
    const host = app.vars().get('hostSettings');
    const settings = Object.fromEntries(properties(host).map(({ key, value }) => [key, stringTemplate(value) ?? value.text]));
    expect(settings).toMatchObject({
      AzureWebJobsStorage__accountName: 'storageAccountName',
      AzureWebJobsStorage__credential: 'managedidentity',
      AzureWebJobsStorage__clientId: 'identityClientId',
      AZURE_CLIENT_ID: 'identityClientId',
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=${identityClientId}',
    });
    expect(Object.keys(settings)).not.toContain('AzureWebJobsStorage');
  });
});

describe('Application Insights and Event Grid publishing', () => {
  test('Application Insights accepts Entra-authenticated telemetry only', async () => {
    const monitoring = await infraFile('modules/monitoring.bicep');
    const [component] = monitoring.resourcesOfType('Microsoft.Insights/components');
    expect(literal(prop(component?.body, 'properties', 'DisableLocalAuth'))).toBe(true);
    expect(prop(component?.body, 'properties', 'WorkspaceResourceId')).toBeDefined();
  });

  test('the vending topic accepts Entra-authenticated publishers only', async () => {
    const vending = await infraFile('modules/vending-topic.bicep');
    const [topic] = vending.resourcesOfType('Microsoft.EventGrid/topics');
    expect(literal(prop(topic?.body, 'properties', 'disableLocalAuth'))).toBe(true);
  });

  test('every docs/ page that infra/ points reviewers at exists', () => {
    const referenced = new Set<string>();
    for (const file of filesUnder(INFRA_DIR, [''])) {
      for (const match of fs.readFileSync(file, 'utf8').matchAll(/docs\/[a-z0-9-]+\.md/g)) referenced.add(match[0]);
    }
    expect(referenced.size).toBeGreaterThan(0);
    expect([...referenced].filter((doc) => !fs.existsSync(path.join(INFRA_DIR, '..', doc)))).toEqual([]);
  });
});
