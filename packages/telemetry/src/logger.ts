import { type Logger, pino } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  service: string;
  /** Write to this stream instead of stdout (tests, the one-process `crawl` command). */
  destination?: NodeJS.WritableStream;
}

// pino's levels (any other value made pino throw at start, after config had passed): the knobs' list.
export { LOG_LEVELS, type LogLevel } from '@bitcrawl/config/defaults';

/** One pino logger per process, created in main.ts and passed down. */
export function createLogger(opts: LoggerOptions): Logger {
  const options = { level: opts.level ?? 'info', base: { service: opts.service } };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** A logger that drops everything (tests, library defaults). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
