import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Temporary folders for one test file, removed after its tests: `npm test` fails a run that leaves
 * anything in its TMPDIR (test/support/jest-with-test-ca.js). Call it at the top level of the file,
 * where it registers an afterAll; afterAll hooks run in the order they are declared, so call it
 * after the hook that closes what works in the folders (a store, a process).
 */
export function useTempDirs(): (label: string) => string {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
  return (label) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `d4ai-${label}-`));
    made.push(dir);
    return dir;
  };
}
