import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startSimulatedLandingZone, type SimulatedLandingZone } from '../../sim/simulated-landing-zone';
import { builtEnv, runBuilt, type BuiltRun } from './built-cli';
import { aiWriteEvent } from '../../sim/landing-zone';
import { hasUnsafeCharacters } from '../../shared/observability/redact';
import { isAccountRead } from '../support/arm-requests';
import { holdTenantLease, storedInDirectory, tenantLeaseIn } from '../support/local-store';
import { useTempDirs } from '../support/temp-dirs';

/**
 * The built `d4ai` binary as a separate process, configured only through the production
 * environment variables (ARM endpoint, managed identity endpoint, CA file, records connection).
 */
const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'd4ai.js');
let lz: SimulatedLandingZone;

/** `env` overrides the landing zone's settings; an undefined value removes the setting; `cwd` holds .d4ai/d4ai.db when no table is configured. */
function d4ai(args: string[], env: Record<string, string | undefined> = {}, input: string | Buffer = '', cwd?: string): Promise<BuiltRun> {
  return runBuilt(lz, args, env, cwd, input);
}

beforeAll(async () => {
  lz = await startSimulatedLandingZone();
}, 180_000);
afterAll(async () => {
  await lz?.close();
});
const tempDir = useTempDirs();

// Off a terminal (as here: stdin is a pipe) an enforcing run writes only with --yes (or a saved plan).
it('govern --json prints exactly one JSON record on stdout and logs JSON lines on stderr', async () => {
  const run = await d4ai(['govern', '--subscription', lz.zone.ids['corp-ai-prod'], '--json', '--yes']);
  expect(run.code).toBe(0);
  const record = JSON.parse(run.stdout) as { action: string; outcome: string; trigger: string };
  expect(record).toMatchObject({ action: 'enable', outcome: 'applied', trigger: 'cli' });
  const logs = run.stderr.trim().split('\n').map((l) => JSON.parse(l) as { message: string; subscriptionId?: string });
  expect(logs.map((l) => l.message)).toContain('D4AI decision');
  expect(lz.arm.state.getPricing(lz.zone.ids['corp-ai-prod'], 'AI')?.pricingTier).toBe('Standard');
});

it('--dry-run never writes, whatever D4AI_MODE says', async () => {
  const puts = lz.arm.requestsMatching('PUT').length;
  const run = await d4ai(['govern', '--subscription', lz.zone.ids['ml-platform'], '--dry-run', '--json'], { D4AI_MODE: 'enforce' });
  expect(run.code).toBe(0);
  expect(JSON.parse(run.stdout)).toMatchObject({ action: 'enable', outcome: 'dry-run', mode: 'report' });
  expect(lz.arm.requestsMatching('PUT').length).toBe(puts);
});

it('exits 1 when a subscription fails, with the error in the record and no personal data', async () => {
  const sub = lz.zone.ids['corp-ai-dev'];
  lz.arm.faults.error(1, 403, 'AuthorizationFailed', `The client 'alice@contoso.com' with object id '0b3c1f6e-2a4d-4c6b-9e1f-2d3c4b5a6f70' does not have authorization to perform action 'Microsoft.Security/pricings/write' over scope '/subscriptions/${sub}' from 203.0.113.7.`, { method: 'PUT', subscriptionId: sub });
  const cwd = tempDir('cli');
  const run = await d4ai(['govern', '--subscription', sub, '--json', '--yes'], { D4AI_RECORDS_CONNECTION: undefined }, '', cwd);
  expect(run.code).toBe(1);
  expect(JSON.parse(run.stdout)).toMatchObject({ outcome: 'failed', error: { code: 'AuthorizationFailed' } });
  for (const text of [run.stdout, run.stderr, JSON.stringify(await storedInDirectory(cwd))]) {
    expect(text).toContain('Microsoft.Security/pricings/write');
    expect(text).not.toMatch(/alice|0b3c1f6e-2a4d-4c6b-9e1f-2d3c4b5a6f70|203\.0\.113\.7/);
  }
});

