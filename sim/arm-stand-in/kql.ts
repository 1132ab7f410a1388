/**
 * The KQL subset the Resource Graph stand-in answers, and nothing more, so a client that drifts
 * outside it learns so here (400 InvalidQuery) rather than against a real endpoint:
 *
 *   <query> := <table> [| <op>]...
 *   <op>    := where <cond> [and <cond>]...
 *            | project <item>, ...
 *            | join kind=leftouter (<table> [| where ...]... | project ...) on <column>
 *   <cond>  := <column> =~ '<value>' | <column> == '<value>' | <column> in~ ('<a>', ...) | <column> in ('<a>', ...)
 *   <item>  := <column> | <name> = tostring(<column>.<key>[.<key>]...)
 *
 * Columns are the tables' own (id, name, type, kind, subscriptionId, tenantId, resourceGroup,
 * location, tags, properties) until a `project` names the columns that go on; after it only those
 * exist, as in Kusto. Operators apply in order. The one computed column is `tostring()` of a
 * property path; `join` is the leftouter flavour only (Resource Graph documents innerunique, inner,
 * leftouter and fullouter), one per query, on one column of the same name on both sides, with both
 * sides projected. Its result has Kusto's shape: the left columns, then the right ones, a right
 * column whose name the left already has renamed with a `1` suffix (the key too: subscriptionId1);
 * a left row without a match keeps its place with the right columns empty, which in Kusto is null
 * for a dynamic column and '' for a string (Kusto strings have no null). No `or`, extend,
 * summarize, mv-expand, union, limit, other functions, other join flavours or nested joins.
 */
import { ArmError } from './http';

export const GRAPH_COLUMNS = ['id', 'name', 'type', 'kind', 'subscriptionId', 'tenantId', 'resourceGroup', 'location', 'tags', 'properties'] as const;
export type GraphColumn = (typeof GRAPH_COLUMNS)[number];

/** Kusto's types as far as the subset needs them: what an empty (unmatched) value is. */
type ColumnType = 'string' | 'dynamic';
const DYNAMIC_COLUMNS: ReadonlySet<string> = new Set<GraphColumn>(['tags', 'properties']);

interface Column {
  name: string;
  type: ColumnType;
}

export interface Condition {
  column: string;
  caseInsensitive: boolean;
  values: string[];
}

export interface ProjectItem {
  /** The column's name in the result. */
  name: string;
  type: ColumnType;
  /** The input column it comes from. */
  from: string;
  /** Set for `tostring(from.path...)`. */
  path?: string[];
}

export type Step =
  | { op: 'where'; conditions: Condition[] }
  | { op: 'project'; items: ProjectItem[] }
  | { op: 'join'; right: ParsedQuery; on: string; rightColumns: Column[]; renamed: Map<string, string> };

export interface ParsedQuery {
  table: string;
  steps: Step[];
  /** The result's columns; undefined: the table's whole rows (no project). */
  columns?: string[];
  /** Every table the query reads (the joined one too). */
  tables: string[];
}

/** A result row and where the service orders it: by the id of the table row it came from (the left one, for a join). */
export interface ResultRow {
  values: Record<string, unknown>;
  order: string;
}

const invalid = (message: string): ArmError =>
  new ArmError(
    400,
    'InvalidQuery',
    `Query is invalid for this endpoint: ${message} (supported: <table> | where <column> =~ '<v>' [and ...] | where <column> in~ ('<a>', ...) | project <columns>, <name> = tostring(<column>.<key>) | join kind=leftouter (<table> | ... | project ...) on <column>).`,
  );

/** Splits on `sep` outside single-quoted strings and parentheses. */
function splitTopLevel(text: string, sep: RegExp): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === "'") quoted = !quoted;
    if (!quoted) {
      if (ch === '(') depth++;
      if (ch === ')' && --depth < 0) throw invalid('an unbalanced ")"');
      if (depth === 0) {
        const m = sep.exec(text.slice(i));
        if (m && m.index === 0) {
          parts.push(current);
          current = '';
          i += m[0].length - 1;
          continue;
        }
      }
    }
    current += ch;
  }
  if (quoted) throw invalid('an unterminated string');
  if (depth !== 0) throw invalid('an unbalanced "("');
  parts.push(current);
  return parts.map((p) => p.trim());
}

/** The column of the schema so named (matched case-insensitively, as the stand-in always has). */
function column(schema: readonly Column[], name: string): Column {
  const found = schema.find((c) => c.name.toLowerCase() === name.toLowerCase());
  if (!found) throw invalid(`"${name}" is not a column here (computed or nested columns are not supported; after project only the projected columns exist)`);
  return found;
}

