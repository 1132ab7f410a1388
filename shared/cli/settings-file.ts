import * as fs from 'node:fs';
import { UsageError } from './usage-error';

/**
 * `--settings FILE`: the deployed app's settings on a laptop, so a CLI run decides exactly as the
 * app does (exclusions, opt-out tag, mode, assignment id, components, ...). Two shapes are read:
 *  - a Functions `local.settings.json`: `{"IsEncrypted": false, "Values": {"D4AI_MODE": "report", ...}}`;
 *  - what `az functionapp config appsettings list` prints: `[{"name": "D4AI_MODE", "value": "report", "slotSetting": false}, ...]`.
 * Only the governor's own settings (D4AI_*) are taken: the host's storage, telemetry and runtime
 * settings belong to the deployed app, not to a laptop run. A Key Vault reference cannot be
 * resolved here and is refused, naming the setting.
 */
const MAX_SETTINGS_FILE_BYTES = 1024 * 1024;

export function readSettingsFile(file: string): Record<string, string> {
  let text: string;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_SETTINGS_FILE_BYTES) throw new UsageError(`--settings ${file} is ${size} bytes; a settings file is far smaller (at most 1 MB is read).`);
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--settings: cannot read ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    throw new UsageError(`--settings ${file} is not JSON: expected local.settings.json ({"Values": {...}}) or the output of az functionapp config appsettings list.`);
  }
  return governorSettings(pairsOf(json, file), file);
}

function pairsOf(json: unknown, file: string): Array<[string, unknown]> {
  if (Array.isArray(json)) {
    return json.map((item, i) => {
      const entry = item as { name?: unknown; value?: unknown } | null;
      if (!entry || typeof entry.name !== 'string') throw new UsageError(`--settings ${file}: item ${i} has no "name"; expected az functionapp config appsettings list output.`);
      return [entry.name, entry.value];
    });
  }
  const values = (json as { Values?: unknown } | null)?.Values;
  if (values && typeof values === 'object' && !Array.isArray(values)) return Object.entries(values as Record<string, unknown>);
  throw new UsageError(`--settings ${file}: expected local.settings.json ({"Values": {...}}) or the output of az functionapp config appsettings list ([{"name", "value"}]).`);
}

function governorSettings(pairs: Array<[string, unknown]>, file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of pairs) {
    if (!/^D4AI_/i.test(name)) continue;
    if (value === null || value === undefined) continue;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw new UsageError(`--settings ${file}: ${name} is not a string.`);
    const text = String(value);
    if (/^@Microsoft\.KeyVault\(/i.test(text.trim())) {
      throw new UsageError(`--settings ${file}: ${name} is a Key Vault reference, which only the Functions host resolves; set ${name} in the environment instead.`);
    }
    out[name] = text;
  }
  return out;
}
