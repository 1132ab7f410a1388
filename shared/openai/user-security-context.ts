import { isIP } from 'node:net';
import { hasUnsafeCharacters } from '../observability/redact';

/**
 * `defender-ai-governor/user-security-context`: end-user and application context for requests to
 * Azure OpenAI chat completions (REST 2025-01-01-preview and later), so that Defender for AI
 * alerts can name the application, the end user's Entra object id and tenant, and the source IP
 * of a suspicious prompt. Use it with the official `openai` package's Azure client:
 *
 *   import { AzureOpenAI } from 'openai';
 *   import { withUserSecurityContext } from 'defender-ai-governor/user-security-context';
 *
 *   const completion = await client.chat.completions.create(
 *     withUserSecurityContext({ model: 'gpt-4o', messages }, {
 *       applicationName: 'contoso-support-bot',
 *       endUserId: claims.oid,          // the Entra object id: never an e-mail, UPN or name
 *       endUserTenantId: claims.tid,
 *       sourceIp: request.ip,           // the end user's address as the app sees it
 *     }),
 *   );
 *
 * The request body then carries `user_security_context` with the service's wire names
 * (`application_name`, `end_user_id`, `end_user_tenant_id`, `source_ip`). What a caller already put
 * in the body is never overwritten. Only ids go in: the user and tenant must be GUIDs (so an
 * e-mail address, UPN or name is refused) and the application name may not hold an `@`, so no
 * personal data beyond the object id reaches the alert evidence.
 */

export interface UserSecurityContextInput {
  /** The application's name as Defender for AI should show it (1-128 characters, no e-mail address). */
  applicationName: string;
  /** The end user's Microsoft Entra object id (`oid` claim): a GUID. */
  endUserId?: string;
  /** The end user's Microsoft Entra tenant id (`tid` claim): a GUID. */
  endUserTenantId?: string;
  /** The end user's IP address (IPv4 or IPv6) as the application received the request. */
  sourceIp?: string;
}

/** The wire shape of `user_security_context` in a chat-completions request body. */
export interface UserSecurityContext {
  application_name: string;
  end_user_id?: string;
  end_user_tenant_id?: string;
  source_ip?: string;
}

// Not config.ts's isGuid: this module is imported by apps, and config.ts brings the governor's settings with it.
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class UserSecurityContextError extends Error {
  constructor(
    readonly field: keyof UserSecurityContextInput,
    message: string,
  ) {
    super(`user_security_context: ${field} ${message}`);
    this.name = 'UserSecurityContextError';
  }
}

/** The validated wire object; throws UserSecurityContextError naming the field that is wrong. */
export function userSecurityContext(input: UserSecurityContextInput): UserSecurityContext {
  const name = input.applicationName?.trim() ?? '';
  if (!name || name.length > 128 || hasUnsafeCharacters(name)) throw new UserSecurityContextError('applicationName', 'must be 1-128 characters of plain text.');
  if (name.includes('@')) throw new UserSecurityContextError('applicationName', 'must be the application, not an e-mail address.');
  const id = (field: 'endUserId' | 'endUserTenantId', value: string | undefined): string | undefined => {
    if (value === undefined || value === '') return undefined;
    if (!GUID.test(value)) throw new UserSecurityContextError(field, 'must be a Microsoft Entra id (a GUID, the oid/tid claim): never an e-mail address, UPN or name.');
    return value.toLowerCase();
  };
  const endUserId = id('endUserId', input.endUserId);
  const endUserTenantId = id('endUserTenantId', input.endUserTenantId);
  let sourceIp: string | undefined;
  if (input.sourceIp !== undefined && input.sourceIp !== '') {
    // Express and others report IPv4 callers as ::ffff:a.b.c.d; the service wants the address itself.
    const ip = input.sourceIp.trim().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
    if (isIP(ip) === 0) throw new UserSecurityContextError('sourceIp', 'must be an IPv4 or IPv6 address.');
    sourceIp = ip;
  }
  return {
    application_name: name,
    ...(endUserId ? { end_user_id: endUserId } : {}),
    ...(endUserTenantId ? { end_user_tenant_id: endUserTenantId } : {}),
    ...(sourceIp ? { source_ip: sourceIp } : {}),
  };
}

/**
 * The chat-completions params with `user_security_context` added, unless the caller already set
 * one (which is kept as it is). Returns a new object; `body` is not changed.
 */
export function withUserSecurityContext<T extends object>(body: T, input: UserSecurityContextInput): T & { user_security_context: UserSecurityContext } {
  const existing = (body as { user_security_context?: UserSecurityContext }).user_security_context;
  if (existing) return { ...body, user_security_context: existing };
  return { ...body, user_security_context: userSecurityContext(input) };
}
