export { main } from './main.ts';
export * from './worker.ts';
