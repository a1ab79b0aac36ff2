export * from './generate.ts';
export * from './ground-truth.ts';
export * from './ground-truth-file.ts';
export * from './simnet.ts';
export * from './spec.ts';