function literal(text: string): string {
  const m = /^'([^']*)'$/.exec(text.trim());
  if (!m) throw invalid(`expected a single-quoted string, got ${text.trim()}`);
  return m[1] as string;
}

function condition(schema: readonly Column[], text: string): Condition {
  const list = /^([A-Za-z_][A-Za-z0-9_.[\]'"]*)\s+(in~|in)\s*\((.*)\)$/s.exec(text);
  if (list) {
    const values = splitTopLevel(list[3] as string, /^,/).map(literal);
    return { column: column(schema, list[1] as string).name, caseInsensitive: list[2] === 'in~', values };
  }
  const eq = /^([A-Za-z_][A-Za-z0-9_.[\]'"]*)\s*(=~|==)\s*(.+)$/s.exec(text);
  if (eq) return { column: column(schema, eq[1] as string).name, caseInsensitive: eq[2] === '=~', values: [literal(eq[3] as string)] };
  throw invalid(`unsupported condition "${text}"`);
}

const IDENT = '[A-Za-z_][A-Za-z0-9_]*';
const TOSTRING = new RegExp(`^(${IDENT})\\s*=\\s*tostring\\(\\s*(${IDENT})((?:\\.${IDENT})+)\\s*\\)$`, 's');

function projectItem(schema: readonly Column[], text: string): ProjectItem {
  const computed = TOSTRING.exec(text);
  if (computed) {
    const from = column(schema, computed[2] as string);
    if (from.type !== 'dynamic') throw invalid(`tostring() of "${from.name}": only a property path of a dynamic column (tags, properties) is supported`);
    return { name: computed[1] as string, type: 'string', from: from.name, path: (computed[3] as string).slice(1).split('.') };
  }
  if (/[=()\s.]/.test(text)) throw invalid(`computed column "${text}" in project (only <name> = tostring(<column>.<key>) is supported)`);
  const from = column(schema, text);
  return { name: from.name, type: from.type, from: from.name };
}

/** `kind=leftouter (<query>) on <column>`: the subquery's text and the key. */
function joinParts(text: string): { kind: string | undefined; subquery: string; on: string } {
  const kindMatch = /^kind\s*=\s*([A-Za-z]+)\s*/i.exec(text);
  const rest = kindMatch ? text.slice(kindMatch[0].length) : text;
  if (!rest.startsWith('(')) throw invalid('join needs its right side in parentheses: join kind=leftouter (<table> | ...) on <column>');
  let depth = 0;
  let quoted = false;
  let end = -1;
  for (let i = 0; i < rest.length && end < 0; i++) {
    const ch = rest[i] as string;
    if (ch === "'") quoted = !quoted;
    if (quoted) continue;
    if (ch === '(') depth++;
    if (ch === ')' && --depth === 0) end = i;
  }
  if (end < 0) throw invalid('an unbalanced "(" in join');
  const on = /^on\s+(.+)$/is.exec(rest.slice(end + 1).trim());
  if (!on) throw invalid('join needs "on <column>"');
  return { kind: kindMatch?.[1], subquery: rest.slice(1, end), on: (on[1] as string).trim() };
}

function tableSchema(): Column[] {
  return GRAPH_COLUMNS.map((name) => ({ name, type: DYNAMIC_COLUMNS.has(name) ? 'dynamic' : 'string' }));
}

/** A name the schema does not have yet: Kusto's suffix for a right-side column the left already has. */
function unusedName(taken: ReadonlySet<string>, name: string): string {
  for (let n = 1; ; n++) if (!taken.has(`${name}${n}`.toLowerCase())) return `${name}${n}`;
}

function parse(query: string, allowJoin: boolean): ParsedQuery & { schema: Column[] } {
  const [tableText, ...operators] = splitTopLevel(query, /^\|/);
  const table = (tableText ?? '').toLowerCase();
  if (!/^[a-z]+$/.test(table)) throw invalid(`"${tableText ?? ''}" is not a table name`);
  const parsed: ParsedQuery & { schema: Column[] } = { table, steps: [], tables: [table], schema: tableSchema() };
  let projected = false;
  let joined = false;
  for (const op of operators) {
    const where = /^where\s+(.+)$/is.exec(op);
    if (where) {
      const terms = splitTopLevel(where[1] as string, /^\s+and\s+/i);
      if (terms.some((t) => /\s(or)\s/i.test(t.replace(/'[^']*'/g, "''")))) throw invalid('"or" is not supported');
      parsed.steps.push({ op: 'where', conditions: terms.map((t) => condition(parsed.schema, t)) });
      continue;
    }
    const project = /^project\s+(.+)$/is.exec(op);
    if (project) {
      const items = splitTopLevel(project[1] as string, /^,/).map((c) => projectItem(parsed.schema, c));
      const names = new Set<string>();
      for (const item of items) {
        if (names.has(item.name.toLowerCase())) throw invalid(`column "${item.name}" projected twice`);
        names.add(item.name.toLowerCase());
      }
      parsed.steps.push({ op: 'project', items });
      parsed.schema = items.map((i) => ({ name: i.name, type: i.type }));
      projected = true;
      continue;
    }
    const join = /^join\b\s*(.*)$/is.exec(op);
    if (join) {
      if (!allowJoin) throw invalid('a join inside a join');
      if (joined) throw invalid('more than one join');
      const { kind, subquery, on } = joinParts(join[1] as string);
      if (kind?.toLowerCase() !== 'leftouter') throw invalid(`join ${kind ? `kind=${kind}` : 'without kind= (innerunique)'}: only kind=leftouter is supported`);
      if (!projected) throw invalid('join needs a project before it (the stand-in joins projected rows only)');
      const right = parse(subquery, false);
      if (right.columns === undefined) throw invalid('the right side of a join needs a project');
      const leftKey = column(parsed.schema, on);
      if (leftKey.type !== 'string' || column(right.schema, on).type !== 'string') throw invalid(`join on "${on}": only a string column is supported as the key`);
      const taken = new Set(parsed.schema.map((c) => c.name.toLowerCase()));
      const renamed = new Map<string, string>();
      const rightColumns: Column[] = [];
      for (const c of right.schema) {
        const name = taken.has(c.name.toLowerCase()) ? unusedName(taken, c.name) : c.name;
        taken.add(name.toLowerCase());
        renamed.set(c.name, name);
        rightColumns.push({ name, type: c.type });
      }
      parsed.steps.push({ op: 'join', right, on: leftKey.name, rightColumns, renamed });
      parsed.tables.push(...right.tables);
      parsed.schema = [...parsed.schema, ...rightColumns];
      joined = true;
      continue;
    }
    throw invalid(`operator "${op.split(/[\s(]/)[0] ?? op}"`);
  }
  if (projected) parsed.columns = parsed.schema.map((c) => c.name);
  return parsed;
}

export function parseQuery(query: string): ParsedQuery {
  const { schema: _schema, ...parsed } = parse(query, true);
  return parsed;
}

export function matches(row: Record<string, unknown>, conditions: readonly Condition[]): boolean {
  return conditions.every((c) => {
    const value = row[c.column];
    if (typeof value !== 'string') return false;
    return c.values.some((v) => (c.caseInsensitive ? v.toLowerCase() === value.toLowerCase() : v === value));
  });
}

/** Kusto's tostring(): '' for a missing or null value, strings as they are, anything else as JSON. */
function kqlString(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function dig(value: unknown, path: readonly string[]): unknown {
  let at = value;
  for (const key of path) {
    if (at === null || typeof at !== 'object' || Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

function projectValues(values: Record<string, unknown>, items: readonly ProjectItem[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of items) out[item.name] = item.path ? kqlString(dig(values[item.from], item.path)) : (values[item.from] ?? null);
  return out;
}

/**
 * The query's rows over `rowsOf(table)` (the rows of a table in the request's scope), operator by
 * operator. Rows are not copied: what is served is copied once, page by page, by the caller.
 */
export function evaluate(parsed: ParsedQuery, rowsOf: (table: string) => Array<Record<string, unknown>>): ResultRow[] {
  let rows: ResultRow[] = rowsOf(parsed.table).map((values) => ({ values, order: String(values.id) }));
  for (const step of parsed.steps) {
    if (step.op === 'where') {
      rows = rows.filter((r) => matches(r.values, step.conditions));
    } else if (step.op === 'project') {
      rows = rows.map((r) => ({ values: projectValues(r.values, step.items), order: r.order }));
    } else {
      const byKey = new Map<string, Array<Record<string, unknown>>>();
      for (const r of evaluate(step.right, rowsOf)) {
        // Kusto's join compares the keys with ==: case-sensitive.
        const key = r.values[step.on];
        if (typeof key !== 'string') continue;
        const list = byKey.get(key) ?? [];
        list.push(r.values);
        byKey.set(key, list);
      }
      const unmatched = Object.fromEntries(step.rightColumns.map((c) => [c.name, c.type === 'string' ? '' : null]));
      rows = rows.flatMap((left) => {
        const key = left.values[step.on];
        const found = typeof key === 'string' ? byKey.get(key) : undefined;
        if (!found) return [{ values: { ...left.values, ...unmatched }, order: left.order }];
        return found.map((right) => {
          const values = { ...left.values };
          for (const [from, to] of step.renamed) values[to] = right[from] ?? null;
          return { values, order: left.order };
        });
      });
    }
  }
  return rows;
}
