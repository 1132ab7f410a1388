import * as df from 'durable-functions';
import type { EntityContext, EntityHandler } from 'durable-functions';
import { FN } from './names';

/**
 * One entity per subscription (key = subscription id) that hands out the right to read-decide-write
 * its AI pricing. The Durable Task framework runs an entity's operations one at a time, so
 * `acquire` is atomic: at most one run holds it, hence at most one pricing write in flight per
 * subscription, whether the run came from an event, the admin API or a sweep.
 *
 * A lease (not a plain flag) so that a run terminated while holding it cannot block the
 * subscription forever. Time comes from the caller (the orchestration's replay-safe clock).
 * `context.df.lock()` would do the same, but needs extension schema V4, which the Functions
 * extension bundles do not ship yet.
 */

export interface LockState {
  owner: string;
  expiresAt: string;
}

export interface AcquireInput {
  owner: string;
  /** ISO time from the orchestration's currentUtcDateTime. */
  now: string;
  leaseMs: number;
}

export interface AcquireReply {
  granted: boolean;
  /** The run holding the lock when refused. */
  holder?: string;
}

export const subscriptionWriteLock: EntityHandler<LockState | null> = (context: EntityContext<LockState | null>): void => {
  const state = context.df.getState(() => null) ?? null;
  switch (context.df.operationName) {
    case 'acquire': {
      const input = context.df.getInput<AcquireInput>();
      if (!input) {
        context.df.return<AcquireReply>({ granted: false });
        return;
      }
      const free = state === null || state.owner === input.owner || Date.parse(state.expiresAt) <= Date.parse(input.now);
      if (!free) {
        context.df.return<AcquireReply>({ granted: false, holder: state.owner });
        return;
      }
      context.df.setState({ owner: input.owner, expiresAt: new Date(Date.parse(input.now) + input.leaseMs).toISOString() });
      context.df.return<AcquireReply>({ granted: true });
      return;
    }
    case 'release': {
      const input = context.df.getInput<{ owner: string }>();
      // Only the holder releases; a late release from an expired lease must not free someone else's.
      if (state !== null && input?.owner === state.owner) context.df.setState(null);
      return;
    }
    default:
      // Unknown operations change nothing.
      return;
  }
};

df.app.entity(FN.subscriptionWriteLock, subscriptionWriteLock);
