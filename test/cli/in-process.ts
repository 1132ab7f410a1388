import { runCommand } from '../../shared/cli/run';
import type { CliContext, GlobalFlags, SettingFlags, Terminal } from '../../shared/cli/context';
import { startSimulatedLandingZone, type SimulatedLandingZone } from '../../sim/simulated-landing-zone';

/**
 * d4ai commands in the test's own process, through the same runCommand the binary runs (its
 * argument parsing is tested on the built binary in d4ai.cli.test.ts), so a terminal can be
 * simulated and stdout/stderr captured: real SDK clients over HTTPS to the stand-ins.
 */
export type Command = (ctx: CliContext) => Promise<number> | number;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** The questions the command asked on the (simulated) terminal. */
  asked: string[];
}

/** The simulated landing zone, started before the file's tests, its settings in process.env (restored after). */
export function useLandingZoneProcess(): { readonly lz: SimulatedLandingZone } {
  let lz: SimulatedLandingZone | undefined;
  const saved = new Map<string, string | undefined>();
  beforeAll(async () => {
    lz = await startSimulatedLandingZone();
    for (const [name, value] of Object.entries(lz.env)) {
      saved.set(name, process.env[name]);
      process.env[name] = value;
    }
  }, 120_000);
  afterAll(async () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    if (!saved.has('D4AI_RECORDS_TABLE')) delete process.env.D4AI_RECORDS_TABLE;
    await lz?.close();
  });
  return {
    get lz() {
      if (!lz) throw new Error('The landing zone is started before the tests.');
      return lz;
    },
  };
}

/** One command with its global flags; a `tty` terminal answers its questions from `answers`. */
export async function inProcess(
  flags: GlobalFlags,
  command: Command,
  options: { tty?: boolean; stderrTty?: boolean; answers?: string[]; settings?: SettingFlags; env?: Record<string, string>; onAsk?: (question: string) => void } = {},
): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const asked: string[] = [];
  const answers = [...(options.answers ?? [])];
  const terminal: Terminal = {
    stdinIsTTY: options.tty === true,
    stdoutIsTTY: options.tty === true,
    stderrIsTTY: options.stderrTty ?? options.tty === true,
    columns: 200,
    ask: async (question) => {
      asked.push(question);
      options.onAsk?.(question);
      return answers.shift() ?? '';
    },
  };
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => out.push(String(chunk)) > 0);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => err.push(String(chunk)) > 0);
  try {
    const code = await runCommand(flags, options.settings ?? {}, command, terminal, { ...process.env, ...(options.env ?? {}) });
    return { code, stdout: out.join(''), stderr: err.join(''), asked };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}
