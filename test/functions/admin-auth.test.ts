/**
 * The guard's parsing on its own: what counts as the platform's principal, which claims give the
 * roles and the actor. The routes themselves are driven in admin-api.test.ts.
 */
import { HttpRequest } from '@azure/functions';
import { ADMIN_APP_ROLES, checkEntraCaller, parseClientPrincipal, rolesOf } from '../../functions/admin-auth';
import { OPERATOR_OID, principalHeader } from './principal';

const PLATFORM_ON = { WEBSITE_AUTH_ENABLED: 'True' };
const encode = (body: unknown): string => Buffer.from(JSON.stringify(body)).toString('base64');
const withPrincipal = (header: string): HttpRequest => new HttpRequest({ method: 'GET', url: 'https://func-d4ai.azurewebsites.net/api/runs/x', headers: { 'x-ms-client-principal': header } });

describe('rolesOf', () => {
  it('reads roles listed as `roles` when role_typ is the long role URI (the platform\'s shape for Entra ID)', () => {
    const principal = parseClientPrincipal(principalHeader({ roles: ['D4AI.Reader'] }));
    expect(principal?.roleType).toBe('http://schemas.microsoft.com/ws/2008/06/identity/claims/role');
    expect(principal && rolesOf(principal)).toEqual(['D4AI.Reader']);
  });

  it('reads roles listed under the long URI too, and no other claim', () => {
    const header = encode({
      auth_typ: 'aad',
      role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
      claims: [
        { typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', val: 'D4AI.Operator' },
        { typ: 'groups', val: 'D4AI.Operator-lookalike' },
        { typ: 'name', val: 'D4AI.Reader' },
      ],
    });
    const principal = parseClientPrincipal(header);
    expect(principal && rolesOf(principal)).toEqual(['D4AI.Operator']);
  });
});

describe('checkEntraCaller', () => {
  it('lets an operator read (operator implies reader), but not a reader start', () => {
    expect(checkEntraCaller(withPrincipal(principalHeader({ roles: [ADMIN_APP_ROLES.operator] })), 'reader', PLATFORM_ON)).toMatchObject({ ok: true, caller: { actor: { objectId: OPERATOR_OID }, via: 'entra' } });
    expect(checkEntraCaller(withPrincipal(principalHeader({ roles: [ADMIN_APP_ROLES.reader] })), 'operator', PLATFORM_ON)).toMatchObject({ ok: false, response: { status: 403 } });
  });

  it('does not take a role from a claim whose name only looks like one (a group or a display name)', () => {
    const header = encode({ auth_typ: 'aad', role_typ: 'roles', claims: [{ typ: 'oid', val: OPERATOR_OID }, { typ: 'groups', val: 'D4AI.Operator' }, { typ: 'name', val: 'D4AI.Operator' }] });
    expect(checkEntraCaller(withPrincipal(header), 'reader', PLATFORM_ON)).toMatchObject({ ok: false, response: { status: 403 } });
  });

  it('refuses an oversized header before decoding it', () => {
    expect(parseClientPrincipal('A'.repeat(40 * 1024))).toBeUndefined();
  });
});
