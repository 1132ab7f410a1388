/**
 * The Functions app entry point (package.json "main": dist/functions/index.js). Each module
 * registers its own functions at the bottom of its file; importing it is all that is needed.
 * Telemetry starts first, so its instrumentation is in place before `@azure/functions` loads.
 */
import { startTelemetry } from './telemetry';

startTelemetry();

import { boundHeapGrowth } from '../shared/heap-growth';

// The worker's peak memory follows what a sweep keeps, not how many subscriptions it runs through (shared/heap-growth.ts).
boundHeapGrowth();

import './on-azure-event';
import './nightly-sweep';
import './tenant-watch';
import './admin-api';
import './govern-subscription.orchestrator';
import './sweep-tenant.orchestrator';
import './apply-plan.orchestrator';
import './govern.activities';
import './sweep.activities';
import './subscription-lock.entity';
