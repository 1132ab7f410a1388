import { createDefaultHttpClient, createEmptyPipeline, createHttpHeaders, createPipelineRequest, type PipelinePolicy } from '@azure/core-rest-pipeline';
import { DefaultAzureCredential, type AccessToken, type GetTokenOptions, type TokenCredential } from '@azure/identity';
import { GovernError, errorInfo } from '../engine/errors';
import type { Config } from '../config';
import { RETRY_BUDGET_TIMEOUTS, retryBudgetPolicy, retryNoticePolicy, sameOriginPolicy, timeoutPolicy, type WaitListener } from './pipeline-policies';

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
  /** Told before an SDK client retries (throttled, 5xx, network), for progress output. */
  onRetryWait?: WaitListener;
}

export function armConnection(config: Config, credential: TokenCredential = createCredential(config), onRetryWait?: WaitListener): ArmConnection {
  return { credential, endpoint: config.armEndpoint, scope: config.armScope, timeoutMs: config.httpTimeoutMs, ...(onRetryWait ? { onRetryWait } : {}) };
}

/**
 * The identity, with the same bounds as every other client. The pipeline policies bound the
 * credentials that use them; the managed identity credential replaces `additionalPolicies` with its
 * own retry policy, so every getToken is also bounded as a whole (boundedCredential).
 */
export function createCredential(config: Pick<Config, 'httpTimeoutMs'>, onWait?: WaitListener): TokenCredential {
  const inner = new DefaultAzureCredential({ ...boundedRetries(config.httpTimeoutMs), additionalPolicies: boundsPolicies(config.httpTimeoutMs) });
  return explainedCredential(boundedCredential(inner, config.httpTimeoutMs * RETRY_BUDGET_TIMEOUTS, onWait), config.httpTimeoutMs);
}

/**
 * The identity library reports a managed identity endpoint's error answer as "endpoint failure" or
 * "temporarily unavailable", without the endpoint or its status. When getToken fails with a managed
 * identity endpoint configured (IDENTITY_ENDPOINT, or MSI_ENDPOINT), the endpoint is asked once
 * more (bounded by D4AI_HTTP_TIMEOUT_SECONDS) and the failure names it and the HTTP status it
 * answered. Its secret header is sent, never shown.
 */
export function explainedCredential(inner: TokenCredential, timeoutMs: number, env: NodeJS.ProcessEnv = process.env): TokenCredential {
  return {
    async getToken(scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken | null> {
      try {
        return await inner.getToken(scopes, options);
      } catch (error) {
        // A timeout keeps its own code (it is retried as one); only an answer that refused a token is explained.
        if (error instanceof GovernError) throw error;
        const answer = await identityEndpointAnswer(env, Array.isArray(scopes) ? (scopes[0] ?? '') : scopes, timeoutMs);
        if (!answer) throw error;
        const cause = errorInfo(error);
        throw new GovernError('CredentialUnavailable', `The managed identity endpoint ${answer.endpoint} (${answer.setting}) answered HTTP ${answer.status}${answer.message ? `: ${answer.message}` : ''}. ${cause.message}`);
      }
    },
  };
}

async function identityEndpointAnswer(env: NodeJS.ProcessEnv, scope: string, timeoutMs: number): Promise<{ endpoint: string; setting: string; status: number; message?: string } | undefined> {
  const setting = env.IDENTITY_ENDPOINT ? 'IDENTITY_ENDPOINT' : env.MSI_ENDPOINT ? 'MSI_ENDPOINT' : undefined;
  const endpoint = setting ? env[setting] : undefined;
  if (!setting || !endpoint) return undefined;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return undefined;
  }
  const shown = `${url.origin}${url.pathname}`;
  url.searchParams.set('api-version', setting === 'IDENTITY_ENDPOINT' ? '2019-08-01' : '2017-09-01');
  url.searchParams.set('resource', scope.replace(/\/\.default$/, ''));
  const headers: Record<string, string> = setting === 'IDENTITY_ENDPOINT' ? { 'X-IDENTITY-HEADER': env.IDENTITY_HEADER ?? '' } : { secret: env.MSI_SECRET ?? '' };
  try {
    // Through the Azure SDK's HTTP pipeline (its client, TLS and timeout), asked once: no retries.
    // The platform's identity endpoint is a local http URL (App Service, Functions): allowed for it alone.
    const request = createPipelineRequest({ url: url.href, headers: createHttpHeaders(headers), timeout: timeoutMs, allowInsecureConnection: url.protocol === 'http:' });
    const response = await createEmptyPipeline().sendRequest(createDefaultHttpClient(), request);
    if (response.status >= 200 && response.status < 300) return undefined;
    const text = (response.bodyAsText ?? '').slice(0, 2000);
    let message: string | undefined;
    try {
      const body = JSON.parse(text) as { message?: unknown; error?: { message?: unknown }; error_description?: unknown };
      const m = body.message ?? body.error_description ?? body.error?.message;
      message = typeof m === 'string' ? m.slice(0, 200) : undefined;
    } catch {
      message = text.trim().split('\n')[0]?.slice(0, 200) || undefined;
    }
    return { endpoint: shown, setting, status: response.status, ...(message ? { message } : {}) };
  } catch {
    // No answer at all (refused, timed out): the inner error already says so.
    return undefined;
  }
}

