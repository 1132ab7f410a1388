/**
 * The workbook, the saved KQL queries and the alert read only what the code writes: every
 * `customDimensions.<field>` is in LOG_FIELDS and every "D4AI ..." message is in LOG_MESSAGES
 * (shared/observability/log.ts). Renaming a log field therefore fails here, not silently in a chart.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LOG_FIELDS, LOG_MESSAGES } from '../../shared/observability/log';
import { INFRA_DIR, REPO_ROOT, callArguments, callName, filesUnder, infraFile, literal, prop, relativeToRepo, stringValue } from './bicep';

const WORKBOOK_FILE = path.join(INFRA_DIR, 'workbook', 'd4ai-workbook.json');
const QUERY_FILES = filesUnder(path.join(INFRA_DIR, 'queries'), ['.kql']);
const MESSAGES: readonly string[] = Object.values(LOG_MESSAGES);
const FIELDS: readonly string[] = LOG_FIELDS;

/** Field names a KQL query reads from customDimensions (dotted or bracketed). */
function customDimensionFields(kql: string): string[] {
  const fields: string[] = [];
  for (const match of kql.matchAll(/customDimensions\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*["']([^"']+)["']\s*\])/g)) fields.push((match[1] ?? match[2]) as string);
  return fields;
}

/** String literals in a query that look like one of our log messages. */
function messageLiterals(kql: string): string[] {
  return [...kql.matchAll(/["'](D4AI [^"']*)["']/g)].map((m) => m[1] as string);
}

/** Reads of customDimensions that are neither `.field` nor `["field"]` (e.g. a bag expansion), which the check above could not see. */
function opaqueCustomDimensionUses(kql: string): number {
  const all = [...kql.matchAll(/customDimensions/g)].length;
  return all - customDimensionFields(kql).length;
}

interface WorkbookItem {
  type: number;
  name?: string;
  content?: { query?: string; visualization?: string; items?: WorkbookItem[]; json?: string };
}

function workbookQueries(items: WorkbookItem[]): Array<{ name: string; query: string; visualization?: string }> {
  const queries: Array<{ name: string; query: string; visualization?: string }> = [];
  for (const item of items) {
    if (typeof item.content?.query === 'string') {
      queries.push({ name: item.name ?? '(unnamed)', query: item.content.query, ...(item.content.visualization ? { visualization: item.content.visualization } : {}) });
    }
    if (Array.isArray(item.content?.items)) queries.push(...workbookQueries(item.content.items));
  }
  return queries;
}

describe('the field and message checks themselves', () => {
  test('find dotted and bracketed customDimensions fields', () => {
    expect(customDimensionFields('customDimensions.outcome == "failed" and customDimensions["errorCode"] != \'\' and customDimensions[\'runId\']')).toEqual([
      'outcome',
      'errorCode',
      'runId',
    ]);
  });

  test('find message literals and would reject an unknown one', () => {
    const found = messageLiterals('traces | where message in ("D4AI decision", \'D4AI made up\')');
    expect(found).toEqual(['D4AI decision', 'D4AI made up']);
    expect(found.filter((m) => !MESSAGES.includes(m))).toEqual(['D4AI made up']);
  });
});

describe('workbook', () => {
  const raw = fs.readFileSync(WORKBOOK_FILE, 'utf8');
  const workbook = JSON.parse(raw) as { version?: string; items?: WorkbookItem[] };
  const queries = workbookQueries(workbook.items ?? []);

  test('is a Notebook/1.0 workbook with queries', () => {
    expect(workbook.version).toBe('Notebook/1.0');
    expect(queries.length).toBeGreaterThanOrEqual(6);
  });

  test.each(queries.map((q) => [q.name, q.query] as const))('query %s reads App Insights traces by a known message and known fields only', (_name, query) => {
    expect(query).toMatch(/^\s*(let [\s\S]*?;\s*)?(union[\s\S]*\(\s*)?traces\b|\btraces\s*\n?\s*\|/);
    const messages = messageLiterals(query);
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.filter((m) => !MESSAGES.includes(m))).toEqual([]);
    expect(customDimensionFields(query).filter((f) => !FIELDS.includes(f))).toEqual([]);
    expect(opaqueCustomDimensionUses(query)).toBe(0);
  });

  test('shows decisions over time by action and outcome', () => {
    const chart = queries.find((q) => q.query.includes(LOG_MESSAGES.decision) && /customDimensions\.action/.test(q.query) && /customDimensions\.outcome/.test(q.query) && q.visualization === 'timechart');
    expect(chart).toBeDefined();
  });

  test('shows the subscriptions it enabled', () => {
    expect(queries.some((q) => q.query.includes(LOG_MESSAGES.decision) && q.query.includes('== "applied"') && q.query.includes('customDimensions.subscriptionId'))).toBe(true);
  });

  test('shows failures with their error codes', () => {
    expect(queries.some((q) => q.query.includes('== "failed"') && q.query.includes('customDimensions.errorCode'))).toBe(true);
  });

  test('shows sweep summaries', () => {
    const fields = ['sweepId', 'governed', 'applied', 'failed', 'skipped', 'capReached'];
    const table = queries.find((q) => q.query.includes(LOG_MESSAGES.sweepSummary) && fields.every((f) => customDimensionFields(q.query).includes(f)));
    expect(table).toBeDefined();
  });

  test('shows latency from event to applied (eventToAppliedMs)', () => {
    expect(queries.some((q) => customDimensionFields(q.query).includes('eventToAppliedMs'))).toBe(true);
  });

  test('is deployed as a shared workbook on the Application Insights component, from this file', async () => {
    const module = await infraFile('modules/workbook.bicep');
    const [resource] = module.resourcesOfType('Microsoft.Insights/workbooks');
    expect(literal(prop(resource?.body, 'kind'))).toBe('shared');
    expect(literal(prop(resource?.body, 'properties', 'version'))).toBe('Notebook/1.0');
    expect(prop(resource?.body, 'properties', 'sourceId')?.text).toContain('appInsightsId');
    const serialized = prop(resource?.body, 'properties', 'serializedData');
    expect(callName(serialized)).toBe('loadTextContent');
    expect(path.resolve(path.dirname(module.file), stringValue(callArguments(serialized)[0]) ?? '')).toBe(WORKBOOK_FILE);
  });
});

