import { createSerializer, type OperationSpec, type ServiceClient, type CompositeMapper } from '@azure/core-client';

/**
 * Raw-JSON ARM operations sent through an official SDK client's own pipeline (bearer token,
 * retries with Retry-After, TLS, user agent). Used where the published SDK lacks the api-version we
 * need: the Microsoft.Security pricings with `extensions` (2024-01-01) and policy exemptions.
 * Bodies are not mapped by the SDK; each adapter validates the JSON it receives.
 */

const cloudErrorMapper: CompositeMapper = {
  type: {
    name: 'Composite',
    className: 'D4aiCloudError',
    modelProperties: {
      error: {
        serializedName: 'error',
        type: {
          name: 'Composite',
          className: 'D4aiCloudErrorBody',
          modelProperties: {
            code: { serializedName: 'code', type: { name: 'String' } },
            message: { serializedName: 'message', type: { name: 'String' } },
          },
        },
      },
    },
  },
};

const serializer = createSerializer({ D4aiCloudError: cloudErrorMapper }, false);

export interface JsonOperation {
  method: 'GET' | 'PUT';
  /** Absolute path beginning with `/`, already URL-encoded, or a full nextLink URL. */
  path: string;
  apiVersion?: string;
  query?: Record<string, string>;
  body?: unknown;
  /** Status codes that count as success; others raise a RestError with the ARM error code. */
  okStatuses?: number[];
}

export interface JsonResponse {
  status: number;
  body: unknown;
}

export async function sendJson(client: ServiceClient, endpoint: string, op: JsonOperation): Promise<JsonResponse> {
  const url = withQuery(new URL(op.path, endpoint).toString(), {
    ...(op.apiVersion && !op.path.includes('api-version=') ? { 'api-version': op.apiVersion } : {}),
    ...op.query,
  });
  const responses: OperationSpec['responses'] = { default: { bodyMapper: cloudErrorMapper } };
  for (const status of op.okStatuses ?? [200]) responses[status] = {};
  const spec: OperationSpec = {
    // A full URL as the path template: core-client keeps it as is, so nextLinks work too.
    path: url,
    urlParameters: [],
    queryParameters: [],
    httpMethod: op.method,
    responses,
    serializer,
    mediaType: 'json',
    ...(op.body !== undefined
      ? {
          requestBody: { parameterPath: 'body', mapper: { serializedName: 'body', type: { name: 'any' }, required: true } },
          headerParameters: [
            {
              parameterPath: 'contentType',
              mapper: { serializedName: 'Content-Type', isConstant: true, defaultValue: 'application/json', type: { name: 'String' } },
            },
          ],
        }
      : {}),
  };
  let status = 0;
  let body: unknown;
  await client.sendOperationRequest<unknown>(
    {
      ...(op.body !== undefined ? { body: op.body } : {}),
      options: {
        // Without a body mapper the SDK's flattened result mixes headers into the body; the raw
        // response keeps the JSON exactly as ARM sent it.
        onResponse: (raw) => {
          status = raw.status;
          body = raw.parsedBody ?? parseText(raw.bodyAsText);
        },
      },
    },
    spec,
  );
  return { status, body };
}

/** Appends query parameters with RFC 3986 encoding (spaces as %20, as ARM documents `$filter`). */
function withQuery(url: string, query: Record<string, string>): string {
  const pairs = Object.entries(query).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  if (pairs.length === 0) return url;
  return `${url}${url.includes('?') ? '&' : '?'}${pairs.join('&')}`;
}

function parseText(text: string | null | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
