import { ResourceManagementClient } from '@azure/arm-resources';
import { AI_RESOURCE_TYPES, canonicalAiResourceType } from '../ai-resource-types';
import type { AiResource } from '../domain/model';
import { sdkClientOptions, type ArmConnection } from './credential';
import { boundedPages } from './pipeline-policies';

/**
 * The resources of the AI types in one subscription, from Resources_ListBySubscription with a
 * resourceType filter built from the single AI type list. The filter cannot express kinds, so every
 * account comes back with its kind and the engine decides which ones count (a Speech account is
 * listed, and thereby known not to be an AI workload).
 */
export interface InventoryPort {
  listAiTypedResources(subscriptionId: string): Promise<AiResource[]>;
}

export const AI_RESOURCE_FILTER = AI_RESOURCE_TYPES.map((t) => `resourceType eq '${t.type}'`).join(' or ');

export class InventoryAdapter implements InventoryPort {
  constructor(private readonly connection: ArmConnection) {}

  async listAiTypedResources(subscriptionId: string): Promise<AiResource[]> {
    const client = new ResourceManagementClient(this.connection.credential, subscriptionId, sdkClientOptions(this.connection));
    const result: AiResource[] = [];
    for await (const resource of boundedPages(client.resources.list({ filter: AI_RESOURCE_FILTER }).byPage(), `Resources of ${subscriptionId}`)) {
      const type = canonicalAiResourceType(resource.type ?? '');
      if (!resource.id || !type) continue;
      result.push({
        id: resource.id,
        type,
        ...(resource.kind ? { kind: resource.kind } : {}),
        ...(resource.location ? { location: resource.location } : {}),
      });
    }
    return result;
  }
}
