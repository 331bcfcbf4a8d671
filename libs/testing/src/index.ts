export * from './lib/eventually';
export * from './lib/fixed-port';
export * from './lib/make-event';
export * from './lib/malformed-fuzzer';
export { SIMULATED_CATEGORIES } from './lib/marketplace-catalog';
export * from './lib/marketplace-simulator';
export * from './lib/run-simulator';
export * from './lib/seeded-random';
export * from './lib/simulated-item';
