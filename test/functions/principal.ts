/**
 * The `x-ms-client-principal` header App Service Authentication passes to the app: base64 JSON
 * with auth_typ, name_typ, role_typ and claims [{typ, val}], as the platform writes it for Entra ID.
 */
export const OPERATOR_OID = '11111111-1111-4111-8111-111111111111';
export const READER_OID = '22222222-2222-4222-8222-222222222222';
export const AUTOMATION_OID = '33333333-3333-4333-8333-333333333333';
export const AUTOMATION_APP_ID = '44444444-4444-4444-8444-444444444444';
const AZURE_CLI_APP_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';

export interface PrincipalShape {
  oid?: string;
  roles?: string[];
  authType?: string;
  /** An application (app-only token: no scp) rather than a person. */
  application?: { appId: string };
}

export function principalHeader(shape: PrincipalShape = {}): string {
  const claims = [
    { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: shape.oid ?? OPERATOR_OID },
    // A person's token names them too; the app must never copy these into a record.
    ...(shape.application
      ? [{ typ: 'appid', val: shape.application.appId }]
      : [
          { typ: 'name', val: 'Jane Operator' },
          { typ: 'preferred_username', val: 'jane@contoso.com' },
          { typ: 'http://schemas.microsoft.com/identity/claims/scope', val: 'user_impersonation' },
          { typ: 'appid', val: AZURE_CLI_APP_ID },
        ]),
    ...(shape.roles ?? []).map((role) => ({ typ: 'roles', val: role })),
  ];
  // As App Service Authentication writes it for Entra ID: role_typ is the long role URI, the roles themselves come as `roles` claims.
  const body = { auth_typ: shape.authType ?? 'aad', name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', claims };
  return Buffer.from(JSON.stringify(body)).toString('base64');
}

export const operator = (): string => principalHeader({ roles: ['D4AI.Operator'] });
export const reader = (): string => principalHeader({ oid: READER_OID, roles: ['D4AI.Reader'] });
