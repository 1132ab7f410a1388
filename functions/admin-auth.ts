import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { actorFromClaims, type ClaimLookup } from '../shared/domain/actor';
import type { Actor } from '../shared/domain/model';

/**
 * Who may call the admin API, checked inside the function as well as in front of it.
 *
 * In front: App Service Authentication (infra/modules/function-app.bicep, authsettingsV2) refuses
 * a request without a valid Entra token for the app registration (401) before the host runs, strips
 * any `x-ms-client-principal` a client sent, and passes its own: base64 JSON
 * `{auth_typ, name_typ, role_typ, claims: [{typ, val}]}`.
 * Inside (here): the app role in that principal decides. `D4AI.Operator` starts runs and applies
 * plans; `D4AI.Reader` reads runs and records; an operator is a reader too. Anything missing,
 * malformed or unexpected refuses the call, so a deployment whose authentication was switched off
 * or misconfigured fails closed instead of open:
 *  - App Service does not say authentication is on (WEBSITE_AUTH_ENABLED): 503, whatever the headers,
 *    because without the platform anyone could write the principal header themselves;
 *  - no principal: 401; a principal of the wrong shape, provider or without an object id: 401;
 *  - a valid principal without the role: 403 naming the role.
 *
 * Function keys: only on the /api/automation/... twins of the routes, which exist for automation
 * that cannot hold an Entra token and answer only when D4AI_ADMIN_ALLOW_FUNCTION_KEYS is true
 * (the host checks the key: authLevel 'function'). Such a caller has no identity; its runs are
 * recorded with the actor `function-key`.
 */

export const ADMIN_APP_ROLES = { operator: 'D4AI.Operator', reader: 'D4AI.Reader' } as const;
export type AdminRole = keyof typeof ADMIN_APP_ROLES;

/** What a guarded handler learns about its caller: the ids recorded as the run's actor. */
export interface Caller {
  actor: Actor;
  via: 'entra' | 'function-key';
}

export type GuardedHandler = (request: HttpRequest, context: InvocationContext, caller: Caller) => Promise<HttpResponseInit>;
export type PlainHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

export const CLIENT_PRINCIPAL_HEADER = 'x-ms-client-principal';
/** The actor of a call that held a function key and no principal. */
export const FUNCTION_KEY_ACTOR: Actor = { objectId: 'function-key' };

const ROLE_CLAIM_DEFAULT = 'roles';
/** A principal is a few kilobytes; anything far larger is not the platform's. */
const MAX_PRINCIPAL_CHARS = 32 * 1024;

interface PrincipalClaim {
  typ: string;
  val: string;
}

export interface ClientPrincipal {
  authType: string;
  roleType: string;
  claims: PrincipalClaim[];
}

type Checked = { ok: true; caller: Caller } | { ok: false; response: HttpResponseInit };

