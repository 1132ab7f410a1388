/**
 * Modules loaded the first time a command needs them, not when the CLI starts. Loading the Azure
 * SDK (identity, the pipeline, the ARM clients, Table Storage) takes about half a second of
 * `require` on a laptop; the history commands (`records`, `runs`, `lease`, `config`) read only the
 * local store and must answer within 200 ms (issue 16's budget, measured by `npm run bench`). So
 * cli/main.ts loads each command's module, and cli/context.ts the adapters, the credential and the
 * store, through here: a synchronous `require` (the build is CommonJS) run once, typed with the
 * module's own types (`typeof import(...)`).
 */
export function lazily<T>(load: () => T): () => T {
  let loaded: { value: T } | undefined;
  return () => (loaded ??= { value: load() }).value;
}

/**
 * `target` with the fields `names` added as getters that read through to `make()`'s, so `make`
 * runs the first time one of them is read, not when the object is built. Returns `target`, typed
 * with the added fields.
 */
export function deferFields<T extends object, S extends object, K extends keyof S>(target: T, make: () => S, names: readonly K[]): T & Pick<S, K> {
  for (const name of names) Object.defineProperty(target, name, { get: () => make()[name], enumerable: true, configurable: true });
  return target as T & Pick<S, K>;
}
