import { releaseHeldLeasesNow } from '../engine/tenant-lease';

/**
 * Interruption as an outcome of a CLI run, not a crash. The first SIGINT, SIGTERM or SIGHUP (or
 * EPIPE on stdout: `d4ai sweep | head -1` once head has exited) aborts the run's signal: the pass
 * starts no new write and reads no new page, the writes in flight finish and their outcomes are
 * stored, the summary is stored marked `interrupted`, the tenant-pass lease is released, and the
 * command exits 130. That wait is bounded (INTERRUPT_GRACE_MS); a second Ctrl-C, or the end of the
 * grace, exits at once, giving the lease back synchronously where the store can (SQLite). Intents
 * left without an outcome then are settled by the next run (engine/reconcile.ts).
 */

/** The exit code of an interrupted run (128 + SIGINT, what shells expect). */
export const EXIT_INTERRUPTED = 130;
/** How long writes in flight are waited for: a PUT, its read-back, and a retry after a 409. */
export const INTERRUPT_GRACE_MS = 20_000;

export interface Interruption {
  signal: AbortSignal;
  /** Removes the handlers (the command is over). */
  dispose(): void;
}

export interface InterruptionOptions {
  /** Where the one line about stopping goes (stderr). */
  say: (message: string) => void;
  graceMs?: number;
  /** Ends the process at once; replaced in tests. */
  exitNow?: (code: number) => void;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function ignoreStdoutError(): void {
  // The command is over; what could not be written to a closed pipe has no reader.
}

export function watchForInterruption(options: InterruptionOptions): Interruption {
  const controller = new AbortController();
  const exitNow = options.exitNow ?? ((code: number) => process.exit(code));
  let grace: NodeJS.Timeout | undefined;
  const hardExit = (): void => {
    releaseHeldLeasesNow();
    exitNow(EXIT_INTERRUPTED);
  };
  const stop = (why: string, quiet = false): void => {
    if (controller.signal.aborted) return;
    controller.abort(why);
    if (!quiet) options.say(`${why}: stopping. No new write starts; waiting up to ${Math.round((options.graceMs ?? INTERRUPT_GRACE_MS) / 1000)} s for the writes in flight to finish and be recorded (Ctrl-C again to exit at once).`);
    grace = setTimeout(hardExit, options.graceMs ?? INTERRUPT_GRACE_MS);
    grace.unref();
  };
  const handlers = SIGNALS.map((name) => {
    const handler = (): void => {
      // A second Ctrl-C means now: no more waiting.
      if (controller.signal.aborted && name === 'SIGINT') hardExit();
      else stop(name);
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  // The reader went away: nobody reads what follows, so stop as after Ctrl-C, without a word on a
  // terminal that may not be there either. Other stdout errors are left to the default handling.
  const onStdoutError = (error: NodeJS.ErrnoException): void => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') stop('stdout closed', true);
  };
  process.stdout.on('error', onStdoutError);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const [name, handler] of handlers) process.off(name, handler);
      if (grace) clearTimeout(grace);
      // Still listening: a late EPIPE from the last flush must not become an uncaught error.
      process.stdout.off('error', onStdoutError);
      if (!process.stdout.listeners('error').includes(ignoreStdoutError)) process.stdout.on('error', ignoreStdoutError);
    },
  };
}
