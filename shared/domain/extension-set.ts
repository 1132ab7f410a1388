import { AI_EXTENSIONS } from './extensions';

/**
 * The one place extensions are compared. Extension names are case-insensitive on the wire (the
 * service echoes `aipromptevidence` as readily as `AIPromptEvidence`), and a plan may carry
 * extensions the governor does not know yet: they are kept, never dropped, so a PUT that lists
 * every extension cannot switch off one we have never heard of. Every comparison of extension
 * names (missing components, a plan's change, a read-back, a revert, a stale plan, the back-off)
 * goes through this type, so no two places can disagree about what "the same extension" means.
 */
export interface ExtensionEntry {
  name: string;
  enabled: boolean;
  /** Opaque per-extension settings (e.g. ExclusionTags): carried through unchanged. */
  additionalExtensionProperties?: Record<string, unknown>;
}

export class ExtensionSet {
  private readonly byKey: ReadonlyMap<string, ExtensionEntry>;

  private constructor(entries: Iterable<ExtensionEntry>) {
    const map = new Map<string, ExtensionEntry>();
    // The first spelling seen wins: the service's own, when the set comes from a read.
    for (const e of entries) if (!map.has(key(e.name))) map.set(key(e.name), e);
    this.byKey = map;
  }

  static of(entries: Iterable<ExtensionEntry>): ExtensionSet {
    return new ExtensionSet(entries);
  }

  /** Names only, all counted as on: for membership tests of a list of names. */
  static names(names: Iterable<string>): ExtensionSet {
    return new ExtensionSet([...names].map((name) => ({ name, enabled: true })));
  }

  /**
   * What is in effect on a plan: a Free plan protects nothing, whatever its extensions say, so
   * with `effective` every extension of a non-Standard plan counts as off.
   */
  static ofPlan(plan: { tier: string; extensions: readonly ExtensionEntry[] } | undefined, effective = true): ExtensionSet {
    if (!plan) return new ExtensionSet([]);
    const standard = plan.tier === 'Standard';
    return new ExtensionSet(plan.extensions.map((e) => ({ ...e, enabled: e.enabled && (standard || !effective) })));
  }

  /** A PUT body's extensions (`isEnabled: 'True' | 'False'`). */
  static ofBody(body: { pricingTier: string; extensions: ReadonlyArray<{ name: string; isEnabled: string; additionalExtensionProperties?: Record<string, unknown> }> }): ExtensionSet {
    return new ExtensionSet(body.extensions.map((e) => ({ name: e.name, enabled: e.isEnabled === 'True' && body.pricingTier === 'Standard', ...(e.additionalExtensionProperties ? { additionalExtensionProperties: e.additionalExtensionProperties } : {}) })));
  }

  /** A stored summary (`{name: enabled}`), on only on a Standard plan. */
  static ofSummary(summary: { tier: string; extensions: Readonly<Record<string, boolean>> } | undefined): ExtensionSet {
    if (!summary) return new ExtensionSet([]);
    return new ExtensionSet(Object.entries(summary.extensions).map(([name, enabled]) => ({ name, enabled: enabled && summary.tier === 'Standard' })));
  }

  /** The name as known here (the service's spelling), else as the governor spells it, else as given. */
  canonical(name: string): string {
    return this.byKey.get(key(name))?.name ?? knownName(name) ?? name;
  }

  get(name: string): ExtensionEntry | undefined {
    return this.byKey.get(key(name));
  }

  has(name: string): boolean {
    return this.byKey.has(key(name));
  }

  isOn(name: string): boolean {
    return this.byKey.get(key(name))?.enabled === true;
  }

  /** Every name, in first-seen order. */
  names(): string[] {
    return [...this.byKey.values()].map((e) => e.name);
  }

  /** The names that are on. */
  on(): string[] {
    return [...this.byKey.values()].filter((e) => e.enabled).map((e) => e.name);
  }

  /** Of `wanted`, those not on here (kept in `wanted`'s order and spelling). */
  missing<T extends string>(wanted: readonly T[]): T[] {
    return wanted.filter((w) => !this.isOn(w));
  }

  /** Whether every name of `names` is in this set (on or off). */
  includesAll(names: Iterable<string>): boolean {
    for (const n of names) if (!this.has(n)) return false;
    return true;
  }

  /** On here, off (or absent) in `later`. */
  switchedOffIn(later: ExtensionSet): string[] {
    return this.on().filter((n) => !later.isOn(n));
  }

  /** Names whose on/off state differs between the two sets (absent counts as off), as "X is on, was off". */
  differencesFrom(earlier: ExtensionSet, words: { now: string; then: string } = { now: 'is', then: 'was' }): string[] {
    const names = new Map<string, string>();
    for (const n of [...earlier.names(), ...this.names()]) if (!names.has(key(n))) names.set(key(n), n);
    const out: string[] = [];
    for (const name of names.values()) {
      const a = this.isOn(name);
      const b = earlier.isOn(name);
      if (a !== b) out.push(`${name} ${words.now} ${a ? 'on' : 'off'}, ${words.then} ${b ? 'on' : 'off'}`);
    }
    return out;
  }
}

/** Whether the governor knows the extension (one of the three the AI plan accepts). */
export function isKnownExtension(name: string): boolean {
  return knownName(name) !== undefined;
}

function knownName(name: string): string | undefined {
  return AI_EXTENSIONS.find((k) => key(k) === key(name));
}

function key(name: string): string {
  return name.toLowerCase();
}
