/**
 * What `bicep build` would catch first, checked without it: every .bicep / .bicepparam file under
 * infra/ parses with the tree-sitter Bicep grammar (no ERROR or MISSING node), references only
 * symbols it declares, uses well-formed resource types, and calls local modules with parameters
 * and outputs those modules really have. Registry modules must be pinned to an exact version.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Node } from 'web-tree-sitter';
import {
  type BicepFile,
  INFRA_DIR,
  callArguments,
  callName,
  descendants,
  filesUnder,
  isPinnedRegistryModule,
  isRegistryModule,
  loadBicep,
  moduleTarget,
  parseBicepSource,
  properties,
  relativeToRepo,
  stringValue,
  undeclaredIdentifiers,
} from './bicep';

const BICEP_FILES = filesUnder(INFRA_DIR, ['.bicep']);
const PARAM_FILES = filesUnder(INFRA_DIR, ['.bicepparam']);
const RESOURCE_TYPE = /^[A-Za-z0-9]+\.[A-Za-z0-9.]+\/[A-Za-z0-9]+(\/[A-Za-z0-9]+)*@\d{4}-\d{2}-\d{2}(-preview)?$/;
const LOAD_FUNCTIONS = ['loadTextContent', 'loadJsonContent', 'loadYamlContent', 'loadFileAsBase64'];

/** `<module>.outputs.<name>` references in a file. */
function moduleOutputReferences(file: BicepFile, moduleSymbol: string): string[] {
  const names: string[] = [];
  for (const node of descendants(file.root)) {
    if (node.type !== 'member_expression') continue;
    const object = node.childForFieldName('object');
    const property = node.childForFieldName('property');
    if (object?.type !== 'member_expression' || !property) continue;
    const inner = object.childForFieldName('object');
    const innerProperty = object.childForFieldName('property');
    if (inner?.type === 'identifier' && inner.text === moduleSymbol && innerProperty?.text === 'outputs') names.push(property.text);
  }
  return names;
}

describe('the checker itself', () => {
  test.each([
    ['an unclosed object', "resource r 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: 'x'\n"],
    ['a property without a value', "resource r 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: \n}\n"],
    ['an unterminated string', "var a = 'abc\n"],
    ['a dangling member access', 'output o string = a.b.\n'],
    ['an extra closing brace', "module m 'x.bicep' = {\n  name: 'a'\n  params: {\n    a: 1\n  }}\n}\n"],
  ])('reports %s', async (_what, source) => {
    const file = await parseBicepSource('broken.bicep', source);
    expect(file.syntaxProblems().length).toBeGreaterThan(0);
  });

  test('reports a reference to an undeclared symbol and accepts loop and lambda variables', async () => {
    const file = await parseBicepSource(
      'refs.bicep',
      "param a string\nvar b = [for (x, i) in [a]: '${x}${i}']\nvar c = map(b, y => toUpper(y))\nvar d = reduce(c, {}, (all, z) => union(all, { '${z}': storageAcount.id }))\n",
    );
    expect(undeclaredIdentifiers(file).map((u) => u.name)).toEqual(['storageAcount']);
  });
});

