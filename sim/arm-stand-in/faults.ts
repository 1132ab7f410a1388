/**
 * Fault injection for the ARM stand-in. Each rule matches on optional method, path pattern and
 * subscription id, and fires `count` times (Infinity = until cleared). Latency rules delay a
 * request; the first matching error rule (in the order added) answers it instead of the route.
 */
import { ArmError } from './http';

export interface FaultMatch {
  method?: string;
  /** RegExp, or a string compiled case-insensitively, tested against the decoded path. */
  path?: RegExp | string;
  subscriptionId?: string;
  /** Only for latency(): how many requests to delay (default Infinity). */
  count?: number;
}

export interface FaultTarget {
  method: string;
  path: string;
  subscriptionId?: string;
}

interface Rule {
  match: FaultMatch;
  remaining: number;
  /** Milliseconds of delay, or the error to answer with. */
  effect: { delayMs: number } | { error: () => ArmError };
}

function matches(match: FaultMatch, target: FaultTarget): boolean {
  if (match.method && match.method.toUpperCase() !== target.method.toUpperCase()) return false;
  if (match.subscriptionId && match.subscriptionId.toLowerCase() !== target.subscriptionId?.toLowerCase()) return false;
  if (match.path !== undefined) {
    const re = typeof match.path === 'string' ? new RegExp(match.path, 'i') : match.path;
    re.lastIndex = 0;
    if (!re.test(target.path)) return false;
  }
  return true;
}

export class FaultInjector {
  private rules: Rule[] = [];

  /** Delays matching requests by `ms` before they are answered. */
  latency(ms: number, match: FaultMatch = {}): this {
    this.rules.push({ match, remaining: match.count ?? Infinity, effect: { delayMs: ms } });
    return this;
  }

  /** 429 TooManyRequests with `Retry-After: <seconds>`, `count` times. */
  throttle(count: number, retryAfterSeconds: number, match: FaultMatch = {}): this {
    const error = (): ArmError =>
      new ArmError(
        429,
        'TooManyRequests',
        `The request is being throttled as the limit has been reached for operation type. Retry after ${retryAfterSeconds} seconds.`,
        { 'retry-after': String(retryAfterSeconds) },
      );
    this.rules.push({ match, remaining: count, effect: { error } });
    return this;
  }

  /** 409 Conflict "Another update operation is in progress", `count` times. */
  conflict(count: number, match: FaultMatch = {}): this {
    this.rules.push({ match, remaining: count, effect: { error: () => new ArmError(409, 'Conflict', 'Another update operation is in progress') } });
    return this;
  }

  /** 500 InternalServerError or 503 ServiceUnavailable, `count` times. */
  serverError(count: number, status: 500 | 503 = 500, match: FaultMatch = {}): this {
    const error = (): ArmError =>
      status === 503
        ? new ArmError(503, 'ServiceUnavailable', 'The service is temporarily unavailable. Please retry the request.')
        : new ArmError(500, 'InternalServerError', 'Encountered internal server error. Please try again.');
    this.rules.push({ match, remaining: count, effect: { error } });
    return this;
  }

  clear(): void {
    this.rules = [];
  }

  /** Total delay for this request (all matching latency rules add up); consumes their counts. */
  takeDelay(target: FaultTarget): number {
    let total = 0;
    for (const rule of this.rules) {
      if ('delayMs' in rule.effect && rule.remaining > 0 && matches(rule.match, target)) {
        rule.remaining -= 1;
        total += rule.effect.delayMs;
      }
    }
    this.prune();
    return total;
  }

  /** The injected error for this request, if any rule fires; consumes one count of that rule. */
  takeError(target: FaultTarget): ArmError | undefined {
    const rule = this.rules.find((r) => 'error' in r.effect && r.remaining > 0 && matches(r.match, target));
    if (!rule || !('error' in rule.effect)) return undefined;
    rule.remaining -= 1;
    this.prune();
    return rule.effect.error();
  }

  private prune(): void {
    this.rules = this.rules.filter((r) => r.remaining > 0);
  }
}
