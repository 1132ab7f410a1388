import * as fs from 'node:fs';
import * as path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * The API Management policy fragment for end-user context (infra/apim/user-security-context.policy.xml).
 * API Management itself is not on this machine: these checks are what can be proven here.
 */
const file = path.join(__dirname, '..', '..', 'infra', 'apim', 'user-security-context.policy.xml');
const xml = fs.readFileSync(file, 'utf8');
const expression = /<set-body>@\{([\s\S]*?)\}<\/set-body>/.exec(xml)?.[1] ?? '';

// API Management reads a multi-statement expression `@{ ... }` as C# (generics such as As<string>
// included, as its documentation writes them), not as XML; around it, the document must be XML.
const outsideExpressions = xml.replace(/<set-body>@\{[\s\S]*?\}<\/set-body>/, '<set-body>EXPRESSION</set-body>');

it('is well-formed XML around its expression, with one fragment: token validation, then a conditional set-body', () => {
  expect(XMLValidator.validate(outsideExpressions)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false }).parse(outsideExpressions) as { fragment: Record<string, unknown> };
  expect(Object.keys(doc.fragment)).toEqual(['validate-azure-ad-token', 'choose']);
  expect(String((doc.fragment.choose as { when: Record<string, string> }).when['@_condition'])).toContain('/chat/completions');
});

it('has a balanced C# block (braces and parentheses)', () => {
  const count = (c: string) => expression.split(c).length - 1;
  expect(count('{')).toBe(count('}'));
  expect(count('(')).toBe(count(')'));
});

it('fills the four wire fields from the product or API, the oid and tid claims and the caller address', () => {
  for (const field of ['application_name', 'end_user_id', 'end_user_tenant_id', 'source_ip']) expect(expression).toContain(`security["${field}"]`);
  expect(expression).toContain('GetValueOrDefault("oid"');
  expect(expression).toContain('GetValueOrDefault("tid"');
  expect(expression).toContain('context.Request.IpAddress');
});

it('never overwrites a client\u2019s context and never reads a claim that names a person', () => {
  expect(expression).toMatch(/if \(body\["user_security_context"\] != null\) \{ return text; \}/);
  const claims = [...expression.matchAll(/GetValueOrDefault\("([^"]+)"/g)].map((m) => m[1]);
  expect(claims.sort()).toEqual(['oid', 'tid']);
  expect(expression).not.toMatch(/upn|email|preferred_username|unique_name|"name"|given_name|family_name/i);
});
