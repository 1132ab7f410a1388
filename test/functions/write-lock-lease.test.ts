import * as fs from 'node:fs';
import * as path from 'node:path';
import { FUNCTION_TIMEOUT_MS, writeLockLeaseMs, writeLockMaxWaitMs } from '../../functions/govern-subscription.orchestrator';
import { RETRY_MAX_INTERVAL_MS } from '../../functions/govern-run';

/** The write lock's lease must outlast its holder's write path, every activity retry included. */
describe('write lock lease', () => {
  it('FUNCTION_TIMEOUT_MS is host.json functionTimeout', () => {
    const host = JSON.parse(fs.readFileSync(path.join(__dirname, '../../host.json'), 'utf8')) as { functionTimeout: string };
    const [h, m, s] = host.functionTimeout.split(':').map(Number) as [number, number, number];
    expect(((h * 60 + m) * 60 + s) * 1000).toBe(FUNCTION_TIMEOUT_MS);
  });

  it.each([
    [{ maxAttempts: 1, firstRetryIntervalMs: 5000, backoffCoefficient: 2 }],
    [{ maxAttempts: 4, firstRetryIntervalMs: 5000, backoffCoefficient: 2 }],
    [{ maxAttempts: 20, firstRetryIntervalMs: 600_000, backoffCoefficient: 10 }],
  ])('outlasts every attempt at functionTimeout plus every retry wait (%j)', (retry) => {
    let worst = 0;
    for (let attempt = 0; attempt < retry.maxAttempts; attempt++) {
      worst += FUNCTION_TIMEOUT_MS;
      if (attempt < retry.maxAttempts - 1) worst += Math.min(RETRY_MAX_INTERVAL_MS, retry.firstRetryIntervalMs * retry.backoffCoefficient ** attempt);
    }
    expect(writeLockLeaseMs(retry)).toBeGreaterThan(worst);
    expect(writeLockMaxWaitMs(retry)).toBeGreaterThan(writeLockLeaseMs(retry));
  });

  it('is about 46 minutes with the default D4AI_RETRY_* settings', () => {
    expect(Math.round(writeLockLeaseMs({ maxAttempts: 4, firstRetryIntervalMs: 5000, backoffCoefficient: 2 }) / 60_000)).toBe(46);
  });
});
