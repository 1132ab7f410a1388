import { isRestError } from '@azure/core-rest-pipeline';
import { AI_PLAN_NAME, CLOUD_POSTURE_PLAN_NAME } from '../domain/extensions';
import type { CloudPostureTier, ExtensionState, PricingBody, PricingSnapshot } from '../domain/model';
import { ArmRestClient } from './arm-rest';
import type { ArmConnection } from './credential';

/**
 * Microsoft.Security/pricings/AI at subscription scope, api-version 2026-07-01 (the newest stable:
 * it adds the read-only `managedBy` and `originatedFrom` that say another management system owns
 * the plan), or 2024-01-01 where a cloud lacks it (D4AI_PRICINGS_API_VERSION). The published
 * @azure/arm-security (5.0.0, the newest) models api-version 2022-03-01, which has no
 * `extensions` and would silently drop them; so the calls go through the Azure SDK REST pipeline
 * (arm-rest.ts) with our own raw-JSON operation. There is deliberately no delete here: "off" is
 * Free, and a subscription-scope DELETE is not supported by the service anyway.
 */
export interface PricingPort {
  /** Undefined when the service has no AI plan for the subscription (404). */
  get(subscriptionId: string): Promise<PricingSnapshot | undefined>;
  /**
   * The Defender CSPM plan's tier (CloudPosture), undefined when the service has none. Read by the
   * single-subscription path only where it matters: the configuration wants AIModelScanner and
   * the subscription has AI resources (one more GET); a snapshot reads it in the AI plan's query.
   */
  cloudPosture(subscriptionId: string): Promise<CloudPostureTier | undefined>;
  /** PUT the exact body; returns the response (its extensions carry operationStatus), undefined when the body is unusable. */
  put(subscriptionId: string, desired: PricingBody): Promise<PricingSnapshot | undefined>;
}

export const PRICINGS_API_VERSIONS = ['2026-07-01', '2024-01-01'] as const;
export type PricingsApiVersion = (typeof PRICINGS_API_VERSIONS)[number];

export class PricingAdapter implements PricingPort {
  private readonly rest: ArmRestClient;
  /** Without pipeline retries: a PUT is resent only by the write path, from a fresh read. */
  private readonly writer: ArmRestClient;

  constructor(
    connection: ArmConnection,
    private readonly apiVersion: PricingsApiVersion = '2026-07-01',
  ) {
    this.rest = new ArmRestClient(connection);
    this.writer = new ArmRestClient(connection, false);
  }

  async get(subscriptionId: string): Promise<PricingSnapshot | undefined> {
    try {
      const { body } = await this.rest.send({
        method: 'GET',
        path: pricingPath(subscriptionId),
        apiVersion: this.apiVersion,
      });
      return parsePricing(body);
    } catch (error) {
      if (isRestError(error) && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  async cloudPosture(subscriptionId: string): Promise<CloudPostureTier | undefined> {
    try {
      const { body } = await this.rest.send({ method: 'GET', path: pricingPath(subscriptionId, CLOUD_POSTURE_PLAN_NAME), apiVersion: this.apiVersion });
      return parsePricing(body).tier;
    } catch (error) {
      if (isRestError(error) && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  async put(subscriptionId: string, desired: PricingBody): Promise<PricingSnapshot | undefined> {
    let body: unknown;
    try {
      ({ body } = await this.writer.send({
        method: 'PUT',
        path: pricingPath(subscriptionId),
        apiVersion: this.apiVersion,
        body: { properties: desired },
        okStatuses: [200, 201],
      }));
    } catch (error) {
      // A success status whose body is not JSON: the pipeline calls it PARSE_ERROR, but the write went through.
      if (isRestError(error) && error.code === 'PARSE_ERROR' && (error.statusCode === 200 || error.statusCode === 201)) return undefined;
      throw error;
    }
    // A 200/201 whose body we cannot read: the write may well have happened; the caller reads back.
    try {
      return parsePricing(body);
    } catch {
      return undefined;
    }
  }
}

function pricingPath(subscriptionId: string, plan: string = AI_PLAN_NAME): string {
  return `/subscriptions/${encodeURIComponent(subscriptionId)}/providers/Microsoft.Security/pricings/${plan}`;
}

interface PricingWire {
  properties?: {
    managedBy?: unknown;
    originatedFrom?: unknown;
    pricingTier?: unknown;
    subPlan?: unknown;
    extensions?: unknown;
    inherited?: unknown;
    inheritedFrom?: unknown;
    enforce?: unknown;
    enablementTime?: unknown;
    freeTrialRemainingTime?: unknown;
  };
}

interface ExtensionWire {
  name?: unknown;
  isEnabled?: unknown;
  additionalExtensionProperties?: unknown;
  operationStatus?: { code?: unknown; message?: unknown };
}

/** Validates the 2024-01-01 or 2026-07-01 Pricing JSON into a snapshot; throws on a body we cannot trust. */
export function parsePricing(body: unknown): PricingSnapshot {
  const props = (body as PricingWire | undefined)?.properties;
  if (!props || (props.pricingTier !== 'Free' && props.pricingTier !== 'Standard')) {
    throw new Error(`Unexpected pricing response: properties.pricingTier is ${JSON.stringify(props?.pricingTier)}.`);
  }
  const extensions = Array.isArray(props.extensions) ? (props.extensions as ExtensionWire[]).map(parseExtension) : [];
  return {
    tier: props.pricingTier,
    ...(typeof props.subPlan === 'string' && props.subPlan ? { subPlan: props.subPlan } : {}),
    extensions,
    inherited: isTrue(props.inherited),
    ...(typeof props.inheritedFrom === 'string' && props.inheritedFrom ? { inheritedFrom: props.inheritedFrom } : {}),
    enforce: isTrue(props.enforce),
    ...(typeof props.enablementTime === 'string' ? { enablementTime: props.enablementTime } : {}),
    ...(typeof props.freeTrialRemainingTime === 'string' ? { freeTrialRemainingTime: props.freeTrialRemainingTime } : {}),
    ...(typeof props.managedBy === 'string' && props.managedBy.trim() ? { managedBy: props.managedBy.trim() } : {}),
    ...(typeof props.originatedFrom === 'string' && props.originatedFrom.trim() ? { originatedFrom: props.originatedFrom.trim() } : {}),
  };
}

function parseExtension(wire: ExtensionWire): ExtensionState {
  if (typeof wire.name !== 'string') throw new Error('Unexpected pricing response: an extension has no name.');
  const status = wire.operationStatus;
  return {
    name: wire.name,
    enabled: isTrue(wire.isEnabled),
    ...(wire.additionalExtensionProperties && typeof wire.additionalExtensionProperties === 'object'
      ? { additionalExtensionProperties: wire.additionalExtensionProperties as Record<string, unknown> }
      : {}),
    ...(status && typeof status.code === 'string'
      ? { operationStatus: { code: status.code, ...(typeof status.message === 'string' ? { message: status.message } : {}) } }
      : {}),
  };
}

/** The contract uses the strings "True"/"False"; tolerate booleans from other tooling. */
function isTrue(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.toLowerCase() === 'true');
}
