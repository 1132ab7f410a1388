import { sweepCommand } from '../../shared/cli/commands';
import { startSimulatedLandingZone } from '../../sim/simulated-landing-zone';
import { inProcess } from '../cli/in-process';

/**
 * A jest worker still holding a server, a socket, a child process or a timer when its files are
 * done does not exit, and jest force-exits it ("A worker process has failed to exit gracefully").
 * Nearly every integration suite starts the simulated landing zone: once closed, after real SDK
 * traffic to all of its stand-ins (tokens, ARM and Resource Graph over keep-alive HTTPS, records
 * in Azurite), nothing of it may keep the process alive.
 */
it('the simulated landing zone, once closed, leaves nothing that keeps the process alive', async () => {
  const before = process.getActiveResourcesInfo();
  const lz = await startSimulatedLandingZone();
  // The Azure SDK credential reads the managed identity endpoint from process.env itself.
  const saved = Object.keys(lz.env).map((name) => [name, process.env[name]] as const);
  Object.assign(process.env, lz.env);
  try {
    const run = await inProcess({ dryRun: true }, (ctx) => sweepCommand(ctx));
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(lz.identity.requests).toBeGreaterThan(0);
    expect(lz.arm.requests.length).toBeGreaterThan(0);
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await lz.close();
  }
  expect(await beyond(before)).toEqual([]);
}, 60_000);

/** What keeps the process alive that `before` did not have, once closing handles had a moment to finish. */
async function beyond(before: readonly string[]): Promise<string[]> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const left = [...process.getActiveResourcesInfo()];
    for (const resource of before) {
      const i = left.indexOf(resource);
      if (i >= 0) left.splice(i, 1);
    }
    if (left.length === 0 || Date.now() > deadline) return left.sort();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
