import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import type { Config } from '../config';

/**
 * One credential and one endpoint for every ARM adapter. DefaultAzureCredential picks up the
 * Functions managed identity (IDENTITY_ENDPOINT + IDENTITY_HEADER), a workload identity, or an
 * `az login` session for CLI use, so the same code runs in Azure, in CI and on a laptop.
 */
export interface ArmConnection {
  credential: TokenCredential;
  /** e.g. https://management.azure.com */
  endpoint: string;
  /** e.g. https://management.azure.com/.default: the token audience follows the endpoint. */
  scope: string;
}

export function armConnection(config: Config, credential: TokenCredential = new DefaultAzureCredential()): ArmConnection {
  return { credential, endpoint: config.armEndpoint, scope: config.armScope };
}

/**
 * Options every SDK client gets, so they all share the endpoint, token scope, retries and user
 * agent. Both client generations are served: the modular ones (@azure/arm-resources 8,
 * @azure/arm-policy 7, @azure-rest/core-client) read `credentials.scopes`, the core-client ones
 * (@azure/data-tables and older ARM packages) read `credentialScopes`.
 */
export interface SdkClientOptions {
  endpoint: string;
  credentials: { scopes: string[] };
  credentialScopes: string[];
  userAgentOptions: { userAgentPrefix: string };
}

export function sdkClientOptions(connection: ArmConnection): SdkClientOptions {
  return {
    endpoint: connection.endpoint,
    credentials: { scopes: [connection.scope] },
    credentialScopes: [connection.scope],
    userAgentOptions: { userAgentPrefix: 'defender-ai-governor' },
  };
}
