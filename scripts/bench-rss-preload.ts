/**
 * Preloaded (`node --require`) into the d4ai processes the benchmark starts: writes the process's
 * peak resident set size (kB, from process.resourceUsage().maxRSS) to BENCH_RSS_FILE on exit, and
 * after it the live heap: the largest heap V8 measured right after a full (mark-compact)
 * collection, in bytes. Peak RSS also holds the garbage V8 has not collected yet; the live heap is
 * what the process keeps, so the two together tell memory that grows with the tenant from garbage.
 * (process.memoryUsage() read when a collection's event arrives is not that figure: by then new
 * objects have been allocated, and it grew with the run's length.)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GCProfiler, writeHeapSnapshot } from 'node:v8';

// v8.GCProfiler reports the heap V8 itself measured right after each collection; the profile is
// read and restarted every second so its own list of collections never grows with the run.
let liveHeap = 0;
let profiler = new GCProfiler();
profiler.start();
const collectLive = (): void => {
  for (const gc of profiler.stop()?.statistics ?? []) {
    if (gc.gcType === 'MarkSweepCompact') liveHeap = Math.max(liveHeap, gc.afterGC.heapStatistics.usedHeapSize);
  }
  profiler = new GCProfiler();
  profiler.start();
};
setInterval(collectLive, 1000).unref();

// BENCH_MEMORY_TRACE=<file>: process.memoryUsage() every second, one JSON line each, for finding
// where memory goes (heap, external buffers, or neither: native allocations).
const trace = process.env.BENCH_MEMORY_TRACE;
if (trace) {
  const started = Date.now();
  setInterval(() => fs.appendFileSync(trace, `${JSON.stringify({ s: Math.round((Date.now() - started) / 1000), live: liveHeap, ...process.memoryUsage() })}\n`), 1000).unref();
}

// BENCH_HEAP_SNAPSHOT_AT=<seconds>[,<seconds>...]: a heap snapshot (after a full collection: what
// is live) at each of those times, into BENCH_HEAP_SNAPSHOT_DIR; compare two tenant sizes' snapshots
// to find what grows with the tenant.
for (const at of (process.env.BENCH_HEAP_SNAPSHOT_AT ?? '').split(',').filter(Boolean).map(Number)) {
  setTimeout(() => writeHeapSnapshot(path.join(process.env.BENCH_HEAP_SNAPSHOT_DIR ?? os.tmpdir(), `d4ai-${process.pid}-${at}s.heapsnapshot`)), at * 1000).unref();
}

process.on('exit', () => {
  collectLive();
  profiler.stop();
  const file = process.env.BENCH_RSS_FILE;
  if (file) fs.writeFileSync(file, `${process.resourceUsage().maxRSS} ${liveHeap}`);
});
