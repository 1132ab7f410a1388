/**
 * A small reader for the Bicep files under infra/, for tests that run without the Bicep compiler.
 *
 * Syntax comes from the tree-sitter Bicep grammar (npm `tree-sitter-bicep`) run through
 * `web-tree-sitter`, i.e. WebAssembly: nothing is compiled or downloaded at install time, and the
 * same grammar binary runs on every platform. On top of the syntax tree this module answers the
 * questions the infra tests ask: declarations, module parameters, object properties and literal
 * values. It is deliberately not an evaluator: anything that is not a literal comes back as source
 * text, and tests decide what they accept.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Language, Parser, type Node } from 'web-tree-sitter';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const INFRA_DIR = path.join(REPO_ROOT, 'infra');

let parserReady: Promise<Parser> | undefined;

/** One parser per test file; the grammar is loaded from bytes (jest's VM cannot run the dynamic import a path would use). */
export function bicepParser(): Promise<Parser> {
  parserReady ??= (async () => {
    await Parser.init();
    const grammar = await Language.load(fs.readFileSync(require.resolve('tree-sitter-bicep/tree-sitter-bicep.wasm')));
    const parser = new Parser();
    parser.setLanguage(grammar);
    return parser;
  })();
  return parserReady;
}

/** Every file under `dir` (recursively) whose name ends with one of `extensions`, sorted. */
export function filesUnder(dir: string, extensions: readonly string[]): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...filesUnder(full, extensions));
    else if (extensions.some((ext) => entry.name.endsWith(ext))) found.push(full);
  }
  return found.sort();
}

export function relativeToRepo(file: string): string {
  return path.relative(REPO_ROOT, file).split(path.sep).join('/');
}

export interface SyntaxProblem {
  line: number;
  column: number;
  kind: 'ERROR' | 'MISSING';
  near: string;
}

export interface ParamDecl {
  name: string;
  /** Source text of the type, e.g. `string`, `string?`, `object`. */
  type: string;
  defaultValue?: Node;
  decorators: Node[];
  /** No default value and a non-nullable type: a caller has to pass it. */
  required: boolean;
}

export interface DeclarationWithBody {
  symbol: string;
  node: Node;
  /** The object literal after `=`, with any `[for ...]` / `if (...)` unwrapped. */
  body?: Node;
  condition?: Node;
  loop?: Node;
}

export interface ResourceDecl extends DeclarationWithBody {
  /** e.g. `Microsoft.Storage/storageAccounts@2023-05-01`. */
  type: string;
  existing: boolean;
}

export interface ModuleDecl extends DeclarationWithBody {
  /** Local path relative to the declaring file, or a registry reference (`br/public:...`). */
  source: string;
}

export function named(node: Node | null | undefined): Node[] {
  if (!node) return [];
  return node.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment' && c.type !== 'diagnostic_comment');
}

export function children(node: Node): Node[] {
  return node.children.filter((c): c is Node => c !== null);
}

/** Depth-first, the node itself included. */
export function descendants(node: Node): Node[] {
  const all: Node[] = [node];
  for (const child of children(node)) all.push(...descendants(child));
  return all;
}

export class BicepFile {
  constructor(
    readonly file: string,
    readonly source: string,
    readonly root: Node,
  ) {}

  get name(): string {
    return relativeToRepo(this.file);
  }

  /** ERROR and MISSING nodes: what the Bicep compiler would also reject as a syntax error. */
  syntaxProblems(): SyntaxProblem[] {
    const problems: SyntaxProblem[] = [];
    for (const node of descendants(this.root)) {
      if (node.type !== 'ERROR' && !node.isMissing) continue;
      problems.push({
        line: node.startPosition.row + 1,
        column: node.startPosition.column + 1,
        kind: node.isMissing ? 'MISSING' : 'ERROR',
        near: node.isMissing ? `missing ${node.type}` : node.text.slice(0, 80),
      });
    }
    return problems;
  }

  private top(type: string): Node[] {
    return named(this.root).filter((n) => n.type === type);
  }

  targetScope(): string {
    const assignment = this.top('target_scope_assignment')[0];
    const value = assignment ? literal(named(assignment)[0]) : undefined;
    return typeof value === 'string' ? value : 'resourceGroup';
  }

  params(): Map<string, ParamDecl> {
    const result = new Map<string, ParamDecl>();
    for (const decl of this.top('parameter_declaration')) {
      const [id, type, value] = named(decl);
      if (!id) continue;
      const typeText = type?.text ?? '';
      result.set(id.text, {
        name: id.text,
        type: typeText,
        ...(value ? { defaultValue: value } : {}),
        decorators: decoratorsOf(decl),
        required: !value && !typeText.trim().endsWith('?'),
      });
    }
    return result;
  }

