/**
 * Errors grouped by consequence, the one thing a caller decides on:
 * - ConfigError: the configuration or the user's input is wrong; retrying cannot help. The CLI
 *   exits with 2.
 * - InfraError: something bitcrawl relies on failed (Redis, ClickHouse, a proxy, the local
 *   host's resources, a thread). Services retry; where it is final the CLI exits with 1.
 * Peer behaviour is neither: a peer that misbehaves is an Observation's outcome, never thrown
 * past the visit. Every error keeps a stable `code`, which tests and callers assert on.
 */
abstract class BitcrawlError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export abstract class ConfigError extends BitcrawlError {
  readonly consequence = 'config' as const;
}

export abstract class InfraError extends BitcrawlError {
  readonly consequence = 'infra' as const;
}

/** An error as it crosses a thread boundary (a message cannot carry its class). */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
}

export function serializeError(err: unknown): SerializedError {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  return { name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}) };
}

/** An error from another thread, with its name and code kept (callers decide on the code). */
export function reviveError(e: SerializedError): Error {
  const err = new Error(e.message) as Error & { code?: string };
  err.name = e.name;
  if (e.code) err.code = e.code;
  return err;
}
