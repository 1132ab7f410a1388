/**
 * One call to get the identity endpoint + ARM stand-in wired together, with IDENTITY_ENDPOINT /
 * IDENTITY_HEADER set on process.env (restored by close()) and a real DefaultAzureCredential.
 * Typical use: `const s = await startStandIns(); ... afterAll(() => s.close());`
 */
import { DefaultAzureCredential } from '@azure/identity';
import { startArmStandIn, type ArmClientOptions, type ArmStandIn } from './arm-stand-in';
import { startIdentityStandIn, useIdentityEnv, type IdentityStandIn } from './identity-stand-in';

export interface StandIns {
  identity: IdentityStandIn;
  arm: ArmStandIn;
  credential: DefaultAzureCredential;
  /** Endpoint and token scope for ARM SDK client constructors. */
  clientOptions: ArmClientOptions;
  close(): Promise<void>;
}

export async function startStandIns(opts: { pageSize?: number; graphPageSize?: number } = {}): Promise<StandIns> {
  const identity = await startIdentityStandIn();
  const arm = await startArmStandIn({ identity, ...opts });
  const restoreEnv = useIdentityEnv(identity);
  return {
    identity,
    arm,
    credential: new DefaultAzureCredential(),
    clientOptions: arm.clientOptions(),
    close: async () => {
      restoreEnv();
      await arm.close();
      await identity.close();
    },
  };
}
