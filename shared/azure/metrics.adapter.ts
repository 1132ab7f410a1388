import { MonitorClient } from '@azure/arm-monitor';
import { sdkClientOptions, type ArmConnection } from './credential';
import { boundedPages } from './pipeline-policies';

/**
 * Token volume of an Azure OpenAI / AI Services account from Azure Monitor metrics
 * (@azure/arm-monitor, through ARM with the same credential and bounds). Defender for AI bills by
 * tokens scanned, so token volume, not resource count, is what enabling costs. The metric names
 * are discovered from the account's metric definitions, not assumed: `TokenTransaction` (the
 * total) where the account publishes it, otherwise the sum of its `*Tokens` metrics (e.g.
 * ProcessedPromptTokens + GeneratedTokens).
 */
export interface MetricsPort {
  /** Tokens over [from, to], and the metrics summed; undefined when the account publishes no token metric. */
  tokenVolume(accountId: string, from: Date, to: Date): Promise<{ tokens: number; metrics: string[] } | undefined>;
}

export class MetricsAdapter implements MetricsPort {
  private readonly client: MonitorClient;

  constructor(connection: ArmConnection) {
    this.client = new MonitorClient(connection.credential, sdkClientOptions(connection));
  }

  async tokenVolume(accountId: string, from: Date, to: Date): Promise<{ tokens: number; metrics: string[] } | undefined> {
    // The operations take the resource id without its leading slash ("/{+resourceUri}/providers/...").
    const resourceUri = accountId.replace(/^\//, '');
    const names: string[] = [];
    for await (const definition of boundedPages(this.client.metricDefinitions.list(resourceUri).byPage(), `Metric definitions of ${accountId}`)) {
      const name = definition.name?.value;
      if (name) names.push(name);
    }
    const total = names.find((n) => n.toLowerCase() === 'tokentransaction');
    const chosen = total ? [total] : names.filter((n) => /tokens$/i.test(n));
    if (chosen.length === 0) return undefined;
    const response = await this.client.metrics.list(resourceUri, {
      timespan: `${from.toISOString()}/${to.toISOString()}`,
      interval: 'P1D',
      metricnames: chosen.join(','),
      aggregation: 'Total',
    });
    let tokens = 0;
    for (const metric of response.value) for (const series of metric.timeseries ?? []) for (const point of series.data ?? []) tokens += point.total ?? 0;
    return { tokens, metrics: chosen };
  }
}
