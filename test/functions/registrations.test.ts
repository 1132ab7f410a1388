/**
 * What the app registers with the Functions host (trigger types, routes, methods, auth level,
 * schedule, durable client inputs), plus host.json and local.settings.json.sample.
 */
import './registrations';
import '../../functions';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AI_WRITE_OPERATIONS } from '../../shared/ai-resource-types';
import { DEFAULTS } from '../../shared/config';
import { FN } from '../../functions/names';
import { registered, registration } from './registrations';

const ROOT = path.join(__dirname, '..', '..');
const readJson = (file: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as Record<string, unknown>;
const hasClient = (name: string): boolean => (registration(name).options.extraInputs ?? []).some((i) => i.type === 'durableClient');

describe('function registrations', () => {
  it('registers every function of the app from functions/index.ts', () => {
    expect([...registered.keys()].sort()).toEqual(Object.values(FN).sort());
  });

  it('onAzureEvent is an Event Grid trigger with a durable client', () => {
    expect(registration(FN.onAzureEvent).kind).toBe('eventGrid');
    expect(hasClient(FN.onAzureEvent)).toBe(true);
  });

  it('nightlySweep is a timer on D4AI_SWEEP_SCHEDULE (default 02:00 daily), not run at start-up', () => {
    const { kind, options } = registration(FN.nightlySweep);
    expect(kind).toBe('timer');
    expect(options.schedule).toBe(DEFAULTS.D4AI_SWEEP_SCHEDULE);
    expect(options.schedule).toBe('0 0 2 * * *');
    expect(options.runOnStartup).toBe(false);
    expect(hasClient(FN.nightlySweep)).toBe(true);
  });

  it('tenantWatch is a timer on D4AI_WATCH_SCHEDULE (default every 5 minutes), not run at start-up', () => {
    const { kind, options } = registration(FN.tenantWatch);
    expect(kind).toBe('timer');
    expect(options.schedule).toBe(DEFAULTS.D4AI_WATCH_SCHEDULE);
    expect(options.schedule).toBe('0 */5 * * * *');
    expect(options.runOnStartup).toBe(false);
    expect(hasClient(FN.tenantWatch)).toBe(true);
  });

  it('takes the schedule from the settings when the app loads, and refuses a bad one naming it', async () => {
    process.env.D4AI_SWEEP_SCHEDULE = '0 30 3 * * 1-5';
    try {
      // A fresh module registry each time, as the Functions worker loads the app once per process.
      jest.isolateModules(() => {
        const local = jest.requireActual<typeof import('./registrations')>('./registrations');
        jest.requireActual('../../functions/nightly-sweep');
        expect(local.registration(FN.nightlySweep).options.schedule).toBe('0 30 3 * * 1-5');
      });
      process.env.D4AI_SWEEP_SCHEDULE = 'every night';
      jest.isolateModules(() => {
        jest.requireActual('./registrations');
        expect(() => jest.requireActual('../../functions/nightly-sweep')).toThrow(/D4AI_SWEEP_SCHEDULE="every night" must be an NCRONTAB expression/);
      });
    } finally {
      delete process.env.D4AI_SWEEP_SCHEDULE;
    }
  });

  it.each([
    [FN.adminGovern, 'POST', 'subscriptions/{subscriptionId}/govern'],
    [FN.adminStartSweep, 'POST', 'sweeps'],
    [FN.adminGetRun, 'GET', 'runs/{instanceId}'],
    [FN.adminListRecords, 'GET', 'subscriptions/{subscriptionId}/records'],
    [FN.adminApplyPlan, 'POST', 'plans'],
  ])('%s is %s /api/%s for Entra callers, with a function-key twin under /api/automation', (name, method, route) => {
    const { kind, options } = registration(name);
    expect(kind).toBe('http');
    expect(options.methods).toEqual([method]);
    expect(options.route).toBe(route);
    // The platform authenticates (App Service Authentication) and functions/admin-auth.ts checks the role: no key for people.
    expect(options.authLevel).toBe('anonymous');
    expect(hasClient(name)).toBe(true);
    const twin = registration(`${name}Key`);
    expect(twin.options.methods).toEqual([method]);
    expect(twin.options.route).toBe(`automation/${route}`);
    expect(twin.options.authLevel).toBe('function');
    expect(hasClient(`${name}Key`)).toBe(true);
  });

  it.each([
    [FN.governSubscription, 'orchestrationTrigger'],
    [FN.sweepTenant, 'orchestrationTrigger'],
    [FN.applySavedPlan, 'orchestrationTrigger'],
    [FN.renewPlanLease, 'activityTrigger'],
    [FN.readPlanAncestry, 'activityTrigger'],
    [FN.planGovern, 'activityTrigger'],
    [FN.applyPricing, 'activityTrigger'],
    [FN.writeRecord, 'activityTrigger'],
    [FN.readSweepPolicy, 'activityTrigger'],
    [FN.sweepPage, 'activityTrigger'],
    [FN.writeRunSummary, 'activityTrigger'],
    [FN.subscriptionWriteLock, 'entityTrigger'],
  ])('%s is registered through durable-functions as %s', (name, type) => {
    const { kind, options } = registration(name);
    expect(kind).toBe('generic');
    expect(options.trigger?.type).toBe(type);
  });
});

describe('host.json', () => {
  const host = readJson('host.json') as {
    version: string;
    functionTimeout: string;
    extensionBundle: { id: string; version: string };
    extensions: { durableTask: Record<string, unknown>; http: { routePrefix: string } };
    telemetryMode?: string;
    logging: Record<string, unknown>;
  };

  it('uses the v4 extension bundle and a fixed task hub', () => {
    expect(host.version).toBe('2.0');
    expect(host.extensionBundle).toEqual({ id: 'Microsoft.Azure.Functions.ExtensionBundle', version: '[4.*, 5.0.0)' });
    expect(host.extensions.durableTask.hubName).toBe('d4aigovernor');
    expect(host.extensions.http.routePrefix).toBe('api');
  });

  it('refuses to start an instance id that is running (the coalescing relies on it)', () => {
    expect(host.extensions.durableTask.overridableExistingInstanceStates).toBe('NonRunningStates');
  });

  it('bounds concurrency and the function timeout', () => {
    expect(host.extensions.durableTask.maxConcurrentActivityFunctions).toEqual(expect.any(Number));
    expect(host.extensions.durableTask.maxConcurrentOrchestratorFunctions).toEqual(expect.any(Number));
    expect(host.functionTimeout).toMatch(/^\d{2}:\d{2}:\d{2}$/);
  });

  it('exports with OpenTelemetry, without the classic Application Insights settings (they do not apply there)', () => {
    expect(host.telemetryMode).toBe('OpenTelemetry');
    // The host does not sample in OpenTelemetry mode; a classic samplingSettings block would be
    // ignored, and would suggest that requests, exceptions or decision traces could be dropped.
    expect(host.logging).not.toHaveProperty('applicationInsights');
  });
});

describe('local.settings.json.sample', () => {
  const values = (readJson('local.settings.json.sample') as { Values: Record<string, string> }).Values;

  it('runs against Azurite with the Node.js worker', () => {
    expect(values.AzureWebJobsStorage).toBe('UseDevelopmentStorage=true');
    expect(values.FUNCTIONS_WORKER_RUNTIME).toBe('node');
  });

  it('lists every D4AI_* setting with its default, except that a first local run is a dry run (report mode)', () => {
    for (const [name, value] of Object.entries({ ...DEFAULTS, D4AI_MODE: 'report' })) expect({ name, value: values[name] }).toEqual({ name, value });
    for (const name of ['D4AI_EXCLUDED_SUBSCRIPTIONS', 'D4AI_POLICY_ASSIGNMENT_ID', 'D4AI_RECORDS_CONNECTION', 'D4AI_MANAGEMENT_GROUP']) expect(values[name]).toBe('');
  });
});

it('package.json points the Functions host at the compiled index, whose first step starts telemetry', () => {
  const pkg = readJson('package.json') as { main: string; engines: { node: string }; dependencies: Record<string, string> };
  expect(pkg.main).toBe('dist/functions/index.js');
  expect(pkg.engines.node).toMatch(/^>=22\./);
  // The OpenTelemetry path of the Functions docs for the Node.js v4 model; the classic SDK is gone.
  expect(Object.keys(pkg.dependencies)).toEqual(expect.arrayContaining(['@azure/monitor-opentelemetry', '@azure/functions-opentelemetry-instrumentation']));
  expect(pkg.dependencies).not.toHaveProperty('applicationinsights');
  // The instrumentation must see @azure/functions load: index.ts starts telemetry before any import of a function module.
  const index = fs.readFileSync(path.join(ROOT, 'functions', 'index.ts'), 'utf8');
  const firstCode = index.replace(/\/\*[\s\S]*?\*\//g, '').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('//'));
  expect(firstCode.slice(0, 2)).toEqual(["import { startTelemetry } from './telemetry';", 'startTelemetry();']);
});

it('docs/functions.md lists exactly the AI write operations to filter on', () => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'functions.md'), 'utf8');
  const block = /<!-- ai-write-operations:start -->([\s\S]*?)<!-- ai-write-operations:end -->/.exec(doc)?.[1] ?? '';
  const listed = [...block.matchAll(/^- `([^`]+)`$/gm)].map((m) => m[1]);
  expect(listed).toEqual([...AI_WRITE_OPERATIONS]);
});
