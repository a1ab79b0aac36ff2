import { z } from 'zod';
import { bool, int, list, oneOf, text } from './knob.ts';

/**
 * Timer presets. `internet` is the built-in defaults (made for real peers, Tor and I2P);
 * `loopback` suits simnets and labs, where every peer is local: a dead address refuses at once
 * and a node that knows too few addresses to answer getaddr need not be waited for 75 s.
 * Keys are the timer knobs'.
 */
export const PROFILES = {
  internet: {},
  loopback: { connectMs: 1_500, handshakeMs: 2_500, getaddrMs: 3_000, idleAfterAnswerMs: 500 },
} as const satisfies Record<string, Partial<Record<string, number>>>;
export type ProfileName = keyof typeof PROFILES;

/** Knobs only the CLI's commands have (flags, no variables). */
export const COMMAND_KNOBS = {
  once: bool({
    flag: '--once',
    help: 'finish one round, flush it to storage and stop (crawl: print a summary)',
    default: false,
    uses: { crawl: {}, stack: {} },
  }),
  profile: oneOf(Object.keys(PROFILES) as ['internet', 'loopback'], {
    flag: '--profile <name>',
    help: 'timer preset: internet (defaults) or loopback (simnets, labs); a timer flag or variable beats it',
    uses: { crawl: {}, visit: {}, stack: {} },
  }),
  workers: int({
    flag: '--workers <n>',
    help: 'worker processes',
    min: 1,
    max: 64,
    default: 2,
    uses: { stack: {} },
  }),
  data: text({
    flag: '--data <dir>',
    help: "clickhouse-server's data folder, kept when the stack stops",
    default: 'data/clickhouse',
    uses: { stack: {} },
    conflicts: 'storeDir',
  }),
  hex: bool({
    flag: '--hex',
    help: 'stdin is hex text (whitespace ignored)',
    default: false,
    uses: { decode: {} },
  }),
  all: bool({
    flag: '--all',
    help: 'look up every visited address again, not only those without a node_geo row',
    default: false,
    uses: { 'geo-backfill': {} },
  }),
  env: list({
    flag: '--env <KEY=VALUE>',
    help: 'extra environment for every service (repeatable)',
    default: [],
    item: z.string().regex(/^[A-Z_][A-Z0-9_]*=.*$/, 'use KEY=VALUE'),
    uses: { stack: {} },
  }),
} as const;
