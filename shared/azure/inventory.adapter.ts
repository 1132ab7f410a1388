import { ResourceManagementClient } from '@azure/arm-resources';
import { AI_RESOURCE_TYPES, isAiResource } from '../ai-resource-types';
import type { AiResource } from '../domain/model';
import { sdkClientOptions, type ArmConnection } from './credential';

/**
 * The AI resources of one subscription, from Resources_ListBySubscription with a resourceType
 * filter built from the single AI type list. The filter cannot express kinds, so accounts are
 * narrowed to the AI kinds here.
 */
export interface InventoryPort {
  listAiResources(subscriptionId: string): Promise<AiResource[]>;
}

export const AI_RESOURCE_FILTER = AI_RESOURCE_TYPES.map((t) => `resourceType eq '${t.type}'`).join(' or ');

export class InventoryAdapter implements InventoryPort {
  constructor(private readonly connection: ArmConnection) {}

  async listAiResources(subscriptionId: string): Promise<AiResource[]> {
    const client = new ResourceManagementClient(this.connection.credential, subscriptionId, sdkClientOptions(this.connection));
    const result: AiResource[] = [];
    for await (const resource of client.resources.list({ filter: AI_RESOURCE_FILTER })) {
      if (!resource.id || !resource.type || !isAiResource(resource.type, resource.kind)) continue;
      result.push({
        id: resource.id,
        type: resource.type,
        ...(resource.kind ? { kind: resource.kind } : {}),
        ...(resource.location ? { location: resource.location } : {}),
      });
    }
    return result;
  }
}