  vars(): Map<string, Node> {
    return this.namedValues('variable_declaration');
  }

  outputs(): Map<string, Node> {
    return this.namedValues('output_declaration');
  }

  /** name -> value node of `var name = value` / `output name type = value` declarations. */
  private namedValues(kind: 'variable_declaration' | 'output_declaration'): Map<string, Node> {
    const result = new Map<string, Node>();
    for (const decl of this.top(kind)) {
      const parts = named(decl);
      const id = parts[0];
      const value = parts[parts.length - 1];
      if (id && value && value !== id) result.set(id.text, value);
    }
    return result;
  }

  resources(): ResourceDecl[] {
    return this.top('resource_declaration').map((decl) => {
      const [id, type, value] = named(decl);
      return {
        symbol: id?.text ?? '',
        node: decl,
        type: type ? (stringValue(type) ?? type.text) : '',
        existing: children(decl).some((c) => c.type === 'existing'),
        ...unwrap(value),
      };
    });
  }

  modules(): ModuleDecl[] {
    return this.top('module_declaration').map((decl) => {
      const [id, source, value] = named(decl);
      return {
        symbol: id?.text ?? '',
        node: decl,
        source: source ? (stringValue(source) ?? source.text) : '',
        ...unwrap(value),
      };
    });
  }

  /** `using '<file>'` of a .bicepparam file. */
  usingTarget(): string | undefined {
    const statement = this.top('using_statement')[0];
    const target = statement ? named(statement)[0] : undefined;
    return target ? stringValue(target) : undefined;
  }

  resourcesOfType(typePrefix: string): ResourceDecl[] {
    const wanted = typePrefix.toLowerCase();
    return this.resources().filter((r) => r.type.toLowerCase().startsWith(`${wanted}@`) || r.type.toLowerCase() === wanted);
  }

  /** Follows identifiers to their `var` or `param` default, so `values: aiWriteOperations` can be read. */
  resolve(node: Node | undefined): Node | undefined {
    let current = node;
    for (let hops = 0; current?.type === 'identifier' && hops < 10; hops++) {
      const next = this.vars().get(current.text) ?? this.params().get(current.text)?.defaultValue;
      if (!next) break;
      current = next;
    }
    return current;
  }
}

function decoratorsOf(decl: Node): Node[] {
  const previous = decl.previousNamedSibling;
  return previous && previous.type === 'decorators' ? named(previous) : [];
}

function unwrap(value: Node | undefined): Omit<DeclarationWithBody, 'symbol' | 'node'> {
  let current = value;
  let loop: Node | undefined;
  let condition: Node | undefined;
  if (current?.type === 'for_statement') {
    loop = current;
    current = current.childForFieldName('body') ?? named(current).find((n) => n.type === 'object' || n.type === 'if_statement');
  }
  if (current?.type === 'if_statement') {
    condition = named(current).find((n) => n.type === 'parenthesized_expression');
    current = named(current).find((n) => n.type === 'object');
  }
  return {
    ...(current?.type === 'object' ? { body: current } : {}),
    ...(loop ? { loop } : {}),
    ...(condition ? { condition } : {}),
  };
}

export async function parseBicepSource(file: string, source: string): Promise<BicepFile> {
  const parser = await bicepParser();
  const tree = parser.parse(source);
  if (!tree) throw new Error(`tree-sitter returned no tree for ${file}`);
  return new BicepFile(file, source, tree.rootNode);
}

/**
 * .bicepparam files are Bicep expressions plus `using` and untyped `param x = ...`, which the
 * grammar (written for .bicep) does not know; a placeholder type is inserted before parsing so the
 * rest of the file is checked with the same grammar. Columns after the insertion shift by 4.
 */
export function bicepparamAsBicep(source: string): string {
  return source.replace(/^(\s*param\s+[A-Za-z_][A-Za-z0-9_]*)(\s*=)/gm, '$1 any$2');
}

export async function loadBicep(file: string): Promise<BicepFile> {
  const raw = fs.readFileSync(file, 'utf8');
  return parseBicepSource(file, file.endsWith('.bicepparam') ? bicepparamAsBicep(raw) : raw);
}

const cache = new Map<string, Promise<BicepFile>>();

/** `relative` is relative to infra/, e.g. `modules/storage.bicep`. */
export function infraFile(relative: string): Promise<BicepFile> {
  const file = path.join(INFRA_DIR, relative);
  let loaded = cache.get(file);
  if (!loaded) {
    loaded = loadBicep(file);
    cache.set(file, loaded);
  }
  return loaded;
}

