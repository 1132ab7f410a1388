import { ExtensionSet } from './extension-set';
import type { ExtensionBackoff } from './model';

/**
 * Extensions the service could not enable (an operationStatus of Failed: typically not offered in
 * the subscription's region yet) are tried again with back-off, not on every pass: 1 hour after
 * the first failure, doubling each time the same extensions fail again, at most a week. The state
 * lives in the subscription's latest record (the `partial` one, or the skip that carried it on),
 * so it survives restarts and is the same for the CLI and the Functions app.
 */

export const BACKOFF_FIRST_MS = 60 * 60_000;
export const BACKOFF_MAX_MS = 7 * 24 * 60 * 60_000;

/** The back-off fields a record carries. */
export interface BackoffFields {
  failedExtensions?: string[];
  retryAfter?: string;
  partialAttempts?: number;
}

/** The back-off a record left behind, active while its retryAfter is in the future. */
export function backoffFrom(record: (BackoffFields & { error?: { message: string } }) | undefined, now: Date): ExtensionBackoff | undefined {
  if (!record?.failedExtensions?.length || !record.retryAfter || Number.isNaN(Date.parse(record.retryAfter))) return undefined;
  return {
    extensions: [...record.failedExtensions],
    retryAfter: record.retryAfter,
    attempts: Math.max(1, record.partialAttempts ?? 1),
    active: Date.parse(record.retryAfter) > now.getTime(),
    ...(record.error?.message ? { message: record.error.message } : {}),
  };
}

/** The back-off after `failed` failed (again) at `now`: attempts count up only while the same extensions keep failing. */
export function nextBackoff(failed: readonly string[], previous: ExtensionBackoff | undefined, now: Date): Required<BackoffFields> {
  const again = previous !== undefined && ExtensionSet.names(previous.extensions).includesAll(failed);
  const attempts = again ? previous.attempts + 1 : 1;
  const wait = Math.min(BACKOFF_FIRST_MS * 2 ** Math.min(attempts - 1, 20), BACKOFF_MAX_MS);
  return { failedExtensions: [...failed], retryAfter: new Date(now.getTime() + wait).toISOString(), partialAttempts: attempts };
}

/** What a skip for back-off carries on, so the next pass still knows. */
export function carriedBackoff(backoff: ExtensionBackoff): Required<BackoffFields> {
  return { failedExtensions: [...backoff.extensions], retryAfter: backoff.retryAfter, partialAttempts: backoff.attempts };
}
