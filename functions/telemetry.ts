import type * as http from 'node:http';
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { TelemetryClient } from 'applicationinsights';
import AuthorizationHandler from 'applicationinsights/out/Library/AuthorizationHandler';
import type Config from 'applicationinsights/out/Library/Config';

/**
 * The Application Insights client behind the Functions logger (see shared/observability/
 * functions.logger.ts). The App Insights resource accepts only Entra-authenticated ingestion
 * (local auth disabled in infra/), so the client signs its batches with the identity named in
 * APPLICATIONINSIGHTS_AUTHENTICATION_STRING ("Authorization=AAD;ClientId=<id>"), the same setting
 * the Functions host uses.
 *
 * The SDK's own AAD handler (2.9.8) runs a bearer-token pipeline policy against an empty response,
 * which the @azure/core-rest-pipeline this project pins rejects ("Cannot read properties of null");
 * so the token is put on the request here, straight from the credential.
 */
export function createTelemetryClient(connectionString: string, authentication?: string): TelemetryClient {
  const credential = credentialFor(authentication);
  const client = credential ? new EntraTelemetryClient(connectionString, credential) : new TelemetryClient(connectionString);
  // Remediation traces should reach App Insights within a second, not the SDK's default 15 s
  // batch, and survive a short ingestion outage (kept on local disk and resent).
  client.config.maxBatchIntervalMs = 1000;
  client.channel.setUseDiskRetryCaching(true);
  return client;
}

function credentialFor(authentication: string | undefined): TokenCredential | undefined {
  if (!authentication || !/(^|;)\s*Authorization=AAD\s*(;|$)/i.test(authentication)) return undefined;
  const clientId = /(?:^|;)\s*ClientId=([^;]+)/i.exec(authentication)?.[1]?.trim();
  return clientId ? new ManagedIdentityCredential({ clientId }) : new DefaultAzureCredential();
}

class BearerTokenHandler extends AuthorizationHandler {
  constructor(
    private readonly tokenCredential: TokenCredential,
    private readonly scope: string,
  ) {
    super(tokenCredential, scope);
  }

  override async addAuthorizationHeader(requestOptions: http.RequestOptions): Promise<void> {
    const token = await this.tokenCredential.getToken(this.scope);
    if (!token) throw new Error(`No Entra token for ${this.scope}`);
    requestOptions.headers = { ...(requestOptions.headers ?? {}), authorization: `Bearer ${token.token}` };
  }
}

class EntraTelemetryClient extends TelemetryClient {
  private readonly handler: BearerTokenHandler;

  constructor(connectionString: string, credential: TokenCredential) {
    // The Sender keeps a reference to getAuthorizationHandler and calls it (with itself as `this`)
    // when it sends; the handler is found through the config object both share.
    super(connectionString);
    this.handler = new BearerTokenHandler(credential, `${(this.config.aadAudience ?? 'https://monitor.azure.com').replace(/\/(\.default)?$/, '')}/.default`);
    handlers.set(this.config, this.handler);
  }

  override getAuthorizationHandler(config: Config): AuthorizationHandler {
    // Called by the Sender with the Sender as `this`: look the handler up by the shared config.
    const handler = handlers.get(config);
    if (!handler) throw new Error('Telemetry client has no authorization handler');
    return handler;
  }
}

const handlers = new WeakMap<Config, BearerTokenHandler>();
