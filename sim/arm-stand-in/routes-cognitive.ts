/**
 * Microsoft.CognitiveServices account children the governor reads (2025-09-01, what
 * @azure/arm-cognitiveservices 8 sends), per the public examples in ../shared/contracts/cognitiveservices:
 * defenderForAISettings (GET one, GET list), deployments (list: `raiPolicyName` names the content
 * filter) and raiPolicies (list: `contentFilters[]` with name, enabled, blocking, source).
 * And Microsoft.Insights metric definitions and metrics of an account (2024-02-01, what
 * @azure/arm-monitor 8 sends), enough for a token count: each metric's total over the timespan.
 */
import { API_VERSIONS } from './api-versions';
import { ArmError, page, type ArmRequest, type Route, type RouteContext } from './http';
import type { AccountDetails, ResourceRecord } from './types';

const ACCOUNT = String.raw`^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.CognitiveServices\/accounts\/([^/]+)`;

function accountOf(req: ArmRequest, ctx: RouteContext): { resource: ResourceRecord; details: AccountDetails } {
  const [sub = '', rg = '', name = ''] = req.params;
  const resource = (ctx.state.resources.get(sub.toLowerCase()) ?? []).find(
    (r) => r.type.toLowerCase() === 'microsoft.cognitiveservices/accounts' && r.name.toLowerCase() === name.toLowerCase() && r.id.toLowerCase().includes(`/resourcegroups/${rg.toLowerCase()}/`),
  );
  if (!resource) throw new ArmError(404, 'ResourceNotFound', `The Resource 'Microsoft.CognitiveServices/accounts/${name}' under resource group '${rg}' was not found.`);
  return { resource, details: ctx.state.accounts.get(resource.id.toLowerCase()) ?? { deployments: [], raiPolicies: [], metrics: {} } };
}

function setting(resource: ResourceRecord, details: AccountDetails) {
  return {
    id: `${resource.id}/defenderForAISettings/Default`,
    name: 'Default',
    type: 'Microsoft.CognitiveServices/accounts/defenderForAISettings',
    properties: { state: details.defenderForAI ?? 'Enabled' },
  };
}

export const cognitiveRoutes: Route[] = [
  {
    method: 'GET',
    pattern: new RegExp(`${ACCOUNT}\\/defenderForAISettings$`, 'i'),
    apiVersions: API_VERSIONS.cognitiveServices,
    subscriptionScoped: true,
    handle: (req, ctx) => {
      const { resource, details } = accountOf(req, ctx);
      return { status: 200, body: { value: details.defenderForAI ? [setting(resource, details)] : [] } };
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`${ACCOUNT}\\/defenderForAISettings\\/([^/]+)$`, 'i'),
    apiVersions: API_VERSIONS.cognitiveServices,
    subscriptionScoped: true,
    handle: (req, ctx) => {
      const { resource, details } = accountOf(req, ctx);
      if ((req.params[3] ?? '').toLowerCase() !== 'default') throw new ArmError(404, 'NotFound', `defenderForAISettings '${req.params[3] ?? ''}' not found; the only setting is Default.`);
      // Never written: the service answers with the default (Enabled), as the examples show.
      return { status: 200, body: setting(resource, details) };
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`${ACCOUNT}\\/deployments$`, 'i'),
    apiVersions: API_VERSIONS.cognitiveServices,
    subscriptionScoped: true,
    handle: (req, ctx) => {
      const { resource, details } = accountOf(req, ctx);
      const value = details.deployments.map((d) => ({
        id: `${resource.id}/deployments/${d.name}`,
        name: d.name,
        type: 'Microsoft.CognitiveServices/accounts/deployments',
        sku: { name: 'Standard', capacity: 1 },
        properties: { model: d.model ?? { format: 'OpenAI', name: 'gpt-4o', version: '2024-11-20' }, provisioningState: 'Succeeded', ...(d.raiPolicyName ? { raiPolicyName: d.raiPolicyName } : {}) },
      }));
      return { status: 200, body: page(value, req, ctx) };
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`${ACCOUNT}\\/raiPolicies$`, 'i'),
    apiVersions: API_VERSIONS.cognitiveServices,
    subscriptionScoped: true,
    handle: (req, ctx) => {
      const { resource, details } = accountOf(req, ctx);
      const value = details.raiPolicies.map((p) => ({
        id: `${resource.id}/raiPolicies/${p.name}`,
        name: p.name,
        type: 'Microsoft.CognitiveServices/accounts/raiPolicies',
        properties: { basePolicyName: p.basePolicyName ?? 'Microsoft.Default', mode: 'Default', contentFilters: structuredClone(p.contentFilters) },
      }));
      return { status: 200, body: page(value, req, ctx) };
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`${ACCOUNT}\\/providers\\/Microsoft\\.Insights\\/metricDefinitions$`, 'i'),
    apiVersions: API_VERSIONS.monitor,
    subscriptionScoped: true,
    handle: (req, ctx) => {
      const { resource, details } = accountOf(req, ctx);
      const value = Object.keys(details.metrics).map((name) => ({
        id: `${resource.id}/providers/microsoft.insights/metricdefinitions/${name}`,
        resourceId: resource.id,
        namespace: 'Microsoft.CognitiveServices/accounts',
        name: { value: name, localizedValue: name },
        unit: 'Count',
        primaryAggregationType: 'Total',
        supportedAggregationTypes: ['Total'],
        metricAvailabilities: [{ timeGrain: 'PT1H', retention: 'P93D' }],
      }));
      return { status: 200, body: { value } };
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`${ACCOUNT}\\/providers\\/Microsoft\\.Insights\\/metrics$`, 'i'),
    apiVersions: API_VERSIONS.monitor,
    subscriptionScoped: true,
    handle: (req, ctx) => {
      const { resource, details } = accountOf(req, ctx);
      const names = (req.query.metricnames ?? '').split(',').map((n) => n.trim()).filter(Boolean);
      const unknown = names.find((n) => details.metrics[n] === undefined);
      if (unknown) throw new ArmError(400, 'BadRequest', `Failed to find metric configuration for provider: Microsoft.CognitiveServices, resource Type: accounts, metric: ${unknown}.`);
      const timespan = req.query.timespan ?? '';
      const value = names.map((name) => ({
        id: `${resource.id}/providers/Microsoft.Insights/metrics/${name}`,
        type: 'Microsoft.Insights/metrics',
        name: { value: name, localizedValue: name },
        unit: 'Count',
        timeseries: [{ metadatavalues: [], data: [{ timeStamp: new Date().toISOString(), total: details.metrics[name] ?? 0 }] }],
        errorCode: 'Success',
      }));
      return { status: 200, body: { cost: 0, timespan, interval: req.query.interval ?? 'P1D', namespace: 'Microsoft.CognitiveServices/accounts', resourceregion: resource.location, value } };
    },
  },
];