it('a region that cannot enable an extension is partial (exit 0), named, and backed off', async () => {
  const run = await d4ai(['govern', '--subscription', lz.zone.ids['flaky-scanner'], '--json', '--yes']);
  expect(run.code).toBe(0);
  expect(JSON.parse(run.stdout)).toMatchObject({ outcome: 'partial', failedExtensions: ['AIModelScanner'], error: { code: 'ExtensionFailed', message: expect.stringContaining('not available in this region') } });
});

it('exits 2 on bad usage and on bad settings, naming the setting, before any ARM call', async () => {
  const before = lz.arm.requests.length;
  const badId = await d4ai(['govern', '--subscription', 'not-a-guid']);
  expect(badId.code).toBe(2);
  expect(badId.stderr).toContain('--subscription must be a subscription id');
  const badSetting = await d4ai(['sweep'], { D4AI_ENABLE_WHEN: 'sometimes', D4AI_ARM_ENDPOINT: 'http://insecure.example' });
  expect(badSetting.code).toBe(2);
  expect(badSetting.stderr).toContain('D4AI_ENABLE_WHEN="sometimes"');
  expect(badSetting.stderr).toContain('D4AI_ARM_ENDPOINT');
  const unknown = await d4ai(['frobnicate']);
  expect(unknown.code).toBe(2);
  expect(lz.arm.requests.length).toBe(before);
});

