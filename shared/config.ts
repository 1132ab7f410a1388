import * as path from 'node:path';
import { AI_EXTENSIONS, type AiExtensionName, isAiExtensionName } from './domain/extensions';

/**
 * Settings -> validated Config. This module is the only reader of process.env: every other module
 * receives a Config. All problems are collected and reported together, each naming its setting,
 * so an operator fixes a bad deployment in one pass.
 */

export type EnableWhen = 'ai-resources' | 'always';
export type Mode = 'enforce' | 'report';

export type RecordsTarget =
  | { kind: 'table'; connection: string; table: string; source: RecordsSource }
  | { kind: 'file'; path: string };

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
} as const;

export type SettingName =
  | keyof typeof DEFAULTS
  | 'D4AI_EXCLUDED_SUBSCRIPTIONS'
  | 'D4AI_POLICY_ASSIGNMENT_ID'
  | 'D4AI_RECORDS_CONNECTION'
  | 'D4AI_MANAGEMENT_GROUP';

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
const POLICY_ASSIGNMENT_ID = /^\/(subscriptions|providers\/Microsoft\.Management\/managementGroups)\/[^/]+(\/resourceGroups\/[^/]+)?\/providers\/Microsoft\.Authorization\/policyAssignments\/[^/]+$/i;
const NCRONTAB_SIX_FIELDS = /^\S+(\s+\S+){5}$/;
// Management group ids: letters, digits, '-', '_', '(', ')', '.', up to 90 characters, not ending in '.'.
const MANAGEMENT_GROUP_ID = /^[A-Za-z0-9\-_().]{0,89}[A-Za-z0-9\-_()]$/;

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

export interface LoadConfigOptions {
  /** Where the CLI writes records when no table is configured; omitted in Functions (table required). */
  fileFallback?: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): Config {
  const problems: string[] = [];
  const read = (name: keyof typeof DEFAULTS): string => {
    const raw = env[name];
    return raw === undefined || raw.trim() === '' ? DEFAULTS[name] : raw.trim();
  };
  const integer = (name: keyof typeof DEFAULTS, min: number, max: number): number => {
    const raw = read(name);
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      problems.push(`${name}="${raw}" must be a whole number from ${min} to ${max}.`);
      return Number(DEFAULTS[name]);
    }
    return value;
  };
  const oneOf = <T extends string>(name: keyof typeof DEFAULTS, allowed: readonly T[]): T => {
    const raw = read(name);
    const match = allowed.find((a) => a.toLowerCase() === raw.toLowerCase());
    if (!match) {
      problems.push(`${name}="${raw}" must be one of: ${allowed.join(', ')}.`);
      return DEFAULTS[name] as T;
    }
    return match;
  };

  const components = parseComponents(read('D4AI_COMPONENTS'), problems);
  const enableWhen = oneOf<EnableWhen>('D4AI_ENABLE_WHEN', ['ai-resources', 'always']);
  const mode = oneOf<Mode>('D4AI_MODE', ['enforce', 'report']);

  const excludedSubscriptions = splitList(env.D4AI_EXCLUDED_SUBSCRIPTIONS).map((id) => {
    if (!isGuid(id)) problems.push(`D4AI_EXCLUDED_SUBSCRIPTIONS has "${id}", which is not a subscription id (GUID).`);
    return id.toLowerCase();
  });

  const optOutTag = read('D4AI_OPT_OUT_TAG');
  if (!TAG_NAME.test(optOutTag)) problems.push(`D4AI_OPT_OUT_TAG="${optOutTag}" is not a valid Azure tag name.`);

  const maxEnablementsPerRun = integer('D4AI_MAX_ENABLEMENTS_PER_RUN', 0, 100000);
  const armEndpoint = parseArmEndpoint(read('D4AI_ARM_ENDPOINT'), problems);

  const policyAssignmentId = env.D4AI_POLICY_ASSIGNMENT_ID?.trim() || undefined;
  if (policyAssignmentId && !POLICY_ASSIGNMENT_ID.test(policyAssignmentId)) {
    problems.push(
      `D4AI_POLICY_ASSIGNMENT_ID="${policyAssignmentId}" must be a policy assignment resource id, e.g. /providers/Microsoft.Management/managementGroups/<mg>/providers/Microsoft.Authorization/policyAssignments/<name>.`,
    );
  }

  const managementGroup = parseManagementGroup(env.D4AI_MANAGEMENT_GROUP, problems);
  const records = parseRecords(env, read('D4AI_RECORDS_TABLE'), options, problems);
  const sweepConcurrency = integer('D4AI_SWEEP_CONCURRENCY', 1, 64);
  const schedule = (name: 'D4AI_SWEEP_SCHEDULE' | 'D4AI_WATCH_SCHEDULE'): string => {
    const value = read(name);
    if (!NCRONTAB_SIX_FIELDS.test(value)) {
      problems.push(`${name}="${value}" must be an NCRONTAB expression with six fields (second minute hour day month weekday), e.g. "${DEFAULTS[name]}".`);
    }
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
  };
}

