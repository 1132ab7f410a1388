import * as path from 'node:path';
import { Cron } from 'croner';
import { AI_EXTENSIONS, type AiExtensionName, isAiExtensionName } from './domain/extensions';
import { maskSecrets } from './observability/redact';

/**
 * Settings -> validated Config. This module is the only reader of process.env: every other module
 * receives a Config. All problems are collected and reported together, each naming its setting,
 * so an operator fixes a bad deployment in one pass.
 */

export type EnableWhen = 'ai-resources' | 'always';
export type Mode = 'enforce' | 'report';

export type RecordsTarget =
  | { kind: 'table'; connection: string; table: string; source: RecordsSource }
  | { kind: 'sqlite'; path: string };

/** Which setting supplied the records store; identity-based `AzureWebJobsStorage__*` forms included. */
export type RecordsSource =
  | 'D4AI_RECORDS_CONNECTION'
  | 'AzureWebJobsStorage'
  | 'AzureWebJobsStorage__tableServiceUri'
  | 'AzureWebJobsStorage__accountName';

export interface RetrySettings {
  maxAttempts: number;
  firstRetryIntervalMs: number;
  backoffCoefficient: number;
}

export interface Config {
  components: AiExtensionName[];
  enableWhen: EnableWhen;
  mode: Mode;
  /** Lower-case subscription ids. */
  excludedSubscriptions: string[];
  optOutTag: string;
  maxEnablementsPerRun: number;
  /** Without trailing slash, e.g. https://management.azure.com */
  armEndpoint: string;
  /** Token scope for the ARM endpoint, e.g. https://management.azure.com/.default */
  armScope: string;
  policyAssignmentId?: string;
  /**
   * The management group the governor governs (D4AI_MANAGEMENT_GROUP): the scope of its Resource
   * Graph snapshots. Undefined: every subscription the identity can read.
   */
  managementGroup?: string;
  records: RecordsTarget;
  /** Subscriptions governed at once by a CLI sweep. */
  sweepConcurrency: number;
  /** NCRONTAB (six fields) for the nightly sweep timer. */
  sweepSchedule: string;
  /** NCRONTAB (six fields) for the tenant watch timer. */
  watchSchedule: string;
  /** Sub-orchestrations started per batch by the sweep orchestration. */
  sweepBatch: number;
  activityRetry: RetrySettings;
  /** D4AI_HTTP_TIMEOUT_SECONDS: every ARM, Resource Graph and identity request is given up after this. */
  httpTimeoutMs: number;
  /** D4AI_PRICINGS_API_VERSION: 2026-07-01 (managedBy/originatedFrom), or 2024-01-01 where a cloud lacks it. */
  pricingsApiVersion: '2026-07-01' | '2024-01-01';
  /** D4AI_PRICE_PER_MILLION_TOKENS: the operator's price, for `d4ai report --tokens` estimates (never a built-in price). */
  pricePerMillionTokens?: number;
  /**
   * D4AI_ADMIN_ALLOW_FUNCTION_KEYS: the admin API's /api/automation routes accept a function key
   * without an Entra principal. False unless a deployment turns it on (functions/admin-auth.ts).
   */
  adminAllowFunctionKeys: boolean;
  /** D4AI_RECORDS_RETENTION_DAYS: records and run summaries older than this are pruned by the CLI; unset keeps everything. */
  recordsRetentionDays?: number;
  /** D4AI_PRICE_CURRENCY: the ISO 4217 code of that price (EUR, USD, ...), for the report's cost; no default currency. */
  priceCurrency?: string;
}

export const DEFAULTS = {
  D4AI_COMPONENTS: 'AIPromptEvidence,AIModelScanner',
  D4AI_ENABLE_WHEN: 'ai-resources',
  D4AI_MODE: 'enforce',
  D4AI_OPT_OUT_TAG: 'd4ai-opt-out',
  D4AI_MAX_ENABLEMENTS_PER_RUN: '500',
  D4AI_ARM_ENDPOINT: 'https://management.azure.com',
  D4AI_RECORDS_TABLE: 'RemediationRecords',
  D4AI_SWEEP_CONCURRENCY: '8',
  D4AI_SWEEP_SCHEDULE: '0 0 2 * * *',
  D4AI_WATCH_SCHEDULE: '0 */5 * * * *',
  D4AI_SWEEP_BATCH: '50',
  D4AI_RETRY_MAX_ATTEMPTS: '4',
  D4AI_RETRY_FIRST_INTERVAL_MS: '5000',
  D4AI_RETRY_BACKOFF: '2',
  D4AI_HTTP_TIMEOUT_SECONDS: '60',
  D4AI_PRICINGS_API_VERSION: '2026-07-01',
  D4AI_ADMIN_ALLOW_FUNCTION_KEYS: 'false',
} as const;

