import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import type { Config } from '../config';
import { RETRY_BUDGET_TIMEOUTS, retryBudgetPolicy, sameOriginPolicy, timeoutPolicy } from './pipeline-policies';

/**
 * One credential and one endpoint for every ARM adapter. DefaultAzureCredential picks up the
 * Functions managed identity (IDENTITY_ENDPOINT + IDENTITY_HEADER), a workload identity, or an
 * `az login` session for CLI use, so the same code runs in Azure, in CI and on a laptop.
 */
export interface ArmConnection {
  credential: TokenCredential;
  /** e.g. https://management.azure.com */
  endpoint: string;
  /** e.g. https://management.azure.com/.default: the token audience follows the endpoint. */
  scope: string;
  /** D4AI_HTTP_TIMEOUT_SECONDS, per attempt. */
  timeoutMs: number;
}

export function armConnection(config: Config, credential: TokenCredential = createCredential(config)): ArmConnection {
  return { credential, endpoint: config.armEndpoint, scope: config.armScope, timeoutMs: config.httpTimeoutMs };
}

/** The identity, with the same bounds as every other client: a timeout per attempt and a retry budget. */
export function createCredential(config: Pick<Config, 'httpTimeoutMs'>): TokenCredential {
  return new DefaultAzureCredential({ ...boundedRetries(config.httpTimeoutMs), additionalPolicies: boundsPolicies(config.httpTimeoutMs) });
}

function boundedRetries(timeoutMs: number): { retryOptions: { maxRetries: number; retryDelayInMs: number; maxRetryDelayInMs: number } } {
  return { retryOptions: { maxRetries: 3, retryDelayInMs: 800, maxRetryDelayInMs: Math.min(30_000, timeoutMs) } };
}

function boundsPolicies(timeoutMs: number): Array<{ policy: PipelinePolicy; position: 'perCall' | 'perRetry' }> {
  return [
    { policy: retryBudgetPolicy(timeoutMs * RETRY_BUDGET_TIMEOUTS), position: 'perCall' },
    { policy: timeoutPolicy(timeoutMs), position: 'perRetry' },
  ];
}

/**
 * Options every SDK client gets, so they all share the endpoint, token scope, retries and user
 * agent. Both client generations are served: the modular ones (@azure/arm-resources 8,
 * @azure/arm-policy 7, @azure-rest/core-client) read `credentials.scopes`, the core-client ones
 * (@azure/data-tables and older ARM packages) read `credentialScopes`.
 */
export interface SdkClientOptions {
  endpoint: string;
  credentials: { scopes: string[] };
  credentialScopes: string[];
  userAgentOptions: { userAgentPrefix: string };
  retryOptions: { maxRetries: number; retryDelayInMs: number; maxRetryDelayInMs: number };
  additionalPolicies: Array<{ policy: PipelinePolicy; position: 'perCall' | 'perRetry' }>;
}

export function sdkClientOptions(connection: ArmConnection, overrides: { maxRetries?: number } = {}): SdkClientOptions {
  const retries = boundedRetries(connection.timeoutMs);
  return {
    endpoint: connection.endpoint,
    credentials: { scopes: [connection.scope] },
    credentialScopes: [connection.scope],
    userAgentOptions: { userAgentPrefix: 'defender-ai-governor' },
    retryOptions: { ...retries.retryOptions, ...(overrides.maxRetries !== undefined ? { maxRetries: overrides.maxRetries } : {}) },
    additionalPolicies: [{ policy: sameOriginPolicy(connection.endpoint), position: 'perCall' }, ...boundsPolicies(connection.timeoutMs)],
  };
}

/** Bounds for a client of another service (Table Storage): the timeout and budget, not the ARM origin. */
export function boundedClientOptions(timeoutMs: number): { retryOptions: SdkClientOptions['retryOptions']; additionalPolicies: SdkClientOptions['additionalPolicies'] } {
  return { ...boundedRetries(timeoutMs), additionalPolicies: boundsPolicies(timeoutMs) };
}