/** Key of an object property: identifier or quoted string. */
export function propertyKey(property: Node): string | undefined {
  const key = named(property)[0];
  if (!key) return undefined;
  return key.type === 'string' ? stringValue(key) : key.text;
}

export function properties(obj: Node | undefined): Array<{ key: string; value: Node }> {
  if (!obj || obj.type !== 'object') return [];
  const result: Array<{ key: string; value: Node }> = [];
  for (const property of named(obj).filter((n) => n.type === 'object_property')) {
    const key = propertyKey(property);
    const value = named(property)[1];
    if (key !== undefined && value) result.push({ key, value });
  }
  return result;
}

/** The value of `obj.a.b.c` for nested object literals; undefined when a step is not an object literal. */
export function prop(obj: Node | undefined, ...keys: string[]): Node | undefined {
  let current = obj;
  for (const key of keys) {
    current = properties(current).find((p) => p.key === key)?.value;
    if (!current) return undefined;
  }
  return current;
}

function decodeEscape(sequence: string): string {
  const map: Record<string, string> = { "\\'": "'", '\\\\': '\\', '\\n': '\n', '\\r': '\r', '\\t': '\t', '\\$': '$' };
  if (sequence in map) return map[sequence] as string;
  const unicode = /^\\u\{([0-9a-fA-F]+)\}$/.exec(sequence);
  return unicode ? String.fromCodePoint(parseInt(unicode[1] as string, 16)) : sequence;
}

/** The value of a string literal without interpolation; undefined otherwise. */
export function stringValue(node: Node | undefined): string | undefined {
  if (!node || node.type !== 'string') return undefined;
  if (node.text.startsWith("'''")) {
    // Multi-line strings have no escapes or interpolation; a newline right after ''' is dropped.
    return node.text.slice(3, -3).replace(/^\r?\n/, '');
  }
  let value = '';
  for (const part of children(node)) {
    if (part.type === 'interpolation') return undefined;
    if (part.type === 'string_content') value += part.text;
    else if (part.type === 'escape_sequence') value += decodeEscape(part.text);
  }
  return value;
}

/** A string literal with interpolations rendered as `${<expression source>}`, e.g. `${functionAppId}/functions/${functionName}`. */
export function stringTemplate(node: Node | undefined): string | undefined {
  if (!node || node.type !== 'string') return undefined;
  if (node.text.startsWith("'''")) return stringValue(node);
  let value = '';
  for (const part of children(node)) {
    if (part.type === 'string_content') value += part.text;
    else if (part.type === 'escape_sequence') value += decodeEscape(part.text);
    else if (part.type === 'interpolation') value += `\${${named(part).map((n) => n.text).join('')}}`;
  }
  return value;
}

export type Literal = string | number | boolean | null | Literal[] | { [key: string]: Literal };

/** Literal value of a node (strings, numbers, booleans, null, arrays and objects of those); undefined for expressions. */
export function literal(node: Node | undefined): Literal | undefined {
  if (!node) return undefined;
  switch (node.type) {
    case 'string':
      return stringValue(node);
    case 'number':
      return Number(node.text);
    case 'boolean':
      return node.text === 'true';
    case 'null':
      return null;
    case 'unary_expression': {
      const inner = literal(named(node)[0]);
      return node.text.trim().startsWith('-') && typeof inner === 'number' ? -inner : undefined;
    }
    case 'array': {
      const items: Literal[] = [];
      for (const element of named(node)) {
        const value = literal(element);
        if (value === undefined) return undefined;
        items.push(value);
      }
      return items;
    }
    case 'object': {
      const result: { [key: string]: Literal } = {};
      for (const { key, value } of properties(node)) {
        const item = literal(value);
        if (item === undefined) return undefined;
        result[key] = item;
      }
      return result;
    }
    default:
      return undefined;
  }
}

/** Function name of a call expression (`loadJsonContent`, `subscriptionResourceId`, ...). */
export function callName(node: Node | undefined): string | undefined {
  if (!node || node.type !== 'call_expression') return undefined;
  return node.childForFieldName('function')?.text;
}

export function callArguments(node: Node | undefined): Node[] {
  if (!node || node.type !== 'call_expression') return [];
  return named(node.childForFieldName('arguments'));
}

/** Every call of `name` anywhere below `node`. */
export function callsOf(node: Node, name: string): Node[] {
  return descendants(node).filter((n) => callName(n) === name);
}

const BUILT_IN_NAMESPACES = new Set(['az', 'sys']);

