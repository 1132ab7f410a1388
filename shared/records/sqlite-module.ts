import type * as Sqlite from 'node:sqlite';

/**
 * node:sqlite, loaded without its ExperimentalWarning. Node (22.13 and later) prints "SQLite is an
 * experimental feature" on stderr the first time the module loads; the CLI's stderr is for people
 * and for JSON progress lines, and a warning they cannot act on would be noise there (and break
 * `--json` consumers that parse every stderr line). Only that one warning is held back, only while
 * the module loads; every other warning goes through as before.
 */
let loaded: typeof Sqlite | undefined;

export function sqliteModule(): typeof Sqlite {
  if (loaded) return loaded;
  const emitWarning = process.emitWarning;
  const filtered = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]): void {
    const text = typeof warning === 'string' ? warning : warning.message;
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type ?? (warning instanceof Error ? warning.name : undefined);
    if (type === 'ExperimentalWarning' && /SQLite/i.test(text)) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  };
  process.emitWarning = filtered as typeof process.emitWarning;
  try {
    const module = process.getBuiltinModule('node:sqlite') as typeof Sqlite | undefined;
    if (!module?.DatabaseSync) throw new Error(`node:sqlite is not available in Node.js ${process.version}: d4ai needs Node.js 22.13 or later.`);
    loaded = module;
    return module;
  } finally {
    process.emitWarning = emitWarning;
  }
}
