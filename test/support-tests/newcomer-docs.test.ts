import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildLandingZone } from '../../sim/landing-zone';
import { ArmState } from '../../sim/arm-stand-in/state';

/**
 * Newcomer friction (issue 19): every document that sends a reader to a shell that runs Node gives
 * the same Node 22 advice; the README's figures match the demo; the Node 22 that .ci/node22.sh
 * installs is pinned and integrity-checked; the README runs the CLI from the clone.
 */
const ROOT = path.join(__dirname, '..', '..');
const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), 'utf8');
const docs = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Shell blocks of a Markdown document. */
const shellBlocks = (text: string): string[] => [...text.matchAll(/```(?:bash|sh|console|shell)\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

it.each(docs)('%s: if its shell commands run Node (npm, node, d4ai, azd), it gives the Node 22 advice (source .ci/node22.sh)', (doc) => {
  const text = read(doc);
  const runsNode = shellBlocks(text).some((block) => block.split('\n').some((line) => /^\s*(\$\s+)?(npm|npx|node|d4ai|azd|func)\b/.test(line)));
  if (runsNode) expect(text).toContain('source .ci/node22.sh');
});

it("the README's figures match the demo's landing zone", () => {
  const count = Object.keys(buildLandingZone(new ArmState()).ids).length;
  const readme = read('README.md');
  expect(readme).toContain(`${count} subscriptions`);
  // Counts of the demo's size (not "1,000 subscriptions" of a benchmark) are all the demo's count.
  for (const [, n] of readme.matchAll(/(?<![\d,])\b(\d{1,2}) subscriptions\b/g)) expect(Number(n)).toBe(count);
});

it('.ci/node22.sh installs an exact Node 22 release, integrity-checked from a lockfile, and says what the package is', () => {
  const script = read('.ci/node22.sh');
  expect(script).toMatch(/npm ci --prefix "\$\{_d4ai_tool\}"/);
  expect(script).not.toMatch(/npm install[^\n]*node-linux/);
  expect(script).toMatch(/official Node\.js binary/);
  const manifest = JSON.parse(read('.ci/node22/package.json')) as { optionalDependencies: Record<string, string> };
  const lock = JSON.parse(read('.ci/node22/package-lock.json')) as { packages: Record<string, { version?: string; integrity?: string; cpu?: string }> };
  const versions = new Set<string>();
  for (const arch of ['x64', 'arm64']) {
    const name = `node-linux-${arch}`;
    const pinned = manifest.optionalDependencies[name] ?? '';
    expect(pinned).toMatch(/^22\.\d+\.\d+$/); // an exact release, no range
    const locked = lock.packages[`node_modules/${name}`];
    expect(locked).toMatchObject({ version: pinned, cpu: arch });
    expect(locked?.integrity).toMatch(/^sha512-[A-Za-z0-9+/]+=*$/);
    versions.add(pinned);
  }
  expect(versions.size).toBe(1);
});

it("the README's commands run the CLI from the clone, never through npx", () => {
  const readme = read('README.md');
  for (const block of shellBlocks(readme)) expect(block).not.toMatch(/\bnpx\s+d4ai\b/);
  expect(readme).toMatch(/node bin\/d4ai\.js/);
  expect(readme).toMatch(/npm link/);
});
