/**
 * `azd up` wiring: azure.yaml names the service and the infra folder, main.bicep follows the azd
 * conventions (environmentName/location parameters, resourceToken, azd-env-name and
 * azd-service-name tags, UPPER_CASE outputs), and the hooks that run the management-group and
 * event deployments exist and read only values azd provides.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { INFRA_DIR, REPO_ROOT, callArguments, callName, descendants, infraFile, literal, prop, stringValue } from './bicep';

type Yaml = string | { [key: string]: Yaml };

/**
 * Enough YAML for azure.yaml: nested mappings of scalars (no sequences, anchors or flow style),
 * which is all azure.yaml uses. A line this reader does not understand fails the test.
 */
function parseYamlMappings(text: string): { [key: string]: Yaml } {
  const root: { [key: string]: Yaml } = {};
  const stack: Array<{ indent: number; map: { [key: string]: Yaml } }> = [{ indent: -1, map: root }];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/\s+#.*$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const match = /^( *)([A-Za-z0-9_.-]+):(?: +(.*))?$/.exec(line);
    if (!match) throw new Error(`azure.yaml line ${index + 1} is not a "key: value" mapping line: ${raw}`);
    const indent = (match[1] as string).length;
    while ((stack[stack.length - 1] as { indent: number }).indent >= indent) stack.pop();
    const parent = (stack[stack.length - 1] as { map: { [key: string]: Yaml } }).map;
    const key = match[2] as string;
    const value = match[3]?.trim();
    if (value === undefined || value === '') {
      const child: { [key: string]: Yaml } = {};
      parent[key] = child;
      stack.push({ indent, map: child });
    } else {
      parent[key] = value.replace(/^(['"])(.*)\1$/, '$2');
    }
  }
  return root;
}

function at(yaml: Yaml | undefined, ...keys: string[]): Yaml | undefined {
  let current = yaml;
  for (const key of keys) current = typeof current === 'object' ? current[key] : undefined;
  return current;
}

const azureYaml = parseYamlMappings(fs.readFileSync(path.join(REPO_ROOT, 'azure.yaml'), 'utf8'));
/** Values azd itself puts in every environment (and so in every hook's environment). */
const AZD_BUILT_INS = ['AZURE_ENV_NAME', 'AZURE_LOCATION', 'AZURE_SUBSCRIPTION_ID'];

describe('azure.yaml', () => {
  test('provisions infra/main.bicep with Bicep', () => {
    expect(at(azureYaml, 'infra')).toEqual({ provider: 'bicep', path: 'infra', module: 'main' });
    expect(fs.existsSync(path.join(INFRA_DIR, 'main.bicep'))).toBe(true);
  });

  test('deploys the repository as the `governor` Functions service', () => {
    expect(at(azureYaml, 'services', 'governor', 'project')).toBe('.');
    expect(at(azureYaml, 'services', 'governor', 'language')).toBe('ts');
    expect(at(azureYaml, 'services', 'governor', 'host')).toBe('function');
    expect(fs.existsSync(path.join(REPO_ROOT, 'package.json'))).toBe(true);
  });

  test('deploys the production-only package scripts/package-app.sh builds, without a remote build', () => {
    expect(at(azureYaml, 'services', 'governor', 'dist')).toBe('.deploy/governor');
    expect(at(azureYaml, 'services', 'governor', 'remoteBuild')).toBe('false');
    expect(at(azureYaml, 'services', 'governor', 'hooks', 'prepackage', 'posix', 'run')).toBe('./scripts/package-app.sh');
    const script = fs.readFileSync(path.join(REPO_ROOT, 'scripts', 'package-app.sh'), 'utf8');
    expect(script).toMatch(/out=\.deploy\/governor/);
    expect(script).toContain('npm ci --omit=dev');
    expect(script).not.toMatch(/cp -R[^\n]*dist\/(test|scripts|sim)/);
  });

  test.each(['preprovision', 'postprovision', 'postdeploy'])('runs the %s hook on POSIX (sh) and Windows (pwsh) from scripts that exist', (hook) => {
    for (const [platform, shell] of [
      ['posix', 'sh'],
      ['windows', 'pwsh'],
    ] as const) {
      expect(at(azureYaml, 'hooks', hook, platform, 'shell')).toBe(shell);
      expect(at(azureYaml, 'hooks', hook, platform, 'continueOnError')).toBe('false');
      const run = at(azureYaml, 'hooks', hook, platform, 'run');
      expect(typeof run).toBe('string');
      const script = path.join(REPO_ROOT, run as string);
      expect(fs.existsSync(script)).toBe(true);
      if (platform === 'posix') {
        expect(fs.readFileSync(script, 'utf8').startsWith('#!/bin/sh\n')).toBe(true);
        expect(fs.statSync(script).mode & 0o111).not.toBe(0);
      }
    }
  });

  test('postprovision deploys infra/mg.bicep at the management group; postdeploy deploys infra/events.bicep', () => {
    for (const ext of ['sh', 'ps1']) {
      const post = fs.readFileSync(path.join(INFRA_DIR, 'hooks', `postprovision.${ext}`), 'utf8');
      expect(post).toContain('az deployment mg create');
      expect(post).toContain('infra/mg.bicepparam');
      expect(post).toMatch(/--management-group-id \S*AZURE_MANAGEMENT_GROUP_ID/);
      const deploy = fs.readFileSync(path.join(INFRA_DIR, 'hooks', `postdeploy.${ext}`), 'utf8');
      expect(deploy).toContain('az deployment sub create');
      expect(deploy).toContain('infra/events.bicepparam');
    }
  });
});

describe('azd conventions in main.bicep', () => {
  test('deploys at subscription scope from environmentName, location and the management group id', async () => {
    const main = await infraFile('main.bicep');
    expect(main.targetScope()).toBe('subscription');
    for (const name of ['environmentName', 'location', 'managementGroupId']) expect(main.params().get(name)?.required).toBe(true);
    const azdParams = JSON.parse(fs.readFileSync(path.join(INFRA_DIR, 'main.parameters.json'), 'utf8')) as { parameters: Record<string, { value: string }> };
    expect(azdParams.parameters.environmentName?.value).toBe('${AZURE_ENV_NAME}');
    expect(azdParams.parameters.location?.value).toBe('${AZURE_LOCATION}');
    expect(azdParams.parameters.managementGroupId?.value).toBe('${AZURE_MANAGEMENT_GROUP_ID}');
  });

  test('derives names from resourceToken = toLower(uniqueString(subscription().id, environmentName, location))', async () => {
    const main = await infraFile('main.bicep');
    expect(main.vars().get('resourceToken')?.text.replace(/\s+/g, '')).toBe('toLower(uniqueString(subscription().id,environmentName,location))');
  });

  test('tags everything with azd-env-name and the Function App with azd-service-name: governor', async () => {
    const main = await infraFile('main.bicep');
    expect(prop(main.vars().get('tags'), 'azd-env-name')?.text).toBe('environmentName');
    const [group] = main.resourcesOfType('Microsoft.Resources/resourceGroups');
    expect(prop(group?.body, 'tags')?.text).toBe('tags');
    const app = await infraFile('modules/function-app.bicep');
    const [site] = app.resourcesOfType('Microsoft.Web/sites');
    const tags = prop(site?.body, 'tags');
    expect(callName(tags)).toBe('union');
    expect(literal(callArguments(tags)[1])).toEqual({ 'azd-service-name': 'governor' });
  });

  test('names its outputs in UPPER_CASE (they become azd environment values)', async () => {
    const main = await infraFile('main.bicep');
    expect([...main.outputs().keys()].filter((o) => !/^[A-Z][A-Z0-9_]*$/.test(o))).toEqual([]);
  });

  test.each(['mg.bicepparam', 'events.bicepparam'])('%s reads only azd values: main.bicep outputs, azd built-ins, or optional inputs with a default', async (file) => {
    const main = await infraFile('main.bicep');
    const outputs = new Set(main.outputs().keys());
    const params = await infraFile(file);
    for (const call of descendants(params.root).filter((n) => callName(n) === 'readEnvironmentVariable')) {
      const [name, fallback] = callArguments(call);
      const variable = stringValue(name) ?? '';
      if (fallback) continue;
      expect({ variable, known: outputs.has(variable) || AZD_BUILT_INS.includes(variable) }).toEqual({ variable, known: true });
    }
  });
});
