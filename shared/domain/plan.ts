import type { PricingBody, PricingSnapshot } from './model';

/**
 * What a PUT body changes, extension by extension, against the plan as it was read: the plan a
 * dry run shows and every record keeps (`change`). Pure, so the CLI, the Functions app and a
 * revert describe a change the same way.
 */
export interface PlannedChange {
  /** `unknown`: decided on a snapshot that has no row for the plan yet (the write's fresh read says what it is). */
  tier: { from: 'Free' | 'Standard' | 'none' | 'unknown'; to: 'Free' | 'Standard' };
  /** Switched on by the body. */
  switchOn: string[];
  /** On before and kept on (listed as True). */
  keptOn: string[];
  /** Off before and listed as False. */
  staysOff: string[];
  /** Switched off by the body: only a revert ever does this. */
  switchOff: string[];
  /** Extensions the governor does not know, passed through as the service reported them. */
  passedThrough: string[];
}

export function planChange(current: PricingSnapshot | undefined, body: PricingBody, known: readonly string[]): PlannedChange {
  const wasOn = new Set((current?.tier === 'Standard' ? current.extensions.filter((e) => e.enabled) : []).map((e) => e.name.toLowerCase()));
  const change: PlannedChange = { tier: { from: current?.notIndexed ? 'unknown' : (current?.tier ?? 'none'), to: body.pricingTier }, switchOn: [], keptOn: [], staysOff: [], switchOff: [], passedThrough: [] };
  const isKnown = (name: string): boolean => known.some((k) => k.toLowerCase() === name.toLowerCase());
  for (const e of body.extensions) {
    const before = wasOn.has(e.name.toLowerCase());
    const after = e.isEnabled === 'True' && body.pricingTier === 'Standard';
    if (!isKnown(e.name) && before === after) change.passedThrough.push(e.name);
    else if (after && !before) change.switchOn.push(e.name);
    else if (after) change.keptOn.push(e.name);
    else if (before) change.switchOff.push(e.name);
    else change.staysOff.push(e.name);
  }
  return change;
}

/** True when the body changes anything at all. */
export function isChange(change: PlannedChange): boolean {
  return change.tier.from !== change.tier.to || change.switchOn.length > 0 || change.switchOff.length > 0;
}

/** One line: "Free → Standard +AIPromptEvidence +AIModelScanner (AIPromptSharingWithPurview stays off)". */
export function changeText(change: PlannedChange): string {
  const tier = change.tier.from === change.tier.to ? change.tier.to : `${change.tier.from} → ${change.tier.to}`;
  const moves = [...change.switchOn.map((n) => `+${n}`), ...change.switchOff.map((n) => `-${n}`)];
  const kept = [
    ...(change.keptOn.length ? [`${change.keptOn.join(', ')} kept on`] : []),
    ...(change.staysOff.length ? [`${change.staysOff.join(', ')} stays off`] : []),
    ...(change.passedThrough.length ? [`${change.passedThrough.join(', ')} (unknown) kept as is`] : []),
  ];
  return [tier, ...moves].join(' ') + (kept.length ? ` (${kept.join('; ')})` : '');
}

/** The kinds of change, for a summary's counts: "Free → Standard", "+AIModelScanner", "-AIPromptEvidence". */
export function changeKinds(change: PlannedChange): string[] {
  return [
    ...(change.tier.from !== change.tier.to ? [`${change.tier.from} → ${change.tier.to}`] : []),
    ...change.switchOn.map((n) => `+${n}`),
    ...change.switchOff.map((n) => `-${n}`),
  ];
}
