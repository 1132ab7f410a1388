import { isGuid } from '../config';
import { escapeControl } from '../observability/redact';

/** Bad usage: a wrong argument, flag, file or input. Exit code 2, nothing was written. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A flag that takes a subscription id: the id in lower case, or a UsageError naming the flag. */
export function requireGuid(value: string, flag: string): string {
  if (!isGuid(value)) throw new UsageError(`${flag} must be a subscription id (GUID), got "${escapeControl(value)}".`);
  return value.toLowerCase();
}
