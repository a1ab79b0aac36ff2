import { z } from 'zod';
import { CRAWL_ID_PATTERN } from './defaults.ts';
import { bool, decimal, int, list, oneOf, text } from './knob.ts';

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
  format: oneOf(['table', 'json', 'csv'], {
    flag: '--format <fmt>',
    help: 'output: table, json or csv',
    default: 'table',
    uses: { query: {}, report: {} },
  }),
  round: text({
    flag: '--round <id>',
    help: 'the round to report or export (default: the newest)',
    schema: z.string().regex(CRAWL_ID_PATTERN, "bad round id (letters, digits, '.', '_', '-')"),
    uses: { report: {}, export: {} },
    conflicts: ['rounds', 'allRounds'],
  }),
  rounds: int({
    flag: '--rounds <n>',
    help: 'the newest N rounds (default: the newest one)',
    min: 1,
    max: 1000,
    uses: { report: {} },
    conflicts: 'allRounds',
  }),
  allRounds: bool({
    flag: '--all-rounds',
    help: 'every round in the store',
    default: false,
    uses: { report: {} },
  }),
  defaultPort: int({
    flag: '--default-port <port>',
    help: "the network's default port for `good` (default: the round's most common)",
    min: 0,
    max: 65_535,
    uses: { export: {} },
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
  json: bool({
    flag: '--json',
    help: 'one JSON object per sample',
    default: false,
    uses: { status: {} },
  }),
  watch: bool({
    flag: '--watch',
    help: 'refresh until interrupted',
    default: false,
    uses: { status: {} },
  }),
  // At most an hour: beyond 2^31 ms a timer fires at once, which made a huge value a busy loop.
  interval: decimal({
    flag: '--interval <seconds>',
    help: 'refresh interval with --watch, in seconds',
    min: 0.1,
    max: 3600,
    default: 2,
    unit: 'seconds',
    uses: { status: {} },
  }),
  nodes: int({
    flag: '--nodes <n>',
    help: "number of IPv4 nodes (default: the spec's, or the demo's without --spec)",
    min: 1,
    max: 20_000,
    uses: { simnet: {} },
  }),
  // mulberry32 takes the seed modulo 2^32: these are all the networks there are.
  simnetSeed: int({
    flag: '--seed <n>',
    help: 'PRNG seed (same spec and seed, same network)',
    min: 0,
    max: 4_294_967_295,
    uses: { simnet: {} },
  }),
  spec: text({
    flag: '--spec <file>',
    help: 'JSON spec (see packages/simnet/src/spec.ts)',
    uses: { simnet: {} },
  }),
  groundTruth: text({
    flag: '--ground-truth <file>',
    help: 'where to write the ground truth (default: a new file under the temp dir)',
    uses: { simnet: {} },
  }),
  // The simnet's durationMs: at most a day.
  duration: decimal({
    flag: '--duration <seconds>',
    help: 'stop after this long, in seconds',
    min: 0.001,
    max: 86_400,
    default: 600,
    unit: 'seconds',
    uses: { simnet: {} },
  }),
} as const;
