export * from './observation.ts';
