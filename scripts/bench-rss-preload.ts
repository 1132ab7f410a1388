/**
 * Preloaded (`node --require`) into the d4ai processes the benchmark starts: writes the process's
 * peak resident set size (kB, from process.resourceUsage().maxRSS) to BENCH_RSS_FILE on exit.
 */
import * as fs from 'node:fs';

process.on('exit', () => {
  const file = process.env.BENCH_RSS_FILE;
  if (file) fs.writeFileSync(file, String(process.resourceUsage().maxRSS));
});
