import type { Command } from 'commander';
import type { CliEntry } from '../main.ts';
import * as crawl from './crawl.ts';
import * as decode from './decode.ts';
import * as exportCmd from './export.ts';
import * as geoBackfill from './geo-backfill.ts';
import * as query from './query.ts';
import * as report from './report.ts';
import * as services from './services.ts';
import * as simnet from './simnet.ts';
import * as stack from './stack.ts';
import * as status from './status.ts';
import * as visit from './visit.ts';

/**
 * Every command module exports `register(program)`. Heavy modules are imported
 * lazily inside each action so `bitcrawl decode` does not load BullMQ or chdb.
 */
export function registerCommands(program: Command, entry: CliEntry = {}): void {
  decode.register(program);
  crawl.register(program, entry);
  visit.register(program);
  simnet.register(program);
  services.register(program, entry);
  query.register(program);
  report.register(program);
  geoBackfill.register(program);
  exportCmd.register(program);
  status.register(program);
  stack.register(program, entry);
}
