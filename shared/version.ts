import * as fs from 'node:fs';
import * as path from 'node:path';

/** The package version, stamped on every record so an audit can tell which code decided. */
function readVersion(): string {
  // Works from both the TypeScript sources (shared/) and the compiled output (dist/shared/).
  for (const candidate of [path.join(__dirname, '..', 'package.json'), path.join(__dirname, '..', '..', 'package.json')]) {
    if (fs.existsSync(candidate)) {
      const pkg = JSON.parse(fs.readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'defender-ai-governor' && pkg.version) return pkg.version;
    }
  }
  return '0.0.0-unknown';
}

export const VERSION = readVersion();