/** Names a declaration introduces anywhere in the file: top-level symbols, loop variables, lambda and function parameters, imports. */
function declaredNames(file: BicepFile): Set<string> {
  const names = new Set<string>(BUILT_IN_NAMESPACES);
  for (const node of descendants(file.root)) {
    switch (node.type) {
      case 'parameter_declaration':
      case 'variable_declaration':
      case 'resource_declaration':
      case 'module_declaration':
      case 'type_declaration':
      case 'metadata_declaration': {
        const id = named(node)[0];
        if (id) names.add(id.text);
        break;
      }
      case 'user_defined_function': {
        const id = node.childForFieldName('name');
        if (id) names.add(id.text);
        break;
      }
      case 'parameter': {
        const id = named(node)[0];
        if (id) names.add(id.text);
        break;
      }
      case 'loop_variable':
      case 'loop_enumerator':
        names.add(node.text);
        break;
      case 'for_statement': {
        const initializer = node.childForFieldName('initializer');
        if (initializer?.type === 'identifier') names.add(initializer.text);
        break;
      }
      case 'lambda_expression': {
        const head = named(node)[0];
        if (head?.type === 'identifier') names.add(head.text);
        else if (head) for (const id of named(head).filter((n) => n.type === 'identifier')) names.add(id.text);
        break;
      }
      case 'import_statement':
      case 'import_with_statement':
      case 'import_functionality':
        for (const id of descendants(node).filter((n) => n.type === 'identifier')) names.add(id.text);
        break;
      default:
        break;
    }
  }
  return names;
}

const NOT_A_REFERENCE_PARENTS = new Set([
  'type',
  'nullable_type',
  'union_type',
  'array_type',
  'parameterized_type',
  'type_arguments',
  'negated_type',
  'import_statement',
  'import_with_statement',
  'import_functionality',
  'using_statement',
]);

/** Identifiers used as values that no declaration in the file introduces: what the compiler reports as BCP057. */
export function undeclaredIdentifiers(file: BicepFile): Array<{ name: string; line: number }> {
  const declared = declaredNames(file);
  const problems: Array<{ name: string; line: number }> = [];
  for (const node of descendants(file.root)) {
    if (node.type !== 'identifier' || node.text === '') continue;
    const parent = node.parent;
    if (!parent) continue;
    if (NOT_A_REFERENCE_PARENTS.has(parent.type)) continue;
    const isFirstNamed = named(parent)[0]?.equals(node) ?? false;
    // Declaration names and object keys.
    if (isFirstNamed && ['parameter_declaration', 'variable_declaration', 'resource_declaration', 'module_declaration', 'output_declaration', 'type_declaration', 'metadata_declaration', 'object_property', 'parameter'].includes(parent.type)) continue;
    // Function names (built-in or user-defined), e.g. `resourceGroup()`, `@description(...)`.
    if (parent.type === 'call_expression' && parent.childForFieldName('function')?.equals(node)) continue;
    if (parent.type === 'user_defined_function' && parent.childForFieldName('name')?.equals(node)) continue;
    if (!declared.has(node.text)) problems.push({ name: node.text, line: node.startPosition.row + 1 });
  }
  return problems;
}

/** Registry module reference pinned to an exact version, e.g. br/public:avm/res/x/y:1.2.3. */
export function isPinnedRegistryModule(source: string): boolean {
  return /^br\/public:avm\/(res|ptn|utl)\/[a-z0-9-]+\/[a-z0-9-]+(\/[a-z0-9-]+)*:\d+\.\d+\.\d+$/.test(source);
}

export function isRegistryModule(source: string): boolean {
  return /^(br|ts)[:/]/.test(source);
}

/** Loads the file a local module declaration points at. */
export function moduleTarget(declaring: BicepFile, source: string): Promise<BicepFile> {
  return loadBicep(path.resolve(path.dirname(declaring.file), source));
}

/** Text of every `roleDefinitionId` GUID a role assignment resolves to (literal or through a var). */
export function roleDefinitionGuids(file: BicepFile, assignment: ResourceDecl): string[] {
  const value = prop(assignment.body, 'properties', 'roleDefinitionId');
  if (!value) return [];
  const guids = new Set<string>();
  const collect = (node: Node): void => {
    for (const part of descendants(node)) {
      if (part.type === 'string') {
        const text = stringValue(part);
        if (text) for (const match of text.matchAll(GUID_PATTERN)) guids.add(match[0].toLowerCase());
      }
      if (part.type === 'identifier') {
        const resolved = file.vars().get(part.text) ?? file.params().get(part.text)?.defaultValue;
        if (resolved) collect(resolved);
      }
    }
  };
  collect(value);
  return [...guids];
}

export const GUID_PATTERN = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
