/** The ARM stand-in: an HTTPS Azure Resource Manager look-alike for tests and `npm run demo`. */
export { startArmStandIn, type ArmClientOptions, type ArmStandIn, type ArmStandInOptions } from './server';
export { ArmState, type NewExemption, type NewPolicyAssignment, type NewResource, type NewSubscription } from './state';
export { FaultInjector, type FaultMatch } from './faults';
export { API_VERSIONS } from './api-versions';
export { AI_PLAN, AI_PLAN_EXTENSIONS, PLAN_CATALOGUE, type PlanInfo } from './plans';
export type * from './types';
