/** Azurite's Table service from node_modules, used with the real @azure/data-tables client. */
import * as net from 'node:net';
import { TableClient } from '@azure/data-tables';
import { startAzuriteTable, type AzuriteTable } from '../../sim/azurite';

function portOpen(endpoint: string): Promise<boolean> {
  const { hostname, port } = new URL(endpoint);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('Azurite table stand-in', () => {
  let azurite: AzuriteTable;

  beforeAll(async () => {
    azurite = await startAzuriteTable();
  });
  afterAll(() => azurite.close());

  it('builds the dev-account connection string', () => {
    expect(azurite.connectionString).toMatch(/^DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8.*;TableEndpoint=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1;$/);
  });

  it('creates a table, upserts and lists entities', async () => {
    const table = TableClient.fromConnectionString(azurite.connectionString, 'decisions', { allowInsecureConnection: true });
    await table.createTable();
    await table.upsertEntity({ partitionKey: 'sub-1', rowKey: 'run-1', outcome: 'enabled', attempts: 1 });
    await table.upsertEntity({ partitionKey: 'sub-1', rowKey: 'run-1', outcome: 'enabled', attempts: 2 }, 'Replace');
    await table.upsertEntity({ partitionKey: 'sub-2', rowKey: 'run-2', outcome: 'exempt' });
    const rows: Array<{ rowKey?: string; outcome?: unknown; attempts?: unknown }> = [];
    for await (const e of table.listEntities({ queryOptions: { filter: "PartitionKey eq 'sub-1'" } })) rows.push(e);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ rowKey: 'run-1', outcome: 'enabled', attempts: 2 });
  });

  it('stops listening after close()', async () => {
    const second = await startAzuriteTable();
    expect(await portOpen(second.endpoint)).toBe(true);
    await second.close();
    expect(await portOpen(second.endpoint)).toBe(false);
  });
});
