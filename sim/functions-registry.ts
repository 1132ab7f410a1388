/**
 * Captures what the function modules register, the way the Functions host would see it, so the
 * durable test host (sim/durable-host.ts) can drive the real handlers without a Functions host.
 * Import this module BEFORE any module under functions/: it replaces app.http / eventGrid / timer /
 * generic with recorders (durable-functions registers orchestrations, activities and entities
 * through app.generic, with its own replay wrapper as the handler). Used by the tests and the bench.
 */
import { app, type FunctionInput, type InvocationContext } from '@azure/functions';

export type Kind = 'http' | 'eventGrid' | 'timer' | 'generic';

export interface Registration {
  kind: Kind;
  name: string;
  options: {
    handler: (trigger: unknown, context: InvocationContext) => unknown;
    trigger?: { type: string; [key: string]: unknown };
    extraInputs?: FunctionInput[];
    [key: string]: unknown;
  };
}

export const registered = new Map<string, Registration>();

function recorder(kind: Kind) {
  return (name: string, options: unknown): void => {
    registered.set(name, { kind, name, options: options as Registration['options'] });
  };
}

const target = app as unknown as Record<Kind, (name: string, options: unknown) => void>;
for (const kind of ['http', 'eventGrid', 'timer', 'generic'] as const) target[kind] = recorder(kind);

// The timers read their schedules from the settings when loaded; the host always has storage.
process.env.AzureWebJobsStorage ??= 'UseDevelopmentStorage=true';

export function registration(name: string): Registration {
  const found = registered.get(name);
  if (!found) throw new Error(`No function registered as ${name}; registered: ${[...registered.keys()].join(', ')}`);
  return found;
}

/** Registered durable functions by trigger type: orchestrationTrigger, activityTrigger, entityTrigger. */
export function durableHandlers(type: 'orchestrationTrigger' | 'activityTrigger' | 'entityTrigger'): Map<string, Registration['options']['handler']> {
  const result = new Map<string, Registration['options']['handler']>();
  for (const r of registered.values()) {
    if (r.kind === 'generic' && r.options.trigger?.type === type) result.set(r.name, r.options.handler);
  }
  return result;
}

/** The durable client input a function was registered with (the host passes its data under that name). */
export function clientInputOf(name: string): FunctionInput {
  const input = registration(name).options.extraInputs?.find((i) => i.type === 'durableClient');
  if (!input) throw new Error(`${name} has no durableClient input`);
  return input;
}