describe.each(QUERY_FILES.map((f) => [relativeToRepo(f), f] as const))('%s', (_name, file) => {
  const query = fs.readFileSync(file, 'utf8');

  test('reads App Insights traces by known messages and known customDimensions fields only', () => {
    expect(query).toMatch(/^traces\b/m);
    const messages = messageLiterals(query);
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.filter((m) => !MESSAGES.includes(m))).toEqual([]);
    expect(customDimensionFields(query).filter((f) => !FIELDS.includes(f))).toEqual([]);
    expect(opaqueCustomDimensionUses(query)).toBe(0);
  });

  test('is listed in docs/deploy.md', () => {
    expect(fs.readFileSync(path.join(REPO_ROOT, 'docs', 'deploy.md'), 'utf8')).toContain(`infra/queries/${path.basename(file)}`);
  });

  test('lives only in infra/queries/: no README or docs page holds a copy of it', () => {
    const pages = ['README.md', ...fs.readdirSync(path.join(REPO_ROOT, 'docs')).map((f) => path.join('docs', f))].filter((f) => f.endsWith('.md'));
    for (const page of pages) {
      const text = fs.readFileSync(path.join(REPO_ROOT, page), 'utf8');
      expect(text).not.toMatch(/```(kusto|kql)/i);
    }
  });
});

describe('failed-remediation alert', () => {
  test('is a scheduled log alert on Application Insights running infra/queries/failed-remediations.kql', async () => {
    const alerts = await infraFile('modules/alerts.bicep');
    const [rule] = alerts.resourcesOfType('Microsoft.Insights/scheduledQueryRules');
    expect(rule?.type).toBe('Microsoft.Insights/scheduledQueryRules@2023-03-15-preview');
    expect(literal(prop(rule?.body, 'kind'))).toBe('LogAlert');
    expect(prop(rule?.body, 'properties', 'scopes')?.text.replace(/\s+/g, ' ')).toBe('[ appInsightsId ]');
    const criteria = prop(rule?.body, 'properties', 'criteria', 'allOf')?.namedChildren[0] ?? undefined;
    const query = prop(criteria, 'query');
    expect(callName(query)).toBe('loadTextContent');
    expect(path.resolve(path.dirname(alerts.file), stringValue(callArguments(query)[0]) ?? '')).toBe(path.join(INFRA_DIR, 'queries', 'failed-remediations.kql'));
    expect(literal(prop(criteria, 'operator'))).toBe('GreaterThan');
    expect(literal(prop(criteria, 'threshold'))).toBe(0);
  });

  test('counts decisions whose outcome is failed', () => {
    const query = fs.readFileSync(path.join(INFRA_DIR, 'queries', 'failed-remediations.kql'), 'utf8');
    expect(query).toContain(`message == "${LOG_MESSAGES.decision}"`);
    expect(query).toContain('tostring(customDimensions.outcome) == "failed"');
  });

  test('notifies an e-mail action group when an address is given, and/or an existing action group', async () => {
    const alerts = await infraFile('modules/alerts.bicep');
    const [group] = alerts.resourcesOfType('Microsoft.Insights/actionGroups');
    expect(group?.condition?.text).toBe('(!empty(alertEmail))');
    expect(prop(group?.body, 'properties', 'emailReceivers')?.text).toContain('alertEmail');
    const [rule] = alerts.resourcesOfType('Microsoft.Insights/scheduledQueryRules');
    expect(prop(rule?.body, 'properties', 'actions', 'actionGroups')?.text).toBe('actionGroups');
    expect(alerts.vars().get('actionGroups')?.text).toContain('existingActionGroupId');
    const main = await infraFile('main.bicep');
    const module = main.modules().find((m) => m.source === 'modules/alerts.bicep');
    expect(prop(module?.body, 'params', 'alertEmail')?.text).toBe('alertEmail');
  });
});