/** A token still missing after this long is reported, and again every TOKEN_WAIT_REPEAT_MS. */
export const TOKEN_WAIT_NOTICE_MS = 2000;
const TOKEN_WAIT_REPEAT_MS = 5000;

/**
 * getToken that gives up (aborting the attempt) after `budgetMs`, with a Timeout naming the setting.
 * The identity library retries the endpoint's 5xx and 429 answers inside getToken without telling
 * anyone, so a token that takes longer than TOKEN_WAIT_NOTICE_MS is reported to `onWait` (elapsed
 * so far), rather than the run going silent through the retries.
 */
export function boundedCredential(inner: TokenCredential, budgetMs: number, onWait?: WaitListener): TokenCredential {
  return {
    async getToken(scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken | null> {
      const budget = new AbortController();
      const signal = options.abortSignal ? AbortSignal.any([options.abortSignal as AbortSignal, budget.signal]) : budget.signal;
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          budget.abort();
          reject(new GovernError('Timeout', `Getting a token from the identity endpoint got no answer within ${Math.round(budgetMs / 1000)} s (${RETRY_BUDGET_TIMEOUTS} × D4AI_HTTP_TIMEOUT_SECONDS).`));
        }, budgetMs);
        timer.unref();
      });
      // Started last, right before the try whose finally stops it: nothing between can leave it running.
      const waiting = onWait ? tokenWaitNotices(onWait, budgetMs) : undefined;
      try {
        return await Promise.race([inner.getToken(scopes, { ...options, abortSignal: signal }), expired]);
      } finally {
        clearTimeout(timer);
        waiting?.stop();
      }
    },
  };
}

/** Reports a pending getToken at TOKEN_WAIT_NOTICE_MS, then every TOKEN_WAIT_REPEAT_MS, until stopped. */
function tokenWaitNotices(onWait: WaitListener, budgetMs: number): { stop(): void } {
  const started = Date.now();
  let timer: NodeJS.Timeout;
  const notice = (): void => {
    const elapsed = Date.now() - started;
    onWait(elapsed, `no token yet from the identity endpoint after ${Math.round(elapsed / 1000)} s (it is retried; given up after ${Math.round(budgetMs / 1000)} s)`);
    timer = setTimeout(notice, TOKEN_WAIT_REPEAT_MS).unref();
  };
  timer = setTimeout(notice, TOKEN_WAIT_NOTICE_MS).unref();
  return { stop: () => clearTimeout(timer) };
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
  const maxRetries = overrides.maxRetries ?? retries.retryOptions.maxRetries;
  const notice = connection.onRetryWait && maxRetries > 0 ? [{ policy: retryNoticePolicy(maxRetries, connection.onRetryWait), position: 'perRetry' as const }] : [];
  return {
    endpoint: connection.endpoint,
    credentials: { scopes: [connection.scope] },
    credentialScopes: [connection.scope],
    userAgentOptions: { userAgentPrefix: 'defender-ai-governor' },
    retryOptions: { ...retries.retryOptions, maxRetries },
    additionalPolicies: [{ policy: sameOriginPolicy(connection.endpoint), position: 'perCall' }, ...boundsPolicies(connection.timeoutMs), ...notice],
  };
}

/** Bounds for a client of another service (Table Storage): the timeout and budget, not the ARM origin. */
export function boundedClientOptions(timeoutMs: number, maxRetries?: number): { retryOptions: SdkClientOptions['retryOptions']; additionalPolicies: SdkClientOptions['additionalPolicies'] } {
  const { retryOptions } = boundedRetries(timeoutMs);
  return { retryOptions: { ...retryOptions, ...(maxRetries !== undefined ? { maxRetries } : {}) }, additionalPolicies: boundsPolicies(timeoutMs) };
}
