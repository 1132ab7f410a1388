import { createRestError, getClient, type Client } from '@azure-rest/core-client';
import { sdkClientOptions, type ArmConnection } from './credential';

/**
 * Raw-JSON ARM operations through the Azure SDK's own REST pipeline (`@azure-rest/core-client`):
 * the same credential, token scope, retry policy (honouring Retry-After), TLS and user agent as
 * the generated SDK clients. Used where no published SDK has the operation at the api-version we
 * need: Microsoft.Security pricings with `extensions` (2024-01-01) and policy exemptions.
 * Bodies are not mapped by the SDK; each adapter validates the JSON it receives.
 */

export interface JsonOperation {
  method: 'GET' | 'PUT';
  /** Absolute path beginning with `/`, already URL-encoded, or a full nextLink URL. */
  path: string;
  apiVersion?: string;
  query?: Record<string, string>;
  body?: unknown;
  /** Status codes that count as success; others raise a RestError carrying the ARM error code. */
  okStatuses?: number[];
}

export interface JsonResponse {
  status: number;
  body: unknown;
}

export class ArmRestClient {
  private readonly client: Client;

  /**
   * @param retries false for writes: the pipeline must not resend a PUT on its own (a resend would
   *   carry a body computed from an older read); the write path retries from a fresh read instead.
   */
  constructor(
    private readonly connection: ArmConnection,
    retries = true,
  ) {
    this.client = getClient(connection.endpoint, connection.credential, sdkClientOptions(connection, retries ? {} : { maxRetries: 0 }));
  }

  async send(op: JsonOperation): Promise<JsonResponse> {
    const url = withQuery(new URL(op.path, this.connection.endpoint).toString(), {
      ...(op.apiVersion && !op.path.includes('api-version=') ? { 'api-version': op.apiVersion } : {}),
      ...op.query,
    });
    // A full URL: the REST client sends it as it is, so nextLinks and our own encoding survive.
    const resource = this.client.pathUnchecked(url);
    const response =
      op.method === 'PUT'
        ? await resource.put({ body: op.body, contentType: 'application/json' })
        : await resource.get();
    const status = Number(response.status);
    if (!(op.okStatuses ?? [200]).includes(status)) throw createRestError(response);
    return { status, body: response.body };
  }
}

/** Appends query parameters with RFC 3986 encoding (spaces as %20, as ARM documents `$filter`). */
function withQuery(url: string, query: Record<string, string>): string {
  const pairs = Object.entries(query).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  if (pairs.length === 0) return url;
  return `${url}${url.includes('?') ? '&' : '?'}${pairs.join('&')}`;
}