export type SettingName =
  | keyof typeof DEFAULTS
  | 'D4AI_EXCLUDED_SUBSCRIPTIONS'
  | 'D4AI_POLICY_ASSIGNMENT_ID'
  | 'D4AI_RECORDS_CONNECTION'
  | 'D4AI_MANAGEMENT_GROUP';

export const OPTIONAL_SETTINGS: readonly Exclude<SettingName, keyof typeof DEFAULTS>[] = [
  'D4AI_EXCLUDED_SUBSCRIPTIONS',
  'D4AI_POLICY_ASSIGNMENT_ID',
  'D4AI_RECORDS_CONNECTION',
  'D4AI_MANAGEMENT_GROUP',
];

/** Settings only the CLI reads (`d4ai report --tokens`): known, so not refused, but not app settings. */
export const CLI_ONLY_SETTINGS: readonly string[] = ['D4AI_PRICE_PER_MILLION_TOKENS', 'D4AI_RECORDS_RETENTION_DAYS', 'D4AI_PRICE_CURRENCY'];

/**
 * D4AI_* names the deployment uses (azd environment values read by infra/ and its hooks) but the
 * app does not: a shell with the azd environment loaded carries them, and that is not a mistake.
 */
export const DEPLOYMENT_ONLY_SETTINGS: readonly string[] = [
  'D4AI_POLICY_ASSIGNMENT_NAME',
  'D4AI_AUDIT_EFFECT',
  'D4AI_WATCHED_SUBSCRIPTION_IDS',
  'D4AI_ALERT_EMAIL',
  'D4AI_ALERT_ACTION_GROUP_ID',
  'D4AI_ADMIN_CLIENT_ID',
  'D4AI_OPERATORS_GROUP_ID',
  // Build tooling (.ci/bicep.sh, test/infra): CI's shell exports them while the tests and the demo run.
  'D4AI_BICEP',
  'D4AI_REQUIRE_BICEP',
];

export const KNOWN_SETTINGS: readonly string[] = [...Object.keys(DEFAULTS), ...OPTIONAL_SETTINGS, ...CLI_ONLY_SETTINGS];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Azure tag names cannot contain < > % & \ ? / and are at most 512 characters.
const TAG_NAME = /^[^<>%&\\?/]{1,512}$/;
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9]{2,62}$/;
// Resource id segments: names as ARM allows them, never empty, "." or "..".
const SEGMENT = '(?!\\.\\.?(?:/|$))[A-Za-z0-9_.()-]{1,90}';
const POLICY_ASSIGNMENT_ID = new RegExp(
  `^/(?:subscriptions/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?:/resourceGroups/${SEGMENT})?|providers/Microsoft\\.Management/managementGroups/${SEGMENT})/providers/Microsoft\\.Authorization/policyAssignments/${SEGMENT}$`,
  'i',
);
const NCRONTAB_SIX_FIELDS = /^\S+(\s+\S+){5}$/;
// Management group ids: letters, digits, '-', '_', '(', ')', '.', up to 90 characters, not ending in '.'.
const MANAGEMENT_GROUP_ID = /^[A-Za-z0-9\-_().]{0,89}[A-Za-z0-9\-_()]$/;

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

