import { governSubscription } from '../../../shared/engine/govern';
import { config } from '../../builders/context.builder';
import { fakePorts } from '../../support/fake-ports';
import { FakeWorld, accountId } from '../../support/fake-world';

/**
 * Evidence is read, not believed (issue 15): the resource id an event (or a watch) names counts as
 * an AI resource only after a GET of exactly that id answers. The list API lags a new account by
 * minutes, which is why the id is used at all; the GET is exact, so a made-up id counts for nothing.
 */
const SUB = '00000000-0000-4000-8000-0000000000e1';

function world(): FakeWorld {
  const w = new FakeWorld();
  w.addSubscription(SUB, { displayName: 'new-ai' });
  return w;
}

const eventFor = (resourceId: string) => ({ subscriptionId: SUB, trigger: 'event' as const, runId: 'run-e', detail: { eventId: 'evt-1', resourceId } });

describe('an event names the AI resource that triggered it', () => {
  it('an account the list does not show yet counts once a GET of its id finds it: the plan is enabled', async () => {
    const w = world();
    const account = w.addAccount(SUB, 'oai-new');
    w.hideFromInventory(account.id);
    const result = await governSubscription(fakePorts(w), config(), eventFor(account.id));
    expect(result.record).toMatchObject({ action: 'enable', outcome: 'applied', aiResourceCount: 1, aiResourceIds: [account.id] });
    expect(w.calls.inventory.getAiResource).toBe(1);
  });

  it('a made-up account id counts for nothing: skip no-ai-resources, the record says why, no PUT', async () => {
    const w = world();
    const madeUp = accountId(SUB, 'oai-does-not-exist');
    const result = await governSubscription(fakePorts(w), config(), eventFor(madeUp));
    expect(result.record).toMatchObject({ action: 'skip', skipReason: 'no-ai-resources', outcome: 'no-op', aiResourceCount: 0 });
    expect(result.record.warnings.join(' ')).toContain(`The trigger named ${madeUp}, but a GET of that id found no such resource`);
    expect(w.calls.inventory.getAiResource).toBe(1);
    expect(w.puts).toHaveLength(0);
  });

  it('a listed resource needs no GET, and an id in another subscription is never looked up', async () => {
    const w = world();
    const account = w.addAccount(SUB, 'oai-listed');
    await governSubscription(fakePorts(w), config(), eventFor(account.id));
    const elsewhere = accountId('00000000-0000-4000-8000-0000000000e2', 'oai-other');
    await governSubscription(fakePorts(w), config(), { ...eventFor(elsewhere), runId: 'run-f' });
    expect(w.calls.inventory.getAiResource).toBe(0);
  });
});
