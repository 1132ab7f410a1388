/**
 * Preloaded (`node --require`) into the d4ai processes the benchmark starts: writes the process's
 * peak resident set size (kB, from process.resourceUsage().maxRSS) to BENCH_RSS_FILE on exit, and
 * after it the largest heap left after a major (mark-compact) collection, in bytes. Peak RSS also
 * holds the garbage V8 has not collected yet, which depends on when its major collections run (on
 * a loaded machine, later); what the heap keeps after one is the memory the process actually
 * needs, so the two together tell growth with the tenant from collection timing.
 */
import * as fs from 'node:fs';
import { PerformanceObserver, constants } from 'node:perf_hooks';

let liveHeap = 0;
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (((entry as { detail?: { kind?: number } }).detail)?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) liveHeap = Math.max(liveHeap, process.memoryUsage().heapUsed);
  }
});
observer.observe({ entryTypes: ['gc'] });

process.on('exit', () => {
  const file = process.env.BENCH_RSS_FILE;
  if (file) fs.writeFileSync(file, `${process.resourceUsage().maxRSS} ${liveHeap}`);
});