export interface LoadConfigOptions {
  /** The CLI's embedded SQLite store when no table is configured; omitted in Functions (table required). */
  fileFallback?: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): Config {
  const problems: string[] = unknownSettings(env);
  const read = (name: keyof typeof DEFAULTS): string => {
    const raw = env[name];
    return raw === undefined || raw.trim() === '' ? DEFAULTS[name] : raw.trim();
  };
  const integer = (name: keyof typeof DEFAULTS, min: number, max: number): number => {
    const raw = read(name);
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      problems.push(`${name}="${maskSecrets(raw)}" must be a whole number from ${min} to ${max}.`);
      return Number(DEFAULTS[name]);
    }
    return value;
  };
  const oneOf = <T extends string>(name: keyof typeof DEFAULTS, allowed: readonly T[]): T => {
    const raw = read(name);
    const match = allowed.find((a) => a.toLowerCase() === raw.toLowerCase());
    if (!match) {
      problems.push(`${name}="${maskSecrets(raw)}" must be one of: ${allowed.join(', ')}.`);
      return DEFAULTS[name] as T;
    }
    return match;
  };

  const components = parseComponents(read('D4AI_COMPONENTS'), problems);
  const enableWhen = oneOf<EnableWhen>('D4AI_ENABLE_WHEN', ['ai-resources', 'always']);
  const mode = oneOf<Mode>('D4AI_MODE', ['enforce', 'report']);

  const excludedSubscriptions = splitList('D4AI_EXCLUDED_SUBSCRIPTIONS', env.D4AI_EXCLUDED_SUBSCRIPTIONS, problems).map((id) => {
    if (!isGuid(id)) problems.push(`D4AI_EXCLUDED_SUBSCRIPTIONS has "${maskSecrets(id)}", which is not a subscription id (GUID).`);
    return id.toLowerCase();
  });

  const optOutTag = read('D4AI_OPT_OUT_TAG');
  if (!TAG_NAME.test(optOutTag)) problems.push(`D4AI_OPT_OUT_TAG="${maskSecrets(optOutTag)}" is not a valid Azure tag name.`);

  const maxEnablementsPerRun = integer('D4AI_MAX_ENABLEMENTS_PER_RUN', 0, 100000);
  const armEndpoint = parseArmEndpoint(read('D4AI_ARM_ENDPOINT'), problems);

  const policyAssignmentId = env.D4AI_POLICY_ASSIGNMENT_ID?.trim() || undefined;
  if (policyAssignmentId && !POLICY_ASSIGNMENT_ID.test(policyAssignmentId)) {
    problems.push(
      `D4AI_POLICY_ASSIGNMENT_ID="${maskSecrets(policyAssignmentId)}" must be a policy assignment resource id, e.g. /providers/Microsoft.Management/managementGroups/<mg>/providers/Microsoft.Authorization/policyAssignments/<name>.`,
    );
  }

  const managementGroup = parseManagementGroup(env.D4AI_MANAGEMENT_GROUP, problems);
  const records = parseRecords(env, read('D4AI_RECORDS_TABLE'), options, problems);
  const sweepConcurrency = integer('D4AI_SWEEP_CONCURRENCY', 1, 64);
  const schedule = (name: 'D4AI_SWEEP_SCHEDULE' | 'D4AI_WATCH_SCHEDULE'): string => {
    const value = read(name);
    const problem = ncrontabProblem(value, DEFAULTS[name]);
    if (problem) problems.push(`${name}="${maskSecrets(value)}" ${problem}`);
    return value;
  };
  const sweepSchedule = schedule('D4AI_SWEEP_SCHEDULE');
  const watchSchedule = schedule('D4AI_WATCH_SCHEDULE');
  const sweepBatch = integer('D4AI_SWEEP_BATCH', 1, 1000);
  const activityRetry: RetrySettings = {
    maxAttempts: integer('D4AI_RETRY_MAX_ATTEMPTS', 1, 20),
    firstRetryIntervalMs: integer('D4AI_RETRY_FIRST_INTERVAL_MS', 100, 600000),
    backoffCoefficient: integer('D4AI_RETRY_BACKOFF', 1, 10),
  };
  const httpTimeoutMs = integer('D4AI_HTTP_TIMEOUT_SECONDS', 1, 600) * 1000;
  const pricingsApiVersion = oneOf<'2026-07-01' | '2024-01-01'>('D4AI_PRICINGS_API_VERSION', ['2026-07-01', '2024-01-01']);
  const pricePerMillionTokens = priceFrom(env.D4AI_PRICE_PER_MILLION_TOKENS, problems);
  const adminAllowFunctionKeys = oneOf<'true' | 'false'>('D4AI_ADMIN_ALLOW_FUNCTION_KEYS', ['true', 'false']) === 'true';
  const recordsRetentionDays = retentionFrom(env.D4AI_RECORDS_RETENTION_DAYS, problems);
  const priceCurrency = currencyFrom(env.D4AI_PRICE_CURRENCY, problems);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    components,
    enableWhen,
    mode,
    excludedSubscriptions,
    optOutTag,
    maxEnablementsPerRun,
    armEndpoint,
    armScope: `${armEndpoint}/.default`,
    ...(policyAssignmentId ? { policyAssignmentId } : {}),
    ...(managementGroup ? { managementGroup } : {}),
    records,
    sweepConcurrency,
    sweepSchedule,
    watchSchedule,
    sweepBatch,
    activityRetry,
    httpTimeoutMs,
    pricingsApiVersion,
    ...(pricePerMillionTokens !== undefined ? { pricePerMillionTokens } : {}),
    adminAllowFunctionKeys,
    ...(recordsRetentionDays !== undefined ? { recordsRetentionDays } : {}),
    ...(priceCurrency !== undefined ? { priceCurrency } : {}),
  };
}