function splitList(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function parseComponents(raw: string, problems: string[]): AiExtensionName[] {
  // `none`: the plan alone (threat protection), no optional components.
  if (raw.trim().toLowerCase() === 'none') return [];
  const names = splitList(raw);
  const result: AiExtensionName[] = [];
  for (const name of names) {
    const known = AI_EXTENSIONS.find((e) => e.toLowerCase() === name.toLowerCase());
    if (!known || !isAiExtensionName(known)) {
      problems.push(`D4AI_COMPONENTS has "${name}"; allowed: ${AI_EXTENSIONS.join(', ')}, or none.`);
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
  if (!MANAGEMENT_GROUP_ID.test(id)) {
    problems.push(`D4AI_MANAGEMENT_GROUP="${value}" must be a management group id (letters, digits, - _ ( ) ., up to 90 characters), e.g. contoso-landing-zones.`);
    return undefined;
  }
  return id;
}

function parseArmEndpoint(raw: string, problems: string[]): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(`D4AI_ARM_ENDPOINT="${raw}" is not a URL.`);
    return DEFAULTS.D4AI_ARM_ENDPOINT;
  }
  if (url.protocol !== 'https:') problems.push(`D4AI_ARM_ENDPOINT="${raw}" must use https (ARM bearer tokens are never sent in clear).`);
  if (url.pathname !== '/' || url.search || url.hash) problems.push(`D4AI_ARM_ENDPOINT="${raw}" must be an origin only, e.g. https://management.azure.com.`);
  return url.origin;
}

function parseRecords(env: NodeJS.ProcessEnv, table: string, options: LoadConfigOptions, problems: string[]): RecordsTarget {
  if (!TABLE_NAME.test(table)) {
    problems.push(`D4AI_RECORDS_TABLE="${table}" must be 3-63 letters or digits, starting with a letter.`);
  }
  const found = recordsConnectionFrom(env);
  if (!found) {
    if (options.fileFallback !== undefined) return { kind: 'file', path: path.resolve(options.fileFallback) };
    problems.push(
      'D4AI_RECORDS_CONNECTION (or AzureWebJobsStorage / AzureWebJobsStorage__accountName) must be set: remediation records need a Table Storage account.',
    );
    return { kind: 'file', path: '' };
  }
  const { connection, source } = found;
  if (!isTableConnection(connection)) {
    problems.push(
      `${source} must be a storage connection string (AccountName=...;AccountKey=... or UseDevelopmentStorage=true) or a table endpoint URL like https://<account>.table.core.windows.net.`,
    );
  }
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

function isTableConnection(value: string): boolean {
  if (/^UseDevelopmentStorage=true/i.test(value)) return true;
  if (/^https?:\/\//i.test(value)) {
    try {
      new URL(value);
      return true;
    } catch {
      return false;
    }
  }
  return /AccountName=[^;]+/i.test(value) || /TableEndpoint=[^;]+/i.test(value);
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
