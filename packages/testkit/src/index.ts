// The launcher lives in @bitcrawl/servers (runtime code uses it from there); tests get it here.
export * from '@bitcrawl/servers';
export * from './loopback-timers.ts';
export * from './time-budget.ts';
