/**
 * The admin API's sweep start with the records store unreachable: 503 naming the store and its
 * setting (as for any records outage), never the host's 500 with a raw storage error; nothing starts.
 */
import './registrations';
import '../../functions';
import { HttpRequest, type HttpResponseInit } from '@azure/functions';
import { startSweepHttp } from '../../functions/admin-api';
import { FN } from '../../functions/names';
import { operator } from './principal';
import { useWorld, type World } from './world';

let world: World;
useWorld((started) => {
  world = started;
});
afterEach(() => world.setEnv({ D4AI_RECORDS_CONNECTION: world.azurite.connectionString, WEBSITE_AUTH_ENABLED: undefined }));

it('POST /api/sweeps with the records store unreachable answers 503 RecordStoreUnavailable naming D4AI_RECORDS_CONNECTION, and starts nothing', async () => {
  // As deployed: App Service Authentication on, an operator calling.
  world.setEnv({ WEBSITE_AUTH_ENABLED: 'True', D4AI_RECORDS_CONNECTION: 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:1/devstoreaccount1;' });
  const request = new HttpRequest({ method: 'POST', url: 'https://func-d4ai.azurewebsites.net/api/sweeps', body: { string: '{"dryRun": true}' }, headers: { 'x-ms-client-principal': operator() } });
  const response: HttpResponseInit = await startSweepHttp(request, world.invocation(FN.adminStartSweep));
  expect(response.status).toBe(503);
  expect(response.jsonBody).toEqual({ error: { code: 'RecordStoreUnavailable', message: expect.stringContaining('D4AI_RECORDS_CONNECTION') } });
  expect(world.webhook.calls).toEqual([]);
}, 90_000);
