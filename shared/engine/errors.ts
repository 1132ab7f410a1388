import type { RestError } from '@azure/core-rest-pipeline';
import { scrub } from '../observability/redact';

/*
 * Errors are told apart by their `name`, not by `instanceof` against the SDK's classes: every
 * command loads this file, and importing @azure/core-rest-pipeline and @azure/identity here costs
 * about 250 ms of startup, which `d4ai records` (budget 200 ms) and the other history commands must
 * not pay. The name is what the SDK itself relies on: core-rest-pipeline's `isRestError` accepts any
 * Error named "RestError" (a RestError from another copy of the package is not `instanceof` this
 * one), and @azure/identity sets the names below on its error classes.
 */

/** An HTTP error from an Azure SDK client (core-rest-pipeline's RestError, from any copy of the package). */
export function isRestError(error: unknown): error is RestError {
  return error instanceof Error && error.name === 'RestError';
}

/** @azure/identity's AggregateAuthenticationError: one error per credential a chain tried. */
function isAggregateAuthenticationError(error: unknown): error is Error & { errors: unknown[] } {
  return error instanceof Error && error.name === 'AggregateAuthenticationError' && Array.isArray((error as { errors?: unknown }).errors);
}

/** @azure/identity's CredentialUnavailableError or AuthenticationError. */
function isCredentialError(error: unknown): error is Error {
  return error instanceof Error && (error.name === 'CredentialUnavailableError' || error.name === 'AuthenticationError');
}

/** A failure with a stable code for records, logs and alerts. */
export class GovernError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'GovernError';
  }
}

/**
 * {code, message} for any thrown value; ARM errors keep their ARM error code. The message is
 * scrubbed (e-mail addresses, object ids, IPs, keys and signatures removed: ARM's 403 names the
 * caller), because it goes into records and logs.
 */
export function errorInfo(error: unknown): { code: string; message: string } {
  const raw = rawErrorInfo(error);
  return { code: raw.code, message: scrub(raw.message) };
}

function rawErrorInfo(error: unknown): { code: string; message: string } {
  if (error instanceof GovernError) return { code: error.code, message: error.message };
  const identity = credentialFailure(error);
  if (identity) return { code: 'CredentialUnavailable', message: identity };
  if (isRestError(error)) {
    return { code: error.code ?? `HTTP${error.statusCode ?? 'Error'}`, message: firstLine(error.message) };
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : error.name || 'Error', message: firstLine(error.message) };
  }
  return { code: 'Error', message: String(error) };
}

/**
 * What went wrong getting a token, with the inner causes DefaultAzureCredential collects (one per
 * credential it tried: "run az login", the managed-identity endpoint's status, ...), which its own
 * message ("ChainedTokenCredential authentication failed.") drops. Undefined for other errors.
 */
function credentialFailure(error: unknown): string | undefined {
  if (isAggregateAuthenticationError(error)) {
    const causes = error.errors.map((e) => firstLine(e instanceof Error ? e.message : String(e)).slice(0, 400)).filter((m) => m.length > 0);
    return `No credential could get a token. ${causes.length ? causes.join(' | ') : firstLine(error.message)} Sign in with \`az login\` (CLI), or check the managed identity (Functions) and its role assignments.`;
  }
  if (isCredentialError(error)) return firstLine(error.message);
  return undefined;
}

export function isConflict(error: unknown): boolean {
  return isRestError(error) && error.statusCode === 409;
}

/** Throttling, server errors, timeouts and network failures are worth another try; a 400, 403 or 404 is not. */
export function isTransient(error: unknown): boolean {
  if (error instanceof GovernError) return error.code === 'Timeout';
  if (!isRestError(error)) return false;
  const status = error.statusCode;
  return status === undefined || status === 408 || status === 429 || status >= 500;
}

/** A 4xx other than 408/409/429: the service refused the request, so it changed nothing. */
export function isRefused(error: unknown): boolean {
  const status = isRestError(error) ? error.statusCode : undefined;
  return status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 409 && status !== 429;
}

/**
 * The service answered with a 4xx other than 408: it did not apply the request (a 409 "another
 * update in progress" and a 429 included), so a PUT answered this way changed nothing.
 */
export function wasNotApplied(error: unknown): boolean {
  const status = isRestError(error) ? error.statusCode : undefined;
  return status !== undefined && status >= 400 && status < 500 && status !== 408;
}

/** The service's Retry-After in ms, when it sent one. */
export function retryAfterMs(error: unknown, now: number = Date.now()): number | undefined {
  if (!isRestError(error) || !error.response) return undefined;
  return retryAfterFromHeaders(error.response.headers, now);
}

/** retry-after-ms, x-ms-retry-after-ms, then Retry-After (seconds or an HTTP date), in ms; as core-rest-pipeline reads them. */
export function retryAfterFromHeaders(headers: { get(name: string): string | undefined }, now: number = Date.now()): number | undefined {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const value = Number(headers.get(name));
    if (Number.isFinite(value) && value > 0) return value;
  }
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function firstLine(message: string): string {
  // RestError messages can carry the whole response body; the first line holds ARM's message.
  return message.split('\n')[0]?.slice(0, 1000) ?? '';
}