it('event - governs the subscription of an AI resource write read from stdin and ignores the rest', async () => {
  const target = lz.zone.ids.identity;
  lz.arm.state.addResource(target, { name: 'oai-cli', type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI', resourceGroup: 'rg-new-ai' });
  const other = { ...(aiWriteEvent(target, 'kv') as Record<string, unknown>), id: 'evt-kv', data: { subscriptionId: target, operationName: 'Microsoft.KeyVault/vaults/write' } };
  const run = await d4ai(['event', '-', '--json', '--yes'], {}, JSON.stringify([aiWriteEvent(target, 'oai-cli'), other]));
  expect(run.code).toBe(0);
  const out = JSON.parse(run.stdout) as { records: Array<{ triggerDetail: Record<string, string>; outcome: string }>; ignored: Array<{ eventId: string; reason: string }> };
  expect(out.records).toHaveLength(1);
  expect(out.records[0]?.outcome).toBe('applied');
  expect(out.records[0]?.triggerDetail).toMatchObject({ eventId: 'evt-oai-cli', eventType: 'Microsoft.Resources.ResourceWriteSuccess' });
  // No claims, names, e-mails or IPs from the event end up in the record.
  expect(run.stdout).not.toMatch(/jane|Jane Doe|203\.0\.113\.7/);
  expect(out.ignored).toEqual([{ eventId: 'evt-kv', eventType: 'Microsoft.Resources.ResourceWriteSuccess', reason: expect.stringContaining('not an AI resource type') }]);
});

it('records lists the audit trail newest first', async () => {
  const run = await d4ai(['records', '--subscription', lz.zone.ids['corp-ai-prod'], '--limit', '5', '--json']);
  expect(run.code).toBe(0);
  const records = JSON.parse(run.stdout) as Array<{ recordedAt: string; outcome: string }>;
  expect(records.length).toBeGreaterThanOrEqual(1);
  const times = records.map((r) => r.recordedAt);
  expect([...times].sort().reverse()).toEqual(times);
});

it('without a records store, writes to the SQLite file .d4ai/d4ai.db and says so, with no warning from node:sqlite', async () => {
  const cwd = tempDir('file');
  const run = await d4ai(['govern', '--subscription', lz.zone.ids['ai-compliant'], '--yes'], { D4AI_RECORDS_CONNECTION: undefined }, '', cwd);
  expect(run.code).toBe(0);
  expect(run.stderr).toContain(path.join(cwd, '.d4ai', 'd4ai.db'));
  expect(run.stderr).not.toMatch(/ExperimentalWarning|experimental feature/);
  const { records } = await storedInDirectory(cwd);
  expect(records).toHaveLength(1);
  expect(records[0]).toMatchObject({ action: 'none', outcome: 'no-op' });
});

describe('sweep and watch on the Resource Graph snapshot', () => {
  it('sweep --json streams one document: every record, then the summary; only the accounts are read one by one through ARM', async () => {
    const before = lz.arm.requests.length;
    const run = await d4ai(['sweep', '--dry-run', '--json']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as { records: Array<{ subscriptionId: string; mode: string; planBasis?: { source: string } }>; summary: { kind: string; subscriptions: number; scope: unknown }; unrecorded: unknown[] };
    expect(doc.records.map((r) => r.subscriptionId).sort()).toEqual(Object.values(lz.zone.ids).sort());
    expect(doc.summary).toMatchObject({ kind: 'sweep-summary', subscriptions: Object.keys(lz.zone.ids).length, scope: { managementGroup: 'contoso' } });
    expect(doc.unrecorded).toEqual([]);
    // One record per line: the records were written as they came, not built up and printed at the end.
    expect(run.stdout.split('\n').filter((l) => l.startsWith('{"subscriptionId"'))).toHaveLength(Object.keys(lz.zone.ids).length);
    const sent = lz.arm.requests.slice(before);
    // The snapshot, the per-account reads (opt-outs, content filters), and (issue 15) one refresh GET of the
    // AI pricing per write candidate of the snapshot, so the plan shown is the one an enforcing run would
    // make; no subscription listed, and no other subscription read through ARM.
    const refresh = /^\/subscriptions\/([0-9a-f-]{36})\/providers\/Microsoft\.Security\/pricings\/AI$/i;
    expect(sent.filter((r) => !(r.path === '/providers/Microsoft.ResourceGraph/resources' || isAccountRead(r) || (r.method === 'GET' && refresh.test(r.path))))).toEqual([]);
    // Exactly one refresh per candidate, and the candidates are the records planned on an ARM read.
    // (Earlier tests in this file changed the estate, so the set is read from the records, not listed.)
    const refreshed = sent.filter((r) => r.method === 'GET' && refresh.test(r.path)).map((r) => refresh.exec(r.path)?.[1]?.toLowerCase());
    expect(new Set(refreshed).size).toBe(refreshed.length);
    expect(refreshed.sort()).toEqual(doc.records.filter((r) => r.planBasis?.source === 'arm').map((r) => r.subscriptionId.toLowerCase()).sort());
    expect(refreshed.length).toBeGreaterThan(0);
  });

  it('--management-group narrows the scope and overrides D4AI_MANAGEMENT_GROUP; a bad id is a usage error before any call', async () => {
    const run = await d4ai(['watch', '--once', '--json', '--yes', '--management-group', 'contoso-platform']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as { summary: { kind: string; subscriptions: number; scope: unknown } };
    expect(doc.summary).toMatchObject({ kind: 'watch-summary', subscriptions: 2, scope: { managementGroup: 'contoso-platform' } });
    const before = lz.arm.requests.length;
    const bad = await d4ai(['sweep', '--management-group', 'not/a/group']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('D4AI_MANAGEMENT_GROUP="not/a/group"');
    expect(lz.arm.requests.length).toBe(before);
  });

  it('watch --once --subscription warns about an id the snapshot does not have, not about one in scope that needs nothing', async () => {
    const typo = '0badc0de-0000-4000-8000-000000000000';
    const quiet = lz.zone.ids['ai-compliant'];
    const run = await d4ai(['watch', '--once', '--dry-run', '--subscription', `${quiet},${typo}`]);
    expect(run.code).toBe(0);
    // The compliant one was looked at (1 subscription) and needed nothing, so the watch printed no record for it.
    expect(run.stdout).toMatch(/^Watch pass \S+ \(report, subscriptions [^)]*\): 1 subscription\(s\), 0 needing a write/m);
    expect(run.stderr).toContain(`warning: --subscription ${typo} matched nothing in scope`);
    expect(run.stderr).not.toContain(`--subscription ${quiet} matched nothing`);
  });

  it('watch needs --once or a valid --interval', async () => {
    const neither = await d4ai(['watch']);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('watch needs --once or --interval');
    const badInterval = await d4ai(['watch', '--interval', '5 minutes']);
    expect(badInterval.code).toBe(2);
    expect(badInterval.stderr).toContain('--interval must be a duration');
  });

  it('watch --interval runs passes until interrupted', async () => {
    // A loop runs unattended: it is started with --yes (without it, refused with exit 2).
    const child = spawn(process.execPath, [BIN, 'watch', '--interval', '30s', '--yes'], { cwd: tempDir('cli'), env: builtEnv(lz.env) });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const deadline = Date.now() + 20000;
    while (!stderr.includes('Next watch pass in 30s') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(stderr).toContain('Next watch pass in 30s');
    expect(stdout).toMatch(/^Watch pass \S+ \(enforce, management group contoso\): 17 subscription\(s\)/m);
    const interrupted = Date.now();
    const code = await new Promise<number | null>((resolve) => {
      child.on('close', resolve);
      child.kill('SIGINT');
    });
    // It stops at once (not after the 30 s wait), as an interrupted run.
    expect(Date.now() - interrupted).toBeLessThan(5000);
    expect(code).toBe(130); // interrupted (cli/interruption.ts)
  });
});

describe('safety through the real CLI (docs/safety.md)', () => {
  const deadStore = 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:1/devstoreaccount1;';

  it('a records store that does not accept writes: exit 1 naming the store and the setting, no ARM call at all', async () => {
    const before = lz.arm.requests.length;
    for (const args of [['govern', '--subscription', lz.zone.ids['corp-ai-prod'], '--yes'], ['sweep', '--yes'], ['watch', '--once', '--yes']]) {
      const run = await d4ai(args, { D4AI_RECORDS_CONNECTION: deadStore });
      expect({ args, code: run.code }).toEqual({ args, code: 1 });
      expect(run.stderr).toMatch(/records store \(Azure Table Storage table .* from D4AI_RECORDS_CONNECTION\) does not accept writes/);
      expect(run.stderr).not.toContain('a2V5');
    }
    expect(lz.arm.requests.length).toBe(before);
  }, 120_000);

  it('a table endpoint over http:// (not loopback) or a connection string without an endpoint: exit 2 naming the setting', async () => {
    const before = lz.arm.requests.length;
    for (const connection of ['http://records.example.net/', 'DefaultEndpointsProtocol=https;AccountName=st;SharedAccessSignature=sv=2022&sig=c2VjcmV0']) {
      const run = await d4ai(['govern', '--subscription', lz.zone.ids['corp-ai-prod'], '--yes'], { D4AI_RECORDS_CONNECTION: connection });
      expect({ connection, code: run.code }).toEqual({ connection, code: 2 });
      expect(run.stderr).toContain('D4AI_RECORDS_CONNECTION');
      expect(run.stderr).not.toContain('c2VjcmV0');
    }
    expect(lz.arm.requests.length).toBe(before);
  });

  it('no credential: exit 2 with the inner causes (run az login), no record, no ARM call', async () => {
    const cwd = tempDir('nocred');
    const before = lz.arm.requests.length;
    const run = await d4ai(['govern', '--subscription', lz.zone.ids['corp-ai-prod'], '--yes'], { D4AI_RECORDS_CONNECTION: undefined, IDENTITY_ENDPOINT: undefined, IDENTITY_HEADER: undefined }, '', cwd);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/No credential could get a token\..*ManagedIdentityCredential.*az login/s);
    expect(run.stderr).not.toMatch(/^d4ai: ChainedTokenCredential authentication failed\.$/m);
    expect(lz.arm.requests.length).toBe(before);
    expect((await storedInDirectory(cwd)).records).toEqual([]);
  });

  it('a failing managed identity endpoint: exit 2 naming its answer', async () => {
    const run = await d4ai(['govern', '--subscription', lz.zone.ids['corp-ai-prod'], '--yes'], { IDENTITY_HEADER: 'wrong-secret' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/ManagedIdentityCredential.*(401|X-IDENTITY-HEADER is invalid)/s);
  });

  it('an identity endpoint that never answers: exit 2 within the timeout budget, no ARM call', async () => {
    const before = lz.arm.requests.length;
    lz.identity.hang = true;
    try {
      const started = Date.now();
      const run = await d4ai(['govern', '--subscription', lz.zone.ids['corp-ai-prod'], '--yes'], { D4AI_HTTP_TIMEOUT_SECONDS: '1' });
      expect(run.code).toBe(2);
      // One attempt budget: 4 × D4AI_HTTP_TIMEOUT_SECONDS, plus process start.
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(run.stderr).toMatch(/ManagedIdentityCredential|no answer within 4 s/);
      expect(lz.arm.requests.length).toBe(before);
    } finally {
      lz.identity.hang = false;
    }
  });

  it('an identity endpoint answering 503 while the identity library retries: a progress line says so, then the run goes on', async () => {
    lz.identity.failing = { count: 3, status: 503 };
    try {
      const run = await d4ai(['--dry-run', 'govern', '--subscription', lz.zone.ids['corp-ai-prod']]);
      expect(run.code).toBe(0);
      expect(lz.identity.failing.count).toBe(0);
      expect(run.stderr).toMatch(/waiting for a token: no token yet from the identity endpoint after 2 s \(it is retried; given up after \d+ s\)/);
      expect(run.stdout).not.toMatch(/waiting/);
    } finally {
      lz.identity.failing = { count: 0, status: 503 };
    }
  });

  it('event - stops reading stdin at 1 MB (exit 2)', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 0x20);
    const run = await d4ai(['event', '-', '--yes'], {}, big);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('over 1048576 bytes');
  });

  it('deeply nested event JSON is refused without a stack overflow (exit 2)', async () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const run = await d4ai(['event', '-', '--yes'], {}, deep);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('nests deeper than 64 levels');
    expect(run.stderr).not.toMatch(/RangeError|Maximum call stack/);
  });

  it('malformed events exit 2, events that are not for us exit 0, and control characters never reach the terminal', async () => {
    const notForUs = { ...(aiWriteEvent(lz.zone.ids.identity, 'kv') as Record<string, unknown>), id: 'evt-kv\u001b[2J\u001b]0;pwned\u0007', data: { operationName: 'Microsoft.KeyVault/vaults/write' } };
    const fine = await d4ai(['event', '-', '--yes'], {}, JSON.stringify(notForUs));
    expect(fine.code).toBe(0);
    expect(fine.stdout).toContain('ignored');
    expect(fine.stdout).toContain('\\u001b[2J');
    expect(hasUnsafeCharacters(fine.stdout, true)).toBe(false);
    const broken = { ...(aiWriteEvent(lz.zone.ids.identity, 'oai') as Record<string, unknown>), data: { operationName: 'Microsoft.CognitiveServices/accounts/write', subscriptionId: 'not-a-guid' } };
    const bad = await d4ai(['event', '-', '--yes'], {}, JSON.stringify(broken));
    expect(bad.code).toBe(2);
    expect(bad.stdout).toContain('malformed');
  });

  it('--limit takes decimal digits only', async () => {
    for (const limit of ['1e2', '0x10', '5.0', ' 5', '-1', '1001']) {
      const run = await d4ai(['records', '--subscription', lz.zone.ids['corp-ai-prod'], '--limit', limit]);
      expect({ limit, code: run.code }).toEqual({ limit, code: 2 });
      expect(run.stderr).toContain('--limit must be a whole number from 1 to 1000');
    }
  });

  it('an earlier .d4ai/records.jsonl is imported once, saying so (a torn line skipped and counted), then exported again as JSON lines', async () => {
    const cwd = tempDir('import');
    const sub = lz.zone.ids['ai-compliant'];
    fs.mkdirSync(path.join(cwd, '.d4ai'));
    const old = { subscriptionId: sub, runId: 'from-jsonl', startedAt: '2025-01-01T00:00:00.000Z', recordedAt: '2025-01-01T00:00:01.000Z', trigger: 'cli', mode: 'enforce', action: 'none', outcome: 'no-op', aiResourceCount: 0, aiResourceIds: [], reasons: [], warnings: [], durationMs: 1, version: '0.1.0' };
    fs.writeFileSync(path.join(cwd, '.d4ai', 'records.jsonl'), `${JSON.stringify(old)}\n{"subscriptionId":"${sub}","runId":"cut-sh`);
    const first = await d4ai(['govern', '--subscription', sub, '--yes'], { D4AI_RECORDS_CONNECTION: undefined }, '', cwd);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/Imported 1 record line\(s\) and 0 run summary\(ies\) from .*records\.jsonl into .*d4ai\.db \(once; 1 unreadable line\(s\) skipped/);
    const listed = await d4ai(['records', '--subscription', sub, '--json'], { D4AI_RECORDS_CONNECTION: undefined }, '', cwd);
    expect(listed.stderr).not.toContain('Imported');
    expect((JSON.parse(listed.stdout) as Array<{ runId: string }>).map((r) => r.runId)).toContain('from-jsonl');
    const exported = await d4ai(['records', '--export', 'jsonl'], { D4AI_RECORDS_CONNECTION: undefined }, '', cwd);
    expect(exported.code).toBe(0);
    const lines = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as { runId?: string });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual(old);
  });

  it('an unknown D4AI_* setting is a configuration error naming the closest known one', async () => {
    const run = await d4ai(['govern', '--subscription', lz.zone.ids['sandbox-excluded']], { D4AI_EXCLUDED_SUBSCRIPTION: lz.zone.ids['sandbox-excluded'] });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/D4AI_EXCLUDED_SUBSCRIPTION is not a setting of the governor; did you mean D4AI_EXCLUDED_SUBSCRIPTIONS\?/);
  });

  it('a sweep while another holds the tenant-pass lease: exit 1 naming the holder and expiry, nothing read', async () => {
    const cwd = tempDir('lease');
    await holdTenantLease(cwd, 'nightly sweep sweep-2025-06-01', 3_600_000);
    const expiresAt = (await tenantLeaseIn(cwd))?.expiresAt ?? '';
    const before = lz.arm.requests.length;
    const run = await d4ai(['sweep', '--yes'], { D4AI_RECORDS_CONNECTION: undefined }, '', cwd);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`nightly sweep sweep-2025-06-01, until ${expiresAt}`);
    expect(lz.arm.requests.length).toBe(before);

    // With --json, stdout is still exactly one JSON document: the error, no half-open record list.
    const json = await d4ai(['--json', 'sweep', '--yes'], { D4AI_RECORDS_CONNECTION: undefined }, '', cwd);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({ error: { code: 'PassInProgress', message: expect.stringContaining('sweep-2025-06-01'), exitCode: 1 } });
  });

  it.each([
    [['--json', 'watch'], /watch needs --once or --interval/],
    [['-o', 'json', 'sweep', '--no-such-flag'], /unknown option '--no-such-flag'/],
    [['--json', 'revert'], /required option '--run <id>' not specified/],
  ])('a usage error with JSON output (%j) is one JSON document on stdout, exit 2', async (args, message) => {
    const run = await d4ai(args);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toEqual({ error: { code: 'UsageError', message: expect.stringMatching(message), exitCode: 2 } });
  });
});
