import type { Command } from 'commander';

/**
 * Every command module exports `register(program)`. Heavy modules are imported
 * lazily inside each action so `bitcrawl decode` does not load BullMQ or chdb.
 */
export function registerCommands(_program: Command): void {}