/** The platform's principal header, or undefined for anything that is not exactly its shape. */
export function parseClientPrincipal(header: string | null): ClientPrincipal | undefined {
  if (!header || header.length > MAX_PRINCIPAL_CHARS || !/^[A-Za-z0-9+/]+={0,2}$/.test(header)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const { auth_typ: authType, role_typ: roleType, claims } = json as Record<string, unknown>;
  if (typeof authType !== 'string' || !authType) return undefined;
  if (roleType !== undefined && typeof roleType !== 'string') return undefined;
  if (!Array.isArray(claims)) return undefined;
  const parsed: PrincipalClaim[] = [];
  for (const claim of claims as unknown[]) {
    const { typ, val } = (claim ?? {}) as Record<string, unknown>;
    if (typeof typ !== 'string' || typeof val !== 'string') return undefined;
    parsed.push({ typ, val });
  }
  return { authType, roleType: roleType || ROLE_CLAIM_DEFAULT, claims: parsed };
}

/** Claim names as the platform writes them (long WS-Fed names for some) and as tokens carry them. */
const CLAIM_TYPES: Record<Parameters<ClaimLookup>[0], readonly string[]> = {
  oid: ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid'],
  scp: ['http://schemas.microsoft.com/identity/claims/scope', 'scp'],
  idtyp: ['idtyp'],
  appid: ['appid'],
  azp: ['azp'],
};

/** The object id and, for an application, its app id (shared/domain/actor.ts); never a name. */
export function actorFromPrincipal(principal: ClientPrincipal): Actor | undefined {
  return actorFromClaims((name) => principal.claims.find((c) => CLAIM_TYPES[name].includes(c.typ))?.val);
}

/**
 * App roles in the principal. The platform names the role claim type in `role_typ` (for Entra ID
 * the long WS-Fed URI) but lists the roles of an Entra token under their JWT name `roles`; both are
 * read, and nothing else.
 */
const ROLE_CLAIMS = ['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'];

export function rolesOf(principal: ClientPrincipal): string[] {
  return principal.claims.filter((c) => c.typ === principal.roleType || ROLE_CLAIMS.includes(c.typ)).map((c) => c.val);
}

function hasRole(roles: readonly string[], role: AdminRole): boolean {
  // Operators can do everything readers can: one role per person is enough.
  return roles.includes(ADMIN_APP_ROLES[role]) || (role === 'reader' && roles.includes(ADMIN_APP_ROLES.operator));
}

const refusal = (status: number, code: string, message: string): HttpResponseInit => ({ status, jsonBody: { error: { code, message } } });
const refuse = (status: number, code: string, message: string): Checked => ({ ok: false, response: refusal(status, code, message) });

/** The Entra check: platform on, a principal of the platform's shape, and the role. */
export function checkEntraCaller(request: HttpRequest, role: AdminRole, env: NodeJS.ProcessEnv = process.env): Checked {
  if ((env.WEBSITE_AUTH_ENABLED ?? '').toLowerCase() !== 'true') {
    return refuse(503, 'AuthenticationNotConfigured', 'App Service Authentication is not enabled on this app, so no caller can be trusted; the admin API refuses every request (docs/functions.md).');
  }
  const header = request.headers.get(CLIENT_PRINCIPAL_HEADER);
  if (!header) return refuse(401, 'Unauthenticated', 'Sign in with Entra ID: this API needs a token for the governor\'s app registration.');
  const principal = parseClientPrincipal(header);
  if (!principal || principal.authType.toLowerCase() !== 'aad') return refuse(401, 'InvalidPrincipal', 'The client principal is not one App Service Authentication issued for Entra ID.');
  const actor = actorFromPrincipal(principal);
  if (!actor) return refuse(401, 'InvalidPrincipal', 'The client principal has no object id.');
  if (!hasRole(rolesOf(principal), role)) {
    return refuse(403, 'Forbidden', `This needs the app role ${ADMIN_APP_ROLES[role]}${role === 'reader' ? ` (or ${ADMIN_APP_ROLES.operator})` : ''}; ask an owner of the app registration to assign it.`);
  }
  return { ok: true, caller: { actor, via: 'entra' } };
}

/** Wraps a handler so it runs only for an Entra caller with `role` (operator implies reader). */
export function withRole(role: AdminRole, handler: GuardedHandler, env: NodeJS.ProcessEnv = process.env): PlainHandler {
  return async (request, context) => {
    const checked = checkEntraCaller(request, role, env);
    return checked.ok ? handler(request, context, checked.caller) : checked.response;
  };
}

/**
 * The /api/automation twin of a route: the host has checked the function key (authLevel
 * 'function'); this answers only when keys are allowed. A principal header is ignored here: the
 * platform does not authenticate these excluded paths, so nobody's identity can be claimed on them.
 */
export function withFunctionKey(handler: GuardedHandler, keysAllowed: () => boolean): PlainHandler {
  return async (request, context) => {
    if (!keysAllowed()) {
      return refusal(401, 'FunctionKeysDisabled', 'Function keys are not accepted by this deployment (D4AI_ADMIN_ALLOW_FUNCTION_KEYS is false); call /api/... with an Entra token.');
    }
    return handler(request, context, { actor: FUNCTION_KEY_ACTOR, via: 'function-key' });
  };
}
