import net from 'node:net';
import type { Outcome } from '@bitcrawl/model';
import { SocksClient } from 'socks';

/** Why a connection attempt failed, already in the Observation's outcome vocabulary. */
export class DialError extends Error {
  override readonly name = 'DialError';
  constructor(
    readonly code: Extract<Outcome, 'refused' | 'connect_timeout' | 'unreachable' | 'closed' | 'proxy_error'>,
    message: string,
  ) {
    super(message);
  }
}

export interface DialTarget {
  /** IP literal, or a name only the proxy can resolve (.onion, .b32.i2p). */
  host: string;
  port: number;
}

export type Route = { kind: 'direct' } | { kind: 'socks5'; host: string; port: number };

const SYSCALL_OUTCOME: Record<string, DialError['code']> = {
  ECONNREFUSED: 'refused',
  ETIMEDOUT: 'connect_timeout',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  ECONNRESET: 'closed',
  EPIPE: 'closed',
};

/** SOCKS5 reply codes (RFC 1928 §6) as the socks package names them. */
const SOCKS_REPLY_OUTCOME: Record<string, DialError['code']> = {
  NetworkUnreachable: 'unreachable',
  HostUnreachable: 'unreachable',
  ConnectionRefused: 'refused',
  TTLExpired: 'connect_timeout',
};

/** Opens a TCP connection, directly or through a SOCKS5 proxy, within `timeoutMs`. */
export function dial(
  target: DialTarget,
  route: Route,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<net.Socket> {
  return route.kind === 'direct'
    ? dialDirect(target, timeoutMs, signal)
    : dialSocks(target, route, timeoutMs);
}

function dialDirect(target: DialTarget, timeoutMs: number, signal?: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: target.host, port: target.port, noDelay: true });
    const fail = (err: DialError) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(err);
    };
    const onAbort = () => fail(new DialError('connect_timeout', 'aborted'));
    const timer = setTimeout(
      () => fail(new DialError('connect_timeout', `no connection within ${timeoutMs} ms`)),
      timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      fail(
        new DialError(
          SYSCALL_OUTCOME[err.code ?? ''] ?? 'unreachable',
          `${err.code ?? 'error'}: ${err.message}`,
        ),
      );
    });
  });
}

async function dialSocks(
  target: DialTarget,
  proxy: { host: string; port: number },
  timeoutMs: number,
): Promise<net.Socket> {
  try {
    const { socket } = await SocksClient.createConnection({
      proxy: { host: proxy.host, port: proxy.port, type: 5 },
      command: 'connect',
      destination: { host: target.host, port: target.port },
      timeout: timeoutMs,
    });
    socket.setNoDelay(true);
    return socket;
  } catch (err) {
    throw socksError(err as Error & { code?: string });
  }
}

export function socksError(err: Error & { code?: string }): DialError {
  const msg = err.message ?? String(err);
  const reply = /- (\w+)$/.exec(msg)?.[1];
  if (reply && SOCKS_REPLY_OUTCOME[reply])
    return new DialError(SOCKS_REPLY_OUTCOME[reply], `proxy: ${reply}`);
  if (/timed out/i.test(msg)) return new DialError('connect_timeout', `proxy: ${msg}`);
  return new DialError('proxy_error', `proxy: ${msg}`);
}

/** Parses socks5://host:port (also socks5h://). */
export function parseProxyUrl(url: string): { host: string; port: number } {
  const u = new URL(url);
  if (u.protocol !== 'socks5:' && u.protocol !== 'socks5h:') throw new Error(`not a socks5:// URL: ${url}`);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return { host, port: Number(u.port || 1080) };
}
