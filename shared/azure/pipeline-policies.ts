import { isRestError, type PipelinePolicy, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { GovernError, retryAfterFromHeaders } from '../engine/errors';

/**
 * Bounds on every request the SDK clients send, added to their pipelines through
 * `additionalPolicies` (credential.ts):
 *  - a timeout per attempt (D4AI_HTTP_TIMEOUT_SECONDS): a request that never answers ends as
 *    `Timeout`, not a hang;
 *  - a budget for an operation with all its retries (429 waits included): `RetryBudgetExceeded`;
 *  - same origin: a request (a nextLink, say) to any origin but D4AI_ARM_ENDPOINT's is refused
 *    before the bearer token is added (this policy runs per call, ahead of the signing phase), so a
 *    foreign nextLink never receives the token;
 * and a bound on paging (boundedPages): a repeated nextLink or more than MAX_PAGES pages stop a list.
 */

export const MAX_PAGES = 1000;
/** An operation with all its retries gets this many attempt timeouts at most. */
export const RETRY_BUDGET_TIMEOUTS = 4;

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || /aborted/i.test(error.message));
}

function host(request: PipelineRequest): string {
  try {
    return new URL(request.url).host;
  } catch {
    return 'the endpoint';
  }
}

/** Per attempt (perRetry): gives up after `timeoutMs` without an answer. */
export function timeoutPolicy(timeoutMs: number): PipelinePolicy {
  return {
    name: 'd4aiTimeout',
    async sendRequest(request, next) {
      if (!request.timeout || request.timeout > timeoutMs) request.timeout = timeoutMs;
      const callerSignal = request.abortSignal;
      try {
        return await next(request);
      } catch (error) {
        if (isAbort(error) && !callerSignal?.aborted) {
          throw new GovernError('Timeout', `${request.method} to ${host(request)} got no answer within ${Math.round(timeoutMs / 1000)} s (D4AI_HTTP_TIMEOUT_SECONDS).`);
        }
        throw error;
      }
    },
  };
}

/** Per operation (perCall): all attempts and retry waits together get `budgetMs`. */
export function retryBudgetPolicy(budgetMs: number): PipelinePolicy {
  return {
    name: 'd4aiRetryBudget',
    async sendRequest(request, next) {
      const budget = AbortSignal.timeout(budgetMs);
      const caller = request.abortSignal as AbortSignal | undefined;
      request.abortSignal = caller ? AbortSignal.any([caller, budget]) : budget;
      try {
        return await next(request);
      } catch (error) {
        if (budget.aborted && !caller?.aborted) {
          throw new GovernError('RetryBudgetExceeded', `${request.method} to ${host(request)} did not succeed within ${Math.round(budgetMs / 1000)} s with its retries (${RETRY_BUDGET_TIMEOUTS} × D4AI_HTTP_TIMEOUT_SECONDS).`);
        }
        throw error;
      }
    },
  };
}

/**
 * Told how long a run waits, and why, for progress output (a wait is never silent). `waitMs` is
 * undefined when the wait is an SDK client's own back-off, whose length is not known here.
 */
export type WaitListener = (waitMs: number | undefined, reason: string) => void;

/**
 * Per attempt (perRetry): the SDK clients' retry policies wait out a 429 / 503 Retry-After, or back
 * off after a 408, a 5xx or a network error, without a word. This policy sees each attempt's answer
 * first and, when a retry will follow (attempts left out of `maxRetries`), tells `onWait` how long
 * the service asked to wait, so a long run says it is throttled instead of going silent.
 */
export function retryNoticePolicy(maxRetries: number, onWait: WaitListener): PipelinePolicy {
  const attempts = new WeakMap<PipelineRequest, number>();
  return {
    name: 'd4aiRetryNotice',
    async sendRequest(request, next) {
      const attempt = (attempts.get(request) ?? 0) + 1;
      attempts.set(request, attempt);
      const retryFollows = attempt <= maxRetries;
      let response: PipelineResponse;
      try {
        response = await next(request);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (retryFollows && !request.abortSignal?.aborted && isRestError(error) && typeof code === 'string' && RETRIED_SYSTEM_ERRORS.has(code)) {
          onWait(undefined, `${request.method} to ${host(request)} failed (${code}); the client retries with back-off (attempt ${attempt + 1} of ${maxRetries + 1})`);
        }
        throw error;
      }
      const asked = retryAfterFromHeaders(response.headers);
      if (retryFollows && isRetried(response.status, asked !== undefined)) {
        onWait(
          asked,
          `${request.method} to ${host(request)} answered ${response.status}${response.status === 429 ? ' (throttled)' : ''}; ${asked !== undefined ? 'the client waits as the service asked (Retry-After) and retries' : 'the client retries with back-off'} (attempt ${attempt + 1} of ${maxRetries + 1})`,
        );
      }
      return response;
    },
  };
}

/**
 * What the SDK's default retry strategies retry: a 429 or 503 with a Retry-After (throttling), a
 * 408 or a 5xx but 501 and 505 (exponential), and these network errors (a RestError whose code is
 * a system error; anything else, our own Timeout included, is not retried by the SDK).
 */
function isRetried(status: number, hasRetryAfter: boolean): boolean {
  return ((status === 429 || status === 503) && hasRetryAfter) || status === 408 || (status >= 500 && status !== 501 && status !== 505);
}
const RETRIED_SYSTEM_ERRORS: ReadonlySet<string> = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'ENOTFOUND']);

/** Per call, before the token is added: only `origin` is ever sent a request. */
export function sameOriginPolicy(origin: string): PipelinePolicy {
  const allowed = new URL(origin).origin;
  return {
    name: 'd4aiSameOrigin',
    sendRequest(request, next) {
      let target: string;
      try {
        target = new URL(request.url).origin;
      } catch {
        target = '(not a URL)';
      }
      if (target !== allowed) {
        return Promise.reject(new GovernError('ForeignOrigin', `Refused a request to ${target}: only ${allowed} (D4AI_ARM_ENDPOINT) is sent requests and tokens; a nextLink to another origin is not followed.`));
      }
      return next(request);
    },
  };
}

/** Pages of an SDK list (`.byPage()`), stopped on a repeated nextLink or after MAX_PAGES pages. */
export async function* boundedPages<T>(pages: AsyncIterable<T[] & { continuationToken?: string }>, what: string): AsyncIterable<T> {
  const seen = new Set<string>();
  let count = 0;
  for await (const page of pages) {
    if (++count > MAX_PAGES) throw new GovernError('PageCapReached', `${what} did not end after ${MAX_PAGES} pages; stopped.`);
    yield* page;
    const next = page.continuationToken;
    if (next) {
      if (seen.has(next)) throw new GovernError('PagingLoop', `${what} returned a nextLink it had returned before; stopped instead of looping.`);
      seen.add(next);
    }
  }
}

/** The same bounds for a list paged by hand (nextLink in the body). */
export class PageGuard {
  private readonly seen = new Set<string>();
  private count = 0;

  constructor(private readonly what: string) {}

  /** Call with each page's nextLink before following it. */
  next(link: string | undefined): string | undefined {
    if (++this.count >= MAX_PAGES && link) throw new GovernError('PageCapReached', `${this.what} did not end after ${MAX_PAGES} pages; stopped.`);
    if (!link) return undefined;
    if (this.seen.has(link)) throw new GovernError('PagingLoop', `${this.what} returned a nextLink it had returned before; stopped instead of looping.`);
    this.seen.add(link);
    return link;
  }
}
