/**
 * The azd hooks' claims and inputs, checked where they can be without Azure: the app roles the
 * admin app registration is created with are the ones functions/admin-auth.ts checks, and the
 * Event Grid provider is registered per subscription, never "at the management group" (which does
 * not register the subscriptions below it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ADMIN_APP_ROLES } from '../../functions/admin-auth';
import { INFRA_DIR } from './bicep';

const HOOKS = path.join(INFRA_DIR, 'hooks');
const read = (name: string): string => fs.readFileSync(path.join(HOOKS, name), 'utf8');

interface AppRole {
  id: string;
  value: string;
  isEnabled: boolean;
  allowedMemberTypes: string[];
}

test('the admin app registration defines exactly the roles the functions check, with distinct ids, for people and applications', () => {
  const roles = JSON.parse(read('admin-app-roles.json')) as AppRole[];
  expect(roles.map((r) => r.value).sort()).toEqual(Object.values(ADMIN_APP_ROLES).sort());
  expect(new Set(roles.map((r) => r.id)).size).toBe(roles.length);
  for (const role of roles) {
    expect(role.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(role).toMatchObject({ isEnabled: true, allowedMemberTypes: ['User', 'Application'] });
  }
});

test.each(['preprovision.sh', 'preprovision.ps1'])('%s registers Microsoft.EventGrid per subscription, not at the management group', (hook) => {
  const text = read(hook);
  expect(text).toMatch(/az provider register --namespace Microsoft\.EventGrid --subscription/);
  expect(text).not.toMatch(/provider register[^\n]*--management-group-id/);
  expect(text).toContain('D4AI_WATCHED_SUBSCRIPTION_IDS');
});

test.each(['preprovision.sh', 'admin-app.sh', 'preprovision.ps1'])('%s creates the app registration only when D4AI_ADMIN_CLIENT_ID is unset, requiring role assignment', (hook) => {
  const text = hook === 'preprovision.sh' ? read(hook) + read('admin-app.sh') : read(hook);
  expect(text).toContain('D4AI_ADMIN_CLIENT_ID');
  expect(text).toMatch(/appRoleAssignmentRequired=true/);
  expect(text).toMatch(/api:\/\/\$?\{?\$?(client_id|clientId)/);
});