/** Unset (or empty): keep every record. Otherwise whole days, 1 to 36500 (an audit trail is not pruned by accident: 0 is refused). */
function retentionFrom(raw: string | undefined, problems: string[]): number | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  const days = Number(value);
  if (!/^\d+$/.test(value) || days < 1 || days > 36500) {
    problems.push(`D4AI_RECORDS_RETENTION_DAYS="${maskSecrets(value)}" must be a whole number of days from 1 to 36500 (unset keeps every record).`);
    return undefined;
  }
  return days;
}

/** Every D4AI_* variable the app does not know, with the setting it most likely meant. */
function unknownSettings(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env)
    .filter((name) => /^D4AI_/i.test(name) && !KNOWN_SETTINGS.includes(name) && !DEPLOYMENT_ONLY_SETTINGS.includes(name))
    .map((name) => `${name} is not a setting of the governor; did you mean ${closest(name, KNOWN_SETTINGS)}? (Unknown settings are refused rather than ignored.)`);
}

function closest(name: string, candidates: readonly string[]): string {
  let best = candidates[0] ?? '';
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(name.toUpperCase(), candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** Why an NCRONTAB expression is refused, checked by a real cron parser (croner), or undefined. */
export function ncrontabProblem(value: string, example: string): string | undefined {
  const shape = `six fields: second minute hour day month weekday, e.g. "${example}"`;
  if (!NCRONTAB_SIX_FIELDS.test(value)) return `must be an NCRONTAB expression with ${shape}; it has ${value.split(/\s+/).filter(Boolean).length}.`;
  let next: Date | null;
  try {
    // UTC as a fixed offset, not the 'Etc/UTC' time zone: the same instants, without croner's first
    // Intl time-zone lookup (about 35 ms of every CLI command's start-up, which loads the config).
    next = new Cron(value, { paused: true, utcOffset: 0 }).nextRun();
  } catch (error) {
    return `is not a valid NCRONTAB expression (${shape}): ${(error as Error).message.replace(/^CronPattern:\s*/, '')}`;
  }
  return next ? undefined : `never fires (${shape}).`;
}

/** A comma-separated list; a value of separators only (",,,") is refused: it names nothing by mistake. */
function splitList(name: string, raw: string | undefined, problems: string[]): string[] {
  if (raw === undefined || raw.trim() === '') return [];
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (items.length === 0) problems.push(`${name}="${maskSecrets(raw)}" holds only separators; leave it empty${name === 'D4AI_COMPONENTS' ? ', or write none for no components' : ''}.`);
  return items;
}

function parseComponents(raw: string, problems: string[]): AiExtensionName[] {
  // `none`: the plan alone (threat protection), no optional components.
  if (raw.trim().toLowerCase() === 'none') return [];
  const names = splitList('D4AI_COMPONENTS', raw, problems);
  const result: AiExtensionName[] = [];
  for (const name of names) {
    const known = AI_EXTENSIONS.find((e) => e.toLowerCase() === name.toLowerCase());
    if (!known || !isAiExtensionName(known)) {
      problems.push(`D4AI_COMPONENTS has "${maskSecrets(name)}"; allowed: ${AI_EXTENSIONS.join(', ')}, or none.`);
    } else if (!result.includes(known)) {
      result.push(known);
    }
  }
  return result;
}

/** A management group id, or the full resource id of one (…/managementGroups/<id>), as the id. */
function parseManagementGroup(raw: string | undefined, problems: string[]): string | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  const id = /^\/providers\/Microsoft\.Management\/managementGroups\/([^/]+)$/i.exec(value)?.[1] ?? value;
  if (!MANAGEMENT_GROUP_ID.test(id) || /^\.+$/.test(id)) {
    problems.push(`D4AI_MANAGEMENT_GROUP="${maskSecrets(value)}" must be a management group id (letters, digits, - _ ( ) ., up to 90 characters), e.g. contoso-landing-zones.`);
    return undefined;
  }
  return id;
}

function parseArmEndpoint(raw: string, problems: string[]): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(`D4AI_ARM_ENDPOINT="${maskSecrets(raw)}" is not a URL.`);
    return DEFAULTS.D4AI_ARM_ENDPOINT;
  }
  const shown = maskSecrets(raw);
  if (url.protocol !== 'https:') problems.push(`D4AI_ARM_ENDPOINT="${shown}" must use https (ARM bearer tokens are never sent in clear).`);
  if (url.username || url.password) problems.push(`D4AI_ARM_ENDPOINT="${shown}" must not carry a user name or password.`);
  if (url.pathname !== '/' || url.search || url.hash) problems.push(`D4AI_ARM_ENDPOINT="${shown}" must be an origin only, e.g. https://management.azure.com.`);
  return url.origin;
}

