import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the heap grow past what the last full collection kept before it collects again:
 * 50%, instead of V8's own factor of up to 4x, which it raises while a process allocates steadily.
 * A tenant pass does exactly that for as long as the tenant is large, so with V8's factor the peak
 * memory of a pass grew with the tenant although what it keeps did not: from 10,000 to 50,000
 * subscriptions the CLI dry run's peak RSS rose 1.2-1.6x and the durable worker's 1.8x, with heap
 * snapshots and the heap left after each full collection flat (issue 17, docs/performance.md).
 * With a fixed 50% the peak follows what the pass keeps. A pass waits on ARM and Resource Graph
 * almost all the time, so the extra collections (of a live heap of about 30-60 MiB) cost no wall
 * time that the bench can see. The flag is read at every collection, so setting it once the
 * process runs (the CLI's main, the Functions app's entry module) takes effect from the next one.
 */
export const HEAP_GROWING_PERCENT = 50;

let bounded = false;

export function boundHeapGrowth(): void {
  if (bounded) return;
  bounded = true;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
