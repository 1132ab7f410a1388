/**
 * What may leave the process. Records, logs and terminal output carry ids, codes and reasons,
 * never a person or a secret: ARM error messages name the caller ("The client 'alice@contoso.com'
 * with object id '…'"), connection strings carry account keys and SAS signatures, URLs can carry
 * passwords, and event input can carry terminal escape sequences. Every stored or logged error
 * message, every echoed setting and every line printed from input passes through here.
 * The one personal identifier a record keeps, the `actor` of a manual run, is an id in a field of
 * its own, taken from a validated principal or token (shared/domain/actor.ts), never from a message.
 */

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const IPV4 = /\b(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}\b/g;
// Full eight groups, or compressed with "::" (times such as 10:00:05 are neither).
const IPV6 = /(?<![\w:])(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,6})?::(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,6})?)(?![\w:])/gi;
const GUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** A GUID that identifies a principal: after "object id", "principal id", "client", "oid", "user" and the like. */
const PRINCIPAL_ID = new RegExp(`((?:object\\s*id|objectid|principal\\s*id|principalid|oid|client(?:\\s*id)?|appid|user|identity)\\W{0,4})${GUID}`, 'gi');

/** E-mail addresses and UPNs, IP addresses (loopback ones kept: they name this machine, nobody) and the object ids of principals, replaced by placeholders. */
export function redactPersonal(text: string): string {
  return text.replace(EMAIL, '<email>').replace(PRINCIPAL_ID, '$1<object-id>').replace(IPV4, (ip) => (ip.startsWith('127.') ? ip : '<ip>')).replace(IPV6, '<ip>');
}

/** Account keys, SAS signatures and tokens, URL passwords and bearer tokens, masked. */
export function maskSecrets(text: string): string {
  return text
    .replace(/(AccountKey|SharedAccessSignature|SharedAccessKey|Password|Pwd)=[^;]*/gi, '$1=***')
    .replace(/([?&](?:sig|se|st|sp|sv|skoid|sktid|sks|skv|skt|ske|srt|ss)=)[^&\s"']*/gi, (match, key: string) => (/sig=$/i.test(key) ? `${key}***` : match))
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@"']*:)[^\s/@"']*@/gi, '$1***@')
    .replace(/\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g, '$1***')
    .replace(/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, '<token>');
}

/** Both: what a stored or logged message may contain. */
export function scrub(text: string): string {
  return maskSecrets(redactPersonal(text));
}

// C0 and C1 controls (tab and newline allowed where a caller keeps lines), DEL, and the Unicode
// line/paragraph separators and bidirectional overrides that can disguise what a line says.
// Matching control characters is the point here.
/* eslint-disable no-control-regex */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'g');
const UNSAFE_LINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;
/* eslint-enable no-control-regex */

/** True when text holds a control character, a line separator or a bidi override (tab and newline excepted). */
export function hasUnsafeCharacters(text: string, allowNewlines = false): boolean {
  return (allowNewlines ? UNSAFE : UNSAFE_LINE).test(text);
}

/** Terminal-safe: every control character, separator and bidi override shown as its \u escape. */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE_ALL, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`).replace(/[\n\t]/g, (ch) => (ch === '\n' ? '\\n' : '\\t'));
}
