export * from './errors.ts';
export * from './observation.ts';