function parseRecords(env: NodeJS.ProcessEnv, table: string, options: LoadConfigOptions, problems: string[]): RecordsTarget {
  if (!TABLE_NAME.test(table)) {
    problems.push(`D4AI_RECORDS_TABLE="${maskSecrets(table)}" must be 3-63 letters or digits, starting with a letter.`);
  }
  const found = recordsConnectionFrom(env);
  if (!found) {
    if (options.fileFallback !== undefined) return { kind: 'sqlite', path: path.resolve(options.fileFallback) };
    problems.push(
      'D4AI_RECORDS_CONNECTION (or AzureWebJobsStorage / AzureWebJobsStorage__accountName) must be set: remediation records need a Table Storage account.',
    );
    return { kind: 'sqlite', path: '' };
  }
  const { connection, source } = found;
  const problem = tableConnectionProblem(connection);
  if (problem) problems.push(`${source} ${problem}`);
  return { kind: 'table', connection, table, source };
}

function recordsConnectionFrom(env: NodeJS.ProcessEnv): { connection: string; source: RecordsSource } | undefined {
  const setting = (name: RecordsSource): string | undefined => env[name]?.trim() || undefined;
  const explicit = setting('D4AI_RECORDS_CONNECTION');
  if (explicit) return { connection: explicit, source: 'D4AI_RECORDS_CONNECTION' };
  const webJobs = setting('AzureWebJobsStorage');
  if (webJobs) return { connection: webJobs, source: 'AzureWebJobsStorage' };
  // Identity-based host storage (no keys): the Functions host reads these same settings.
  const tableUri = setting('AzureWebJobsStorage__tableServiceUri');
  if (tableUri) return { connection: tableUri, source: 'AzureWebJobsStorage__tableServiceUri' };
  const account = setting('AzureWebJobsStorage__accountName');
  if (account) return { connection: `https://${account}.table.core.windows.net`, source: 'AzureWebJobsStorage__accountName' };
  return undefined;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Why a records store connection cannot be used (it is never echoed: it may hold a key), or undefined. */
function tableConnectionProblem(value: string): string | undefined {
  const forms =
    'must be a table endpoint URL like https://<account>.table.core.windows.net (used with the managed identity), ' +
    'a connection string with AccountName and AccountKey (or SharedAccessSignature and TableEndpoint), or UseDevelopmentStorage=true';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return endpointProblem(value) ?? bearerOverHttp(value);
  const fields = new Map<string, string>();
  for (const part of value.split(';').filter((p) => p.trim())) {
    const at = part.indexOf('=');
    if (at <= 0) return `${forms}; it has "${maskSecrets(part.trim()).slice(0, 40)}", which is not a Name=value pair.`;
    fields.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  if (fields.get('usedevelopmentstorage')?.toLowerCase() === 'true') return undefined;
  const endpoint = fields.get('tableendpoint');
  if (endpoint !== undefined) {
    const problem = endpointProblem(endpoint, 'its TableEndpoint');
    if (problem) return problem;
  }
  if (fields.get('defaultendpointsprotocol')?.toLowerCase() === 'http' && endpoint === undefined) {
    return 'uses DefaultEndpointsProtocol=http: records go to Table Storage over https only.';
  }
  const keyed = fields.has('accountname') && fields.has('accountkey');
  const signed = fields.has('sharedaccesssignature') && endpoint !== undefined;
  if (!keyed && !signed) return `is incomplete: it ${forms}.`;
  if (keyed && endpoint === undefined && !fields.has('defaultendpointsprotocol')) {
    // The Tables SDK builds the endpoint from the protocol and suffix; without either it refuses the string ("Invalid TableEndpoint").
    return 'has AccountName and AccountKey but no endpoint: add DefaultEndpointsProtocol=https (the account\'s table endpoint is then https://<account>.table.core.windows.net), or TableEndpoint=<the table endpoint URL>.';
  }
  return undefined;
}

/**
 * The URL form signs in with a bearer token (the managed identity, or az login), which the Tables
 * SDK sends over https only: http, even to a local emulator, fails at the first request.
 */
function bearerOverHttp(value: string): string | undefined {
  if (new URL(value).protocol !== 'http:') return undefined;
  return 'is a table endpoint URL over http: the URL form signs in with a bearer token, which is sent over https only. Use https, or for a local emulator a connection string with AccountName, AccountKey and TableEndpoint=http://127.0.0.1:<port>/<account> (or UseDevelopmentStorage=true).';
}

/** An endpoint URL must be https; http is accepted for a loopback host only (Azurite on this machine). */
function endpointProblem(value: string, what = 'it'): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be a table endpoint URL like https://<account>.table.core.windows.net; ${what} is not a URL.`;
  }
  if (url.protocol === 'https:' && url.hostname) return undefined;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return undefined;
  return `must use https (${what} is ${url.protocol}//${url.hostname || '(no host)'}; http is accepted only for a local emulator on 127.0.0.1 or localhost).`;
}

