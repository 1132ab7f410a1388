import { startArmStandIn, type ArmStandIn } from './arm-stand-in';
import { startAzuriteTable, type AzuriteTable } from './azurite';
import { startIdentityStandIn, type IdentityStandIn } from './identity-stand-in';
import { ensureTestTls } from './tls';
import { buildLandingZone, type LandingZone } from './landing-zone';

/**
 * Starts the local stand-ins (ARM over HTTPS, managed identity endpoint, Azurite tables) with the
 * simulated landing zone loaded, and returns the exact environment a d4ai process needs to use
 * them: the same variables it reads in Azure, nothing test-specific.
 */
export interface SimulatedLandingZone {
  arm: ArmStandIn;
  identity: IdentityStandIn;
  azurite: AzuriteTable;
  zone: LandingZone;
  /** Environment for a d4ai child process. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startSimulatedLandingZone(): Promise<SimulatedLandingZone> {
  const tls = await ensureTestTls();
  const identity = await startIdentityStandIn();
  const [arm, azurite] = await Promise.all([startArmStandIn({ identity, tls }), startAzuriteTable()]);
  const zone = buildLandingZone(arm.state);
  const env = {
    ...identity.env(),
    NODE_EXTRA_CA_CERTS: tls.caCertPath,
    D4AI_ARM_ENDPOINT: arm.endpoint,
    D4AI_RECORDS_CONNECTION: azurite.connectionString,
    ...zone.env,
  };
  return {
    arm,
    identity,
    azurite,
    zone,
    env,
    close: async () => {
      await Promise.all([arm.close(), azurite.close()]);
      await identity.close();
    },
  };
}

/** `npm run landing-zone`: keep the stand-ins up and print the variables to point d4ai at them. */
async function serve(): Promise<void> {
  const lz = await startSimulatedLandingZone();
  process.stdout.write('Simulated landing zone is up. In another shell:\n\n');
  for (const [k, v] of Object.entries(lz.env)) process.stdout.write(`export ${k}='${v}'\n`);
  process.stdout.write('\nnode bin/d4ai.js sweep --dry-run\n\nPress Ctrl-C to stop.\n');
  const stop = (): void => {
    void lz.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  serve().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}
