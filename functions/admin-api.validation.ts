import { isGuid } from '../shared/config';
import { hasUnsafeCharacters } from '../shared/observability/redact';

/**
 * Input checks of the admin API, as pure functions: each failure names the field, and nothing is
 * started until everything is valid. Notes end up in remediation records, which must hold no
 * e-mail addresses, IP addresses or tokens, so a note that looks like one is refused.
 */

export type Checked<T> = { ok: true; value: T } | { ok: false; field: string; message: string };

export interface RunOptions {
  dryRun: boolean;
  note?: string;
}

export const MAX_BODY_BYTES = 4096;
export const MAX_NOTE_LENGTH = 200;
export const DEFAULT_RECORDS_LIMIT = 20;
export const MAX_RECORDS_LIMIT = 1000;

const RUN_OPTION_FIELDS = ['dryRun', 'note'];
const INSTANCE_ID = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,199}$/;
const EMAIL = /[^\s@]+@[^\s@]+\.[^\s@]+/;
const IPV4 = /\b\d{1,3}(\.\d{1,3}){3}\b/;
const IPV6 = /\b[0-9a-f]{0,4}(:[0-9a-f]{0,4}){2,7}\b/i;
const TOKEN_LIKE = /\b(eyJ[\w-]{10,}|[A-Za-z0-9+/_-]{40,})\b/;

const fail = <T>(field: string, message: string): Checked<T> => ({ ok: false, field, message });

export function checkSubscriptionId(value: string | undefined): Checked<string> {
  if (!value || !isGuid(value)) return fail('subscriptionId', 'must be a subscription id (GUID), e.g. 00000000-0000-0000-0000-000000000000.');
  return { ok: true, value: value.toLowerCase() };
}

export function checkInstanceId(value: string | undefined): Checked<string> {
  if (!value || !INSTANCE_ID.test(value) || value.includes('..')) return fail('instanceId', 'must be 1-200 letters, digits, ":", ".", "_" or "-" (no ".."), e.g. govern-<subscription id>.');
  return { ok: true, value };
}

export function checkLimit(value: string | null): Checked<number> {
  if (value === null || value === '') return { ok: true, value: DEFAULT_RECORDS_LIMIT };
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_RECORDS_LIMIT) return fail('limit', `must be a whole number from 1 to ${MAX_RECORDS_LIMIT}.`);
  return { ok: true, value: n };
}

/** Optional JSON body `{ "dryRun"?: boolean, "note"?: string }`; an empty body means the defaults. */
export function checkRunOptions(text: string): Checked<RunOptions> {
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) return fail('body', `must be at most ${MAX_BODY_BYTES} bytes.`);
  if (text.trim() === '') return { ok: true, value: { dryRun: false } };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail('body', 'must be a JSON object, e.g. {"dryRun": true}.');
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) return fail('body', 'must be a JSON object, e.g. {"dryRun": true}.');
  const body = json as Record<string, unknown>;
  const unknown = Object.keys(body).find((key) => !RUN_OPTION_FIELDS.includes(key));
  if (unknown !== undefined) return fail(unknown, `is not a known field; allowed: ${RUN_OPTION_FIELDS.join(', ')}.`);
  if (body.dryRun !== undefined && typeof body.dryRun !== 'boolean') return fail('dryRun', 'must be true or false.');
  const note = body.note;
  if (note !== undefined) {
    const problem = noteProblem(note);
    if (problem) return fail('note', problem);
  }
  return { ok: true, value: { dryRun: body.dryRun === true, ...(typeof note === 'string' && note.trim() ? { note: note.trim() } : {}) } };
}

function noteProblem(note: unknown): string | undefined {
  if (typeof note !== 'string') return 'must be a string.';
  if (note.length > MAX_NOTE_LENGTH) return `must be at most ${MAX_NOTE_LENGTH} characters.`;
  // C0/C1 controls, U+2028/2029 and bidi overrides: a note is shown in terminals and the portal.
  if (hasUnsafeCharacters(note)) return 'must be one line of plain text (no control characters, line separators or bidirectional overrides).';
  if (EMAIL.test(note) || IPV4.test(note) || IPV6.test(note) || TOKEN_LIKE.test(note)) {
    return 'must not contain e-mail addresses, IP addresses or tokens (records keep no personal data).';
  }
  return undefined;
}