/**
 * Where the Functions app sends its OpenTelemetry logs and traces: the platform settings the
 * Functions host reads too (not D4AI_ settings). Undefined without a connection string (local
 * runs, tests): then logs go to the invocation log only.
 */
export interface TelemetrySettings {
  connectionString: string;
  /** Entra ID ingestion (Application Insights with local auth disabled): the managed identity to sign with. */
  entra?: { clientId?: string };
}

export function loadTelemetrySettings(env: NodeJS.ProcessEnv = process.env): TelemetrySettings | undefined {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim();
  if (!connectionString) return undefined;
  const problems: string[] = [];
  if (!/(^|;)\s*InstrumentationKey=[^;]+/i.test(connectionString)) {
    problems.push('APPLICATIONINSIGHTS_CONNECTION_STRING must hold InstrumentationKey=<id> (and IngestionEndpoint=...), as the portal shows it.');
  }
  const authentication = env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING?.trim();
  let entra: TelemetrySettings['entra'];
  if (authentication) {
    const fields = new Map(
      authentication
        .split(';')
        .map((part) => part.split('=').map((s) => s.trim()))
        .filter((kv): kv is [string, string] => kv.length === 2 && kv[0] !== '')
        .map(([k, v]) => [k.toLowerCase(), v]),
    );
    const clientId = fields.get('clientid');
    if (fields.get('authorization')?.toUpperCase() !== 'AAD') {
      problems.push('APPLICATIONINSIGHTS_AUTHENTICATION_STRING must be "Authorization=AAD" or "Authorization=AAD;ClientId=<managed identity client id>".');
    } else if (clientId !== undefined && !isGuid(clientId)) {
      problems.push(`APPLICATIONINSIGHTS_AUTHENTICATION_STRING has ClientId="${clientId}", which is not a client id (GUID).`);
    } else {
      entra = clientId ? { clientId } : {};
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { connectionString, ...(entra ? { entra } : {}) };
}

/** A price per million tokens in the operator's currency: a positive decimal number, or unset. */
function priceFrom(raw: string | undefined, problems: string[]): number | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  if (!/^\d{1,7}(\.\d{1,6})?$/.test(value) || !(Number(value) > 0)) {
    problems.push(`D4AI_PRICE_PER_MILLION_TOKENS="${value.slice(0, 40)}" must be a positive decimal number such as 0.25 (your price per million tokens scanned; no currency sign).`);
    return undefined;
  }
  return Number(value);
}

/** The currency of D4AI_PRICE_PER_MILLION_TOKENS: an ISO 4217 code (EUR, USD, GBP), or unset (no default: a cost is never shown in a currency nobody chose). */
function currencyFrom(raw: string | undefined, problems: string[]): string | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  const code = value.toUpperCase();
  if (!/^[A-Z]{3}$/.test(code) || !Intl.supportedValuesOf('currency').includes(code)) {
    problems.push(`D4AI_PRICE_CURRENCY="${value.slice(0, 40)}" must be an ISO 4217 currency code such as EUR, USD or GBP (the currency of D4AI_PRICE_PER_MILLION_TOKENS).`);
    return undefined;
  }
  return code;
}
