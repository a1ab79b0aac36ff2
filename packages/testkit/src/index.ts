// The launcher lives in @bitcrawl/servers (runtime code uses it from there); tests get it here.
export * from '@bitcrawl/servers';
export { loopbackTimerEnv, loopbackTimerFlags } from './loopback-timers.ts';
export { budget, CLI_BIN, cliBudget } from './time-budget.ts';
