export * from './ingester.ts';
export { main } from './main.ts';
