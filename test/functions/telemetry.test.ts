/**
 * The Functions app's telemetry, for real: the Azure Monitor OpenTelemetry distro exports to a
 * local HTTPS ingestion stand-in (connection string with IngestionEndpoint=https://127.0.0.1:<port>/),
 * signed with a token from the managed identity stand-in through @azure/identity, and the test
 * reads the envelopes that arrived. The workbook, the saved queries and the alert rely on what is
 * asserted here: one trace per line whose message is exactly the template, and the structured
 * fields (and nothing else) as customDimensions.
 */
import { InvocationContext } from '@azure/functions';
import { shutdownAzureMonitor } from '@azure/monitor-opentelemetry';
import { LOG_MESSAGES } from '../../shared/observability/log';
import { startIdentityStandIn, useIdentityEnv, type IdentityStandIn } from '../../sim/identity-stand-in';
import { startIngestionStandIn, type IngestionStandIn } from '../support/ingestion-stand-in';

const SUB = '3f2c1b7e-5a4d-4e1b-9c3a-8d7e6f5a4b3c';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

let ingestion: IngestionStandIn;
let identity: IdentityStandIn;
let restoreIdentity: () => void;
const ENV = ['APPLICATIONINSIGHTS_CONNECTION_STRING', 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', 'APPLICATIONINSIGHTS_STATSBEAT_DISABLED', 'APPLICATIONINSIGHTS_SDKSTATS_DISABLED', 'OTEL_TRACES_SAMPLER'];

beforeAll(async () => {
  ingestion = await startIngestionStandIn();
  identity = await startIdentityStandIn();
  restoreIdentity = useIdentityEnv(identity);
});

afterAll(async () => {
  for (const name of ENV) delete process.env[name];
  await shutdownAzureMonitor();
  restoreIdentity();
  await identity.close();
  await ingestion.close();
});

function runtime(): typeof import('../../functions/runtime') {
  return jest.requireActual<typeof import('../../functions/runtime')>('../../functions/runtime');
}

function invocation(lines: string[]): InvocationContext {
  return new InvocationContext({
    functionName: 'writeRecord',
    invocationId: 'inv-1',
    // Flags 00: the host sampled this invocation's trace out; its decision lines must still arrive.
    traceContext: { traceParent: `00-${TRACE_ID}-${SPAN_ID}-00` },
    logHandler: (_level, ...args) => lines.push(args.map(String).join(' ')),
  });
}

it('without a connection string, lines go to the invocation log as the message plus the fields as JSON', async () => {
  // Its own module registry: telemetry starts once per process, and this process starts it below.
  jest.isolateModules(() => {
    const { loggerFor, telemetrySink } = runtime();
    const lines: string[] = [];
    loggerFor(invocation(lines), { subscriptionId: SUB }).info(LOG_MESSAGES.decision, { action: 'none', outcome: 'no-op' });
    expect(telemetrySink()).toBeUndefined();
    expect(lines).toEqual([`D4AI decision {"subscriptionId":"${SUB}","action":"none","outcome":"no-op"}`]);
  });
});

it('exports each line once as a trace: exact message, severity, customDimensions, operation, Entra token', async () => {
  process.env.APPLICATIONINSIGHTS_CONNECTION_STRING = ingestion.connectionString;
  process.env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING = `Authorization=AAD;ClientId=${identity.clientId}`;
  process.env.APPLICATIONINSIGHTS_STATSBEAT_DISABLED = 'true';
  process.env.APPLICATIONINSIGHTS_SDKSTATS_DISABLED = 'true';
  // Spans sampled away entirely: the decision lines must arrive all the same.
  process.env.OTEL_TRACES_SAMPLER = 'always_off';

  // Loaded after the settings are in the environment, as the Functions worker loads the app.
  const { loggerFor, flushTelemetry } = runtime();
  const lines: string[] = [];
  const logger = loggerFor(invocation(lines), { subscriptionId: SUB, runId: 'run-1', instanceId: `govern-${SUB}` });
  logger.info(LOG_MESSAGES.decision, { action: 'enable', outcome: 'applied', trigger: 'event', durationMs: 1234, aiResourceCount: 2 });
  logger.warn(LOG_MESSAGES.eventIgnored, { eventId: 'e-0', reason: 'Event type X is not handled.' });
  logger.error(LOG_MESSAGES.armError, { errorCode: 'AuthorizationFailed', errorMessage: 'The client does not have authorization' });
  // A key outside LOG_FIELDS never reaches customDimensions.
  (logger.info as (m: string, f: Record<string, unknown>) => void)(LOG_MESSAGES.eventIgnored, { eventId: 'e-1', upn: 'jane@contoso.com' });
  await flushTelemetry();
  await ingestion.waitFor(() => ingestion.traces(LOG_MESSAGES.decision).length === 1 && ingestion.traces(LOG_MESSAGES.armError).length === 1 && ingestion.traces(LOG_MESSAGES.eventIgnored).length === 2);

  const [decision] = ingestion.traces(LOG_MESSAGES.decision);
  expect(decision?.name).toBe('Microsoft.ApplicationInsights.Message');
  expect(decision?.iKey ?? decision?.instrumentationKey).toBe(ingestion.instrumentationKey);
  expect(decision?.data.baseData.severityLevel).toBe('Information');
  expect(decision?.data.baseData.properties).toEqual({
    subscriptionId: SUB,
    runId: 'run-1',
    instanceId: `govern-${SUB}`,
    action: 'enable',
    outcome: 'applied',
    trigger: 'event',
    durationMs: '1234',
    aiResourceCount: '2',
  });
  // In the invocation's operation (W3C trace id and parent span), beside the host's telemetry.
  expect(decision?.tags['ai.operation.id']).toBe(TRACE_ID);
  expect(decision?.tags['ai.operation.parentId']).toBe(SPAN_ID);

  const [armError] = ingestion.traces(LOG_MESSAGES.armError);
  expect(armError?.data.baseData.severityLevel).toBe('Error');
  expect(armError?.data.baseData.properties).toEqual({
    subscriptionId: SUB,
    runId: 'run-1',
    instanceId: `govern-${SUB}`,
    errorCode: 'AuthorizationFailed',
    errorMessage: 'The client does not have authorization',
  });

  const ignored = ingestion.traces(LOG_MESSAGES.eventIgnored);
  expect(ignored.map((e) => e.data.baseData.severityLevel).sort()).toEqual(['Information', 'Warning']);
  expect(ignored.find((e) => e.data.baseData.properties?.eventId === 'e-1')?.data.baseData.properties).toEqual({
    subscriptionId: SUB,
    runId: 'run-1',
    instanceId: `govern-${SUB}`,
    eventId: 'e-1',
  });
  expect(JSON.stringify(ingestion.envelopes)).not.toContain('jane@contoso.com');

  // Exactly one record per line: nothing went to the invocation log, which the Functions
  // instrumentation would forward to Application Insights a second time.
  expect(lines).toEqual([]);

  // Every batch was signed with a token for Azure Monitor from the managed identity.
  expect(ingestion.authorizations.length).toBeGreaterThan(0);
  for (const header of ingestion.authorizations) {
    const token = /^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '';
    expect(identity.verify(token, 'https://monitor.azure.com')).toBe(true);
  }
});
