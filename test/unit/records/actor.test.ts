/**
 * Who did it: the actor of a manual run from a token or a principal's claims (ids only), kept
 * through outside input only when it is ids, stamped on the CLI's records, and stored in its own
 * table columns.
 */
import { actorFromAccessToken, actorFromClaims } from '../../../shared/domain/actor';
import { stampActor, UNKNOWN_ACTOR_WARNING } from '../../../shared/records/actor-stamp';
import { buildRecord, parseActor, type RemediationRecord, type RunSummaryRecord } from '../../../shared/records/record';
import type { RecordStore } from '../../../shared/records/record-store';
import { fromEntity, summaryEntity, summaryFromEntity, toEntity } from '../../../shared/records/table-entity';
import { remediationRecord, sweepSummaryRecord } from '../../builders/record.builder';

const OID = '0b3c1f6e-2a4d-4c6b-9e1f-2d3c4b5a6f70';
const APP = '44444444-4444-4444-8444-444444444444';
const AZURE_CLI = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';

const jwt = (claims: Record<string, unknown>): string => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

describe('actorFromAccessToken', () => {
  it('takes a person\'s object id and not the client app they used, nor any name', () => {
    const token = jwt({ oid: OID.toUpperCase(), scp: 'user_impersonation', appid: AZURE_CLI, name: 'Alice', upn: 'alice@contoso.com', unique_name: 'alice@contoso.com' });
    expect(actorFromAccessToken(token)).toEqual({ objectId: OID });
  });

  it('takes an application\'s object id and app id (app-only token: no scp, or idtyp app)', () => {
    expect(actorFromAccessToken(jwt({ oid: OID, appid: APP, idtyp: 'app' }))).toEqual({ objectId: OID, appId: APP });
    expect(actorFromAccessToken(jwt({ oid: OID, azp: APP }))).toEqual({ objectId: OID, appId: APP });
  });

  it.each([
    ['an opaque token', 'not-a-jwt'],
    ['a payload that is not JSON', 'a.bm90IGpzb24.c'],
    ['no oid claim', jwt({ sub: 'x', appid: APP })],
    ['an oid that is not a GUID', jwt({ oid: 'alice@contoso.com' })],
  ])('names nobody for %s', (_what, token) => {
    expect(actorFromAccessToken(token)).toBeUndefined();
  });

  it('reads the same claims from any source', () => {
    const claims: Record<string, string> = { oid: OID, scp: 'x' };
    expect(actorFromClaims((name) => claims[name])).toEqual({ objectId: OID });
  });
});

describe('parseActor (outside input, e.g. a recheck event)', () => {
  it('keeps the two ids and drops everything else', () => {
    expect(parseActor({ objectId: OID, appId: APP, name: 'Alice', upn: 'alice@contoso.com' })).toEqual({ objectId: OID, appId: APP });
    expect(parseActor({ objectId: 'function-key' })).toEqual({ objectId: 'function-key' });
  });

  it.each([[undefined], ['x'], [{ objectId: 'alice@contoso.com' }], [{ objectId: 42 }], [{}]])('refuses %p', (value) => {
    expect(parseActor(value)).toBeUndefined();
  });
});

describe('buildRecord', () => {
  it('copies only the ids of the request\'s actor into the record', () => {
    const actor = { objectId: OID, appId: APP, displayName: 'Alice' } as { objectId: string; appId: string };
    const record = buildRecord({ request: { subscriptionId: 'S', trigger: 'manual', runId: 'r', actor }, mode: 'report', outcome: 'no-op', startedAt: new Date(0), finishedAt: new Date(1) });
    expect(record.actor).toEqual({ objectId: OID, appId: APP });
  });
});

describe('table columns', () => {
  it('round-trips a record\'s actor through flat actorObjectId / actorAppId columns', () => {
    const record = remediationRecord({ trigger: 'cli', actor: { objectId: OID, appId: APP } });
    const entity = toEntity(record);
    expect(entity).toMatchObject({ actorObjectId: OID, actorAppId: APP });
    expect(fromEntity(entity)).toEqual(record);
    const withoutActor = remediationRecord();
    expect(Object.keys(toEntity(withoutActor)).filter((k) => k.startsWith('actor'))).toEqual([]);
    expect(fromEntity(toEntity(withoutActor))).toEqual(withoutActor);
  });

  it('round-trips a run summary\'s actor', () => {
    const summary = sweepSummaryRecord({ trigger: 'manual', actor: { objectId: OID } });
    expect(summaryEntity(summary)).toMatchObject({ actorObjectId: OID });
    expect(summaryFromEntity(summaryEntity(summary))).toEqual(summary);
  });
});

describe('stampActor (the CLI\'s records)', () => {
  function memoryStore(): RecordStore & { records: RemediationRecord[]; summaries: RunSummaryRecord[] } {
    const records: RemediationRecord[] = [];
    const summaries: RunSummaryRecord[] = [];
    return {
      records,
      summaries,
      description: 'memory',
      write: async (r: RemediationRecord) => void records.push(r),
      writeRunSummary: async (s: RunSummaryRecord) => void summaries.push(s),
      list: async () => ({ records, problems: [] }),
    } as unknown as RecordStore & { records: RemediationRecord[]; summaries: RunSummaryRecord[] };
  }

  it('stamps manual, cli and revert records and summaries, asks for the token once, and leaves event runs alone', async () => {
    const store = memoryStore();
    let asked = 0;
    const stamped = stampActor(store, async () => {
      asked++;
      return { objectId: OID };
    });
    await stamped.write(remediationRecord({ trigger: 'cli' }));
    await stamped.write(remediationRecord({ trigger: 'revert' }));
    await stamped.write(remediationRecord({ trigger: 'event' }));
    await stamped.writeRunSummary(sweepSummaryRecord({ trigger: 'cli' }));
    expect(store.records.map((r) => r.actor)).toEqual([{ objectId: OID }, { objectId: OID }, undefined]);
    expect(store.summaries[0]?.actor).toEqual({ objectId: OID });
    expect(asked).toBe(1);
    // Everything else is the store's own.
    expect(stamped.description).toBe('memory');
    expect((await stamped.list('S', 10)).records).toHaveLength(3);
  });

  it('still stores the record when the token names nobody, with a warning saying so', async () => {
    const store = memoryStore();
    const stamped = stampActor(store, async () => {
      throw new Error('no token');
    });
    await stamped.write(remediationRecord({ trigger: 'cli', warnings: [] }));
    expect(store.records[0]?.actor).toBeUndefined();
    expect(store.records[0]?.warnings).toEqual([UNKNOWN_ACTOR_WARNING]);
  });
});
