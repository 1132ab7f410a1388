import type { Actor, TriggerKind } from '../domain/model';
import { actorOf, type RemediationRecord, type RunSummaryRecord } from './record';
import type { RecordStore } from './record-store';

/** Triggers whose records name who started them: a person or an application asked for the run. */
export const MANUAL_TRIGGERS: readonly TriggerKind[] = ['manual', 'cli', 'revert'];

/**
 * A record store that writes the caller's actor into every record and run summary of a manual
 * run (CLI commands, `d4ai revert`) before storing it. The CLI learns who it acts as from its own
 * access token, once, when the first record is written; the engine does not need to know.
 * When the token names nobody (no object id), the record is still stored, with a warning saying
 * so: a decision is never lost because its author is unknown.
 */
export function stampActor(store: RecordStore, resolveActor: () => Promise<Actor | undefined>): RecordStore {
  let actor: Promise<Actor | undefined> | undefined;
  const current = (): Promise<Actor | undefined> => (actor ??= resolveActor().catch(() => undefined));
  const stamped = async <T extends { trigger: TriggerKind; actor?: Actor }>(item: T): Promise<T> => {
    if (!MANUAL_TRIGGERS.includes(item.trigger) || item.actor) return item;
    const who = await current();
    return who ? { ...item, actor: actorOf(who) } : item;
  };
  const overrides: Pick<RecordStore, 'write' | 'writeRunSummary'> = {
    write: async (record: RemediationRecord): Promise<void> => {
      const withActor = await stamped(record);
      const unknown = MANUAL_TRIGGERS.includes(record.trigger) && !withActor.actor;
      await store.write(unknown ? { ...withActor, warnings: [...withActor.warnings, UNKNOWN_ACTOR_WARNING] } : withActor);
    },
    writeRunSummary: async (summary: RunSummaryRecord): Promise<void> => store.writeRunSummary(await stamped(summary)),
  };
  // Everything else is the store's own, called on the store (its methods keep their `this`).
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'write' || property === 'writeRunSummary') return overrides[property];
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export const UNKNOWN_ACTOR_WARNING = 'Actor unknown: the access token this run used has no object id (oid) claim.';
