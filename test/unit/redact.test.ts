import { escapeControl, hasUnsafeCharacters, maskSecrets, redactPersonal, scrub } from '../../shared/observability/redact';

describe('redactPersonal', () => {
  it("removes the caller ARM's 403 names: e-mail, UPN and object id", () => {
    const arm =
      "The client 'alice@contoso.com' with object id '0b3c1f6e-2a4d-4c6b-9e1f-2d3c4b5a6f70' does not have authorization to perform action 'Microsoft.Security/pricings/write' over scope '/subscriptions/11111111-1111-1111-1111-111111111111'.";
    const out = redactPersonal(arm);
    expect(out).not.toContain('alice');
    expect(out).not.toContain('0b3c1f6e-2a4d-4c6b-9e1f-2d3c4b5a6f70');
    // Resource ids are not personal: the subscription in the scope stays.
    expect(out).toContain('/subscriptions/11111111-1111-1111-1111-111111111111');
    expect(out).toContain("The client '<email>' with object id '<object-id>'");
  });

  it('removes IPv4 and IPv6 addresses, not times, versions or punctuation', () => {
    expect(redactPersonal('from 10.1.2.3 and 2001:db8::8a2e:370:7334 and fe80::1 and ::1')).toBe('from <ip> and <ip> and <ip> and <ip>');
    expect(redactPersonal('at 10:00:05, version 1.2.3, (code 403): denied; a : b')).toBe('at 10:00:05, version 1.2.3, (code 403): denied; a : b');
  });
});

describe('maskSecrets', () => {
  it('masks account keys, SAS signatures, URL passwords, bearer tokens and JWTs', () => {
    expect(maskSecrets('DefaultEndpointsProtocol=https;AccountName=st;AccountKey=abc123==;EndpointSuffix=core.windows.net')).toBe(
      'DefaultEndpointsProtocol=https;AccountName=st;AccountKey=***;EndpointSuffix=core.windows.net',
    );
    expect(maskSecrets('https://st.table.core.windows.net/?sv=2022-11-02&sig=AbC%2Bdef%3D&se=2030')).toBe('https://st.table.core.windows.net/?sv=2022-11-02&sig=***&se=2030');
    expect(maskSecrets('https://user:p4ss@arm.example')).toBe('https://user:***@arm.example');
    expect(maskSecrets('Authorization: Bearer abcdefghijklmnop')).toBe('Authorization: Bearer ***');
    expect(maskSecrets('token eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.sig')).toBe('token <token>');
  });

  it('scrub does both', () => {
    expect(scrub('bob@contoso.com used AccountKey=xyz')).toBe('<email> used AccountKey=***');
  });
});

describe('control characters', () => {
  it('finds C0/C1 controls, line separators and bidi overrides', () => {
    for (const bad of ['a\u001b[31mred', 'x\u0085y', 'line\u2028break', 'admin\u202eevil', 'nul\u0000']) expect(hasUnsafeCharacters(bad)).toBe(true);
    expect(hasUnsafeCharacters('plain note, with café and 日本')).toBe(false);
    expect(hasUnsafeCharacters('two\nlines')).toBe(true);
    expect(hasUnsafeCharacters('two\nlines', true)).toBe(false);
  });

  it('escapes them for the terminal', () => {
    expect(escapeControl('\u001b[2Jgone\r\n\u202e')).toBe('\\u001b[2Jgone\\u000d\\n\\u202e');
  });
});
