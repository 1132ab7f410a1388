import type { Actor } from './model';

/**
 * The actor of a manual run from a caller's token claims, whichever way they arrived (the
 * platform's client principal for the admin API, the CLI's own access token). Only the object id
 * and, for an application, its app id are taken; a name, UPN or e-mail claim is never read.
 * An application is a token without delegated scopes (`scp`) or one that says `idtyp: app`; a
 * person's token also names the client app they used (e.g. the Azure CLI), which says nothing
 * about who acted, so it is left out.
 */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type ClaimLookup = (name: 'oid' | 'scp' | 'idtyp' | 'appid' | 'azp') => string | undefined;

export function actorFromClaims(claim: ClaimLookup): Actor | undefined {
  const objectId = claim('oid');
  if (!objectId || !GUID.test(objectId)) return undefined;
  const isApplication = claim('idtyp') === 'app' || claim('scp') === undefined;
  const appId = isApplication ? (claim('appid') ?? claim('azp')) : undefined;
  return { objectId: objectId.toLowerCase(), ...(appId && GUID.test(appId) ? { appId: appId.toLowerCase() } : {}) };
}

/**
 * The claims of a JWT access token, without verifying it: the CLI reads its own token, which the
 * identity platform just gave it, only to learn whom it acts as. Undefined for anything else.
 */
export function actorFromAccessToken(token: string): Actor | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!claims || typeof claims !== 'object') return undefined;
  const record = claims as Record<string, unknown>;
  return actorFromClaims((name) => (typeof record[name] === 'string' ? (record[name] as string) : undefined));
}
