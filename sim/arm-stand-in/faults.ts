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
  /** The rule applies only while this holds (e.g. only after the plan became Standard). */
  when?: () => boolean;
}

export interface FaultTarget {
  method: string;
  path: string;
  subscriptionId?: string;
}

/** What a response rule does to the route's answer: replace its body with raw text, or rewrite its JSON. */
export type ResponseEffect = { rawText: string; status: number } | { rewrite: (body: unknown, requestUrl: string) => unknown };

interface Rule {
  match: FaultMatch;
  remaining: number;
  /** Milliseconds of delay, the error to answer with, no answer at all, or a changed answer. */
  effect: { delayMs: number } | { error: () => ArmError } | { hang: true } | { response: ResponseEffect };
}

function matches(match: FaultMatch, target: FaultTarget): boolean {
  if (match.method && match.method.toUpperCase() !== target.method.toUpperCase()) return false;
  if (match.when && !match.when()) return false;
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

  /**
   * 409 Conflict "Another update operation is in progress", `count` times. `otherWriter` runs as
   * the 409 is answered: the change the other, in-progress update makes (e.g. Purview switched on).
   */
  conflict(count: number, match: FaultMatch = {}, otherWriter?: () => void): this {
    const error = (): ArmError => {
      otherWriter?.();
      return new ArmError(409, 'Conflict', 'Another update operation is in progress');
    };
    this.rules.push({ match, remaining: count, effect: { error } });
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

  /** Any ARM error: e.g. a 403 AuthorizationFailed whose message names the caller, as ARM's does. */
  error(count: number, status: number, code: string, message: string, match: FaultMatch = {}): this {
    this.rules.push({ match, remaining: count, effect: { error: () => new ArmError(status, code, message) } });
    return this;
  }

  /** Never answers (the connection stays open until the client gives up), `count` times. */
  hang(count: number, match: FaultMatch = {}): this {
    this.rules.push({ match, remaining: count, effect: { hang: true } });
    return this;
  }

  /** The route runs (a PUT is applied), but the answer's body is replaced with `text`. */
  unreadableBody(count: number, text: string, match: FaultMatch = {}, status = 200): this {
    this.rules.push({ match, remaining: count, effect: { response: { rawText: text, status } } });
    return this;
  }

  /** The route runs, and its JSON answer is rewritten (e.g. a nextLink to itself or to another origin). */
  rewrite(count: number, rewrite: (body: unknown, requestUrl: string) => unknown, match: FaultMatch = {}): this {
    this.rules.push({ match, remaining: count, effect: { response: { rewrite } } });
    return this;
  }

  clear(): void {
    this.rules = [];
  }

  /** True when this request must get no answer; consumes one count. */
  takeHang(target: FaultTarget): boolean {
    return this.takeFirst(target, 'hang') !== undefined;
  }

  /** How this request's answer is changed, if a response rule fires; consumes one count. */
  takeResponse(target: FaultTarget): ResponseEffect | undefined {
    const effect = this.takeFirst(target, 'response');
    return effect && 'response' in effect ? effect.response : undefined;
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
    const effect = this.takeFirst(target, 'error');
    return effect && 'error' in effect ? effect.error() : undefined;
  }

  /** The effect of the first live rule of this kind matching `target` (in the order added); consumes one count. */
  private takeFirst(target: FaultTarget, kind: 'hang' | 'response' | 'error'): Rule['effect'] | undefined {
    const rule = this.rules.find((r) => kind in r.effect && r.remaining > 0 && matches(r.match, target));
    if (!rule) return undefined;
    rule.remaining -= 1;
    this.prune();
    return rule.effect;
  }

  private prune(): void {
    this.rules = this.rules.filter((r) => r.remaining > 0);
  }
}
