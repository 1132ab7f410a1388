import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { AzureOpenAI } from 'openai';
import { UserSecurityContextError, userSecurityContext, withUserSecurityContext } from '../../../shared/openai/user-security-context';
import { ensureTestTls } from '../../../sim/tls';

/**
 * The end-user context module with the official `openai` package's Azure client, against a local
 * HTTPS stand-in of the Azure OpenAI chat-completions endpoint that keeps the exact request: the
 * body on the wire carries `user_security_context` with the service's names and nothing else
 * added; what a caller sent is never overwritten.
 */
const OID = '7d1e0c2b-5a4f-4e3d-8c2b-1a0f9e8d7c6b';
const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';

interface Seen {
  method?: string;
  url?: string;
  body: Record<string, unknown>;
}

let server: https.Server;
let endpoint = '';
const seen: Seen[] = [];

beforeAll(async () => {
  const tls = await ensureTestTls();
  server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ ...(req.method ? { method: req.method } : {}), ...(req.url ? { url: req.url } : {}), body: JSON.parse(text) as Record<string, unknown> });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          created: 1_764_000_000,
          model: 'gpt-4o',
          choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Hello.' } }],
          usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  seen.length = 0;
});

const client = () => new AzureOpenAI({ endpoint, apiKey: 'test-key', apiVersion: '2025-01-01-preview', deployment: 'gpt-4o-support' });

describe('with the openai Azure client, on the wire', () => {
  it('adds user_security_context with application_name, end_user_id, end_user_tenant_id and source_ip', async () => {
    const messages = [{ role: 'user' as const, content: 'Where is my order?' }];
    const completion = await client().chat.completions.create(
      withUserSecurityContext({ model: 'gpt-4o', messages }, { applicationName: 'contoso-support-bot', endUserId: OID.toUpperCase(), endUserTenantId: TID, sourceIp: '::ffff:203.0.113.9' }),
    );
    expect(completion.choices[0]?.message.content).toBe('Hello.');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.method).toBe('POST');
    expect(seen[0]?.url).toBe('/openai/deployments/gpt-4o-support/chat/completions?api-version=2025-01-01-preview');
    expect(seen[0]?.body).toEqual({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Where is my order?' }],
      user_security_context: { application_name: 'contoso-support-bot', end_user_id: OID, end_user_tenant_id: TID, source_ip: '203.0.113.9' },
    });
  });

  it('sends only what is known, and never overwrites a context the caller set', async () => {
    await client().chat.completions.create(withUserSecurityContext({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }, { applicationName: 'batch-summariser' }));
    expect(seen[0]?.body.user_security_context).toEqual({ application_name: 'batch-summariser' });
    const own = { application_name: 'gateway-set', end_user_id: OID };
    await client().chat.completions.create(withUserSecurityContext({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], user_security_context: own }, { applicationName: 'ignored' }));
    expect(seen[1]?.body.user_security_context).toEqual(own);
  });
});

describe('userSecurityContext', () => {
  it.each([
    [{ applicationName: '' }, 'applicationName'],
    [{ applicationName: 'ops@contoso.com' }, 'applicationName'],
    [{ applicationName: 'bot\u202e' }, 'applicationName'],
    [{ applicationName: 'bot', endUserId: 'alice@contoso.com' }, 'endUserId'],
    [{ applicationName: 'bot', endUserId: 'Alice Example' }, 'endUserId'],
    [{ applicationName: 'bot', endUserTenantId: 'contoso.onmicrosoft.com' }, 'endUserTenantId'],
    [{ applicationName: 'bot', sourceIp: 'example.com' }, 'sourceIp'],
  ] as const)('refuses %j naming %s: no personal data beyond the object id', (input, field) => {
    expect(() => userSecurityContext(input)).toThrow(UserSecurityContextError);
    try {
      userSecurityContext(input);
    } catch (error) {
      expect((error as UserSecurityContextError).field).toBe(field);
    }
  });

  it('keeps IPv6 addresses and lower-cases ids', () => {
    expect(userSecurityContext({ applicationName: ' bot ', endUserId: OID.toUpperCase(), sourceIp: '2001:db8::7' })).toEqual({ application_name: 'bot', end_user_id: OID, source_ip: '2001:db8::7' });
  });
});

describe('the package export', () => {
  it('is a subpath export of this package, with types', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    expect(pkg.exports['./user-security-context']).toEqual({ types: './dist/shared/openai/user-security-context.d.ts', default: './dist/shared/openai/user-security-context.js' });
  });
});
