import { InfraError } from '@bitcrawl/model';

/**
 * One-shot commands (status, query, crawl with --redis) talk to servers the user named. If
 * one is not there, say so in one line instead of retrying forever or printing a stack trace.
 * Long-running services keep retrying instead: a server restart must not kill them.
 */
export class UnreachableError extends InfraError {
  readonly code = 'UNREACHABLE';
}

/** The URL with its password masked, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** Connects once, without retries, and pings; throws UnreachableError naming the server. */
export async function ensureRedisReachable(url: string): Promise<void> {
  const { Redis } = await import('./redis-client.ts');
  const probe = new Redis(url, {
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: 5_000,
  });
  let cause: Error | undefined; // the socket error; connect() itself only says the connection closed
  probe.on('error', (err: Error) => {
    cause ??= err;
  });
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    const why = (cause ?? (err as Error)).message;
    throw new UnreachableError(`cannot reach Redis at ${redactUrl(url)}: ${why}`);
  } finally {
    probe.disconnect();
  }
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'EAI_AGAIN',
]);

/** A socket-level failure (server not there), as Node reports it. */
export function describeConnectionError(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string };
  const cause = (err as { cause?: unknown }).cause;
  if (!e.code || !CONNECTION_CODES.has(e.code)) return cause ? describeConnectionError(cause) : undefined;
  const where = e.address ? `${e.address}${e.port ? `:${e.port}` : ''}` : (e.hostname ?? '');
  return `cannot connect${where ? ` to ${where}` : ''}: ${e.code}`;
}
