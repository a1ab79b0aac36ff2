export * from './geo.ts';
export * from './ingester.ts';
export { ingesterEnvSchema, main } from './main.ts';
