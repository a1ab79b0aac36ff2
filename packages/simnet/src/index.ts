export type { GroundTruth, TruthNode } from './ground-truth.ts';
export { readGroundTruth } from './ground-truth-file.ts';
export { type Simnet, startSimnet } from './simnet.ts';
export { DEMO_SPEC, DROPPED_RANGE, type SimnetSpecInput, simnetSpecSchema } from './spec.ts';
