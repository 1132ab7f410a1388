/**
 * The KQL subset the Resource Graph stand-in answers, and nothing more, so a client that drifts
 * outside it learns so here (400 InvalidQuery) rather than against a real endpoint:
 *
 *   <table> [| where <cond> [and <cond>]...]... [| project <column>, ...]
 *   <cond> := <column> =~ '<value>' | <column> == '<value>' | <column> in~ ('<a>', ...) | <column> in ('<a>', ...)
 *
 * Columns are the tables' own: id, name, type, kind, subscriptionId, tenantId, resourceGroup,
 * location, tags, properties. No `or`, extend, summarize, join, mv-expand, limit or computed columns.
 */
import { ArmError } from './http';

export const GRAPH_COLUMNS = ['id', 'name', 'type', 'kind', 'subscriptionId', 'tenantId', 'resourceGroup', 'location', 'tags', 'properties'] as const;
export type GraphColumn = (typeof GRAPH_COLUMNS)[number];

export interface Condition {
  column: GraphColumn;
  caseInsensitive: boolean;
  values: string[];
}

export interface ParsedQuery {
  table: string;
  conditions: Condition[];
  /** Undefined: every column. */
  project?: GraphColumn[];
}

const invalid = (message: string): ArmError =>
  new ArmError(400, 'InvalidQuery', `Query is invalid for this endpoint: ${message} (supported: <table> | where <column> =~ '<v>' [and ...] | where <column> in~ ('<a>', ...) | project <columns>).`);

/** Splits on `sep` outside single-quoted strings. */
function splitOutsideQuotes(text: string, sep: RegExp): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === "'") quoted = !quoted;
    if (!quoted) {
      const m = sep.exec(text.slice(i));
      if (m && m.index === 0) {
        parts.push(current);
        current = '';
        i += m[0].length - 1;
        continue;
      }
    }
    current += ch;
  }
  if (quoted) throw invalid('an unterminated string');
  parts.push(current);
  return parts.map((p) => p.trim());
}

function column(name: string): GraphColumn {
  const found = GRAPH_COLUMNS.find((c) => c.toLowerCase() === name.toLowerCase());
  if (!found) throw invalid(`"${name}" is not a column of the table (computed or nested columns are not supported)`);
  return found;
}

function literal(text: string): string {
  const m = /^'([^']*)'$/.exec(text.trim());
  if (!m) throw invalid(`expected a single-quoted string, got ${text.trim()}`);
  return m[1] as string;
}

function condition(text: string): Condition {
  const list = /^([A-Za-z_][A-Za-z0-9_.[\]'"]*)\s+(in~|in)\s*\((.*)\)$/s.exec(text);
  if (list) {
    const values = splitOutsideQuotes(list[3] as string, /^,/).map(literal);
    return { column: column(list[1] as string), caseInsensitive: list[2] === 'in~', values };
  }
  const eq = /^([A-Za-z_][A-Za-z0-9_.[\]'"]*)\s*(=~|==)\s*(.+)$/s.exec(text);
  if (eq) return { column: column(eq[1] as string), caseInsensitive: eq[2] === '=~', values: [literal(eq[3] as string)] };
  throw invalid(`unsupported condition "${text}"`);
}

export function parseQuery(query: string): ParsedQuery {
  const [tableText, ...operators] = splitOutsideQuotes(query, /^\|/);
  const table = (tableText ?? '').toLowerCase();
  if (!/^[a-z]+$/.test(table)) throw invalid(`"${tableText ?? ''}" is not a table name`);
  const parsed: ParsedQuery = { table, conditions: [] };
  for (const op of operators) {
    const where = /^where\s+(.+)$/is.exec(op);
    if (where) {
      const terms = splitOutsideQuotes(where[1] as string, /^\s+and\s+/i);
      if (terms.some((t) => /\s(or)\s/i.test(t.replace(/'[^']*'/g, "''")))) throw invalid('"or" is not supported');
      parsed.conditions.push(...terms.map(condition));
      continue;
    }
    const project = /^project\s+(.+)$/is.exec(op);
    if (project) {
      parsed.project = splitOutsideQuotes(project[1] as string, /^,/).map((c) => {
        if (/[=()\s.]/.test(c)) throw invalid(`computed column "${c}" in project`);
        return column(c);
      });
      continue;
    }
    throw invalid(`operator "${op.split(/\s/)[0] ?? op}"`);
  }
  return parsed;
}

export function matches(row: Record<string, unknown>, conditions: readonly Condition[]): boolean {
  return conditions.every((c) => {
    const value = row[c.column];
    if (typeof value !== 'string') return false;
    return c.values.some((v) => (c.caseInsensitive ? v.toLowerCase() === value.toLowerCase() : v === value));
  });
}

export function projectRow(row: Record<string, unknown>, columns: readonly GraphColumn[] | undefined): Record<string, unknown> {
  if (!columns) return structuredClone(row);
  return Object.fromEntries(columns.map((c) => [c, structuredClone(row[c] ?? null)]));
}
