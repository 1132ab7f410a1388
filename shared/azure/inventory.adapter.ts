import { ResourceManagementClient } from '@azure/arm-resources';
import { RestError } from '@azure/core-rest-pipeline';
import { AI_RESOURCE_TYPES, canonicalAiResourceType, resourceTypeOf } from '../ai-resource-types';
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
  /** One resource of an AI type by its exact id (Resources_GetById): undefined when ARM answers 404. */
  getAiResource(id: string): Promise<AiResource | undefined>;
}

/** The api-version a GET by id uses per provider (the versions the SDKs of those providers use). */
export const AI_RESOURCE_GET_API_VERSIONS: Record<string, string> = {
  'microsoft.cognitiveservices': '2025-09-01',
  'microsoft.machinelearningservices': '2024-10-01',
};

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

  async getAiResource(id: string): Promise<AiResource | undefined> {
    const type = canonicalAiResourceType(resourceTypeOf(id) ?? '');
    const subscriptionId = /^\/subscriptions\/([^/]+)\//i.exec(id)?.[1];
    const apiVersion = type ? AI_RESOURCE_GET_API_VERSIONS[type.split('/')[0]?.toLowerCase() ?? ''] : undefined;
    if (!type || !subscriptionId || !apiVersion) return undefined;
    const client = new ResourceManagementClient(this.connection.credential, subscriptionId, sdkClientOptions(this.connection));
    try {
      // The SDK's path template is `/{+resourceId}`: an id with its leading slash would be sent as
      // `//subscriptions/...`, which is not the resource's URL.
      const resource = await client.resources.getById(id.replace(/^\/+/, ''), apiVersion);
      const got = canonicalAiResourceType(resource.type ?? '');
      if (!resource.id || !got) return undefined;
      return { id: resource.id, type: got, ...(resource.kind ? { kind: resource.kind } : {}), ...(resource.location ? { location: resource.location } : {}) };
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw error;
    }
  }
}
