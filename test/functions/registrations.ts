/**
 * The tests' view of what the function modules register (sim/functions-registry.ts records it).
 * Import this module BEFORE any module under functions/.
 */
export * from '../../sim/functions-registry';
