import type { ExemptionView, PolicyAssignmentView } from '../domain/model';

/**
 * Policy assignments and exemptions in the JSON both ARM and Resource Graph use (`id` plus the
 * resource's `properties`), validated into the domain's shapes. Anything without the fields a
 * decision needs is dropped rather than guessed.
 */

export function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

type Row = Record<string, unknown>;

export function toAssignment(row: Row): PolicyAssignmentView | undefined {
  const id = text(row.id);
  const properties = record(row.properties);
  const policyDefinitionId = text(properties.policyDefinitionId);
  if (!id || !policyDefinitionId) return undefined;
  const parameters: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record(properties.parameters))) parameters[name] = record(value).value;
  return {
    id,
    ...(text(properties.displayName) ? { displayName: text(properties.displayName) as string } : {}),
    policyDefinitionId,
    ...(text(properties.enforcementMode) ? { enforcementMode: text(properties.enforcementMode) as string } : {}),
    ...(text(properties.definitionVersion) ? { definitionVersion: text(properties.definitionVersion) as string } : {}),
    ...(text(properties.effectiveDefinitionVersion) ? { effectiveDefinitionVersion: text(properties.effectiveDefinitionVersion) as string } : {}),
    parameters,
    scope: text(properties.scope) ?? id.slice(0, Math.max(0, id.toLowerCase().lastIndexOf('/providers/microsoft.authorization/'))),
    notScopes: Array.isArray(properties.notScopes) ? (properties.notScopes as unknown[]).map(text).filter((n): n is string => n !== undefined) : [],
  };
}

export function toExemption(row: Row): ExemptionView | undefined {
  const id = text(row.id);
  const properties = record(row.properties);
  const policyAssignmentId = text(properties.policyAssignmentId);
  if (!id || !policyAssignmentId) return undefined;
  return {
    id,
    policyAssignmentId,
    category: text(properties.exemptionCategory) ?? 'Waiver',
    ...(text(properties.expiresOn) ? { expiresOn: text(properties.expiresOn) as string } : {}),
    ...(text(properties.displayName) ? { displayName: text(properties.displayName) as string } : {}),
  };
}
