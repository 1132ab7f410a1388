/** The scope of a run in words, for the first line of output, run summaries and the report page. */
export function scopeText(scope: { managementGroup?: string; subscriptions?: readonly string[] }): string {
  if (scope.subscriptions) return `subscriptions ${scope.subscriptions.join(', ')}`;
  if (scope.managementGroup) return `management group ${scope.managementGroup}`;
  return 'every subscription the identity can read';
}