describe.each(BICEP_FILES.map((file) => [relativeToRepo(file), file] as const))('%s', (_name, file) => {
  let bicep: BicepFile;
  beforeAll(async () => {
    bicep = await loadBicep(file);
  });

  test('parses without ERROR or MISSING nodes', () => {
    expect(bicep.syntaxProblems()).toEqual([]);
  });

  test('references only symbols it declares', () => {
    expect(undeclaredIdentifiers(bicep)).toEqual([]);
  });

  test('declares resource types as Namespace/type@api-version', () => {
    for (const resource of bicep.resources()) expect(resource.type).toMatch(RESOURCE_TYPE);
  });

  test('loads content only from files that exist', () => {
    for (const fn of LOAD_FUNCTIONS) {
      for (const call of descendants(bicep.root).filter((n) => callName(n) === fn)) {
        const target = stringValue(callArguments(call)[0]);
        expect(target).toBeDefined();
        expect(fs.existsSync(path.resolve(path.dirname(file), target as string))).toBe(true);
      }
    }
  });

  test('uses local modules that exist or registry modules pinned to an exact version', () => {
    for (const module of bicep.modules()) {
      if (isRegistryModule(module.source)) expect(module.source).toMatch(/^br\/public:avm\//);
      if (isRegistryModule(module.source)) expect(isPinnedRegistryModule(module.source)).toBe(true);
      else expect(fs.existsSync(path.resolve(path.dirname(file), module.source))).toBe(true);
    }
  });

  test('passes local modules exactly the parameters they declare, and reads only outputs they have', async () => {
    for (const module of bicep.modules().filter((m) => !isRegistryModule(m.source))) {
      const target = await moduleTarget(bicep, module.source);
      const declared = target.params();
      const passed = properties(properties(module.body).find((p) => p.key === 'params')?.value).map((p) => p.key);
      const where = `${relativeToRepo(file)} module ${module.symbol} -> ${module.source}`;
      expect({ where, unknown: passed.filter((p) => !declared.has(p)) }).toEqual({ where, unknown: [] });
      const missing = [...declared.values()].filter((p) => p.required && !passed.includes(p.name)).map((p) => p.name);
      expect({ where, missing }).toEqual({ where, missing: [] });
      const outputs = target.outputs();
      const unknownOutputs = moduleOutputReferences(bicep, module.symbol).filter((o) => !outputs.has(o));
      expect({ where, unknownOutputs }).toEqual({ where, unknownOutputs: [] });
    }
  });

  test('targets a scope the module references agree with', async () => {
    for (const module of bicep.modules().filter((m) => !isRegistryModule(m.source))) {
      const target = await moduleTarget(bicep, module.source);
      const scope = properties(module.body).find((p) => p.key === 'scope')?.value;
      const expected = expectedTargetScope(bicep, scope);
      expect({ module: module.source, scope: target.targetScope() }).toEqual({ module: module.source, scope: expected });
    }
  });
});

/** The target scope a module declaration deploys to, from its `scope:` (or the declaring file's scope). */
function expectedTargetScope(declaring: BicepFile, scope: Node | undefined): string {
  if (!scope) return declaring.targetScope();
  const fn = callName(scope);
  if (fn === 'resourceGroup') return 'resourceGroup';
  if (fn === 'subscription') return 'subscription';
  if (fn === 'managementGroup') return 'managementGroup';
  if (fn === 'tenant') return 'tenant';
  if (scope.type === 'identifier') {
    const resource = declaring.resources().find((r) => r.symbol === scope.text);
    if (resource?.type.toLowerCase().startsWith('microsoft.resources/resourcegroups@')) return 'resourceGroup';
  }
  return `unknown scope ${scope.text}`;
}

describe.each(PARAM_FILES.map((file) => [relativeToRepo(file), file] as const))('%s', (_name, file) => {
  let params: BicepFile;
  beforeAll(async () => {
    params = await loadBicep(file);
  });

  test('parses without ERROR or MISSING nodes', () => {
    expect(params.syntaxProblems()).toEqual([]);
  });

  test('sets only parameters its template declares, and every required one', async () => {
    const using = params.usingTarget();
    expect(using).toBeDefined();
    const template = await loadBicep(path.resolve(path.dirname(file), using as string));
    const declared = template.params();
    const set = [...params.params().keys()];
    expect(set.filter((p) => !declared.has(p))).toEqual([]);
    expect([...declared.values()].filter((p) => p.required && !set.includes(p.name)).map((p) => p.name)).toEqual([]);
  });

  test('reads values only through readEnvironmentVariable with literal names', () => {
    for (const param of params.params().values()) {
      const value = param.defaultValue;
      expect(callName(value)).toBe('readEnvironmentVariable');
      expect(stringValue(callArguments(value)[0])).toMatch(/^[A-Z][A-Z0-9_]*$/);
    }
  });
});

test('every module under infra/modules is used by an entry point or another module', async () => {
  const used = new Set<string>();
  for (const file of BICEP_FILES) {
    const bicep = await loadBicep(file);
    for (const module of bicep.modules().filter((m) => !isRegistryModule(m.source))) used.add(path.resolve(path.dirname(file), module.source));
  }
  const modules = BICEP_FILES.filter((f) => path.dirname(f) === path.join(INFRA_DIR, 'modules'));
  expect(modules.filter((m) => !used.has(m)).map(relativeToRepo)).toEqual([]);
});
