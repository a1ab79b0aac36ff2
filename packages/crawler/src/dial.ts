import net from 'node:net';
import { ConfigError, InfraError, type Outcome } from '@bitcrawl/model';
import { SocksClient } from 'socks';
import { dialPacer } from './dial-pace.ts';

/**
 * Why a connection attempt failed, already in the Observation's outcome vocabulary. An
 * outcome, not a fault: made without a stack trace, whose capture cost 1.4 s of CPU in a round
 * where 44,000 of 60,000 addresses are dead (and would only ever name this file).
 */
export class DialError extends Error {
  override readonly name = 'DialError';
  constructor(
    readonly code: Extract<Outcome, 'refused' | 'connect_timeout' | 'unreachable' | 'closed' | 'proxy_error'>,
    message: string,
  ) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}

/**
 * The crawler's side failed, not the peer: its own resources ran out (EMFILE, ENFILE, ENOBUFS,
 * ENOMEM, EADDRNOTAVAIL: no descriptors, buffers or local ports left), or the SOCKS proxy
 * itself cannot be reached. Nothing is learnt about the peer, so it is no Observation: the
 * visit throws it and the job is retried later, like any infrastructure failure.
 */
export class DialInfrastructureError extends InfraError {
  constructor(
    readonly code: 'LOCAL_RESOURCES' | 'PROXY_UNREACHABLE',
    message: string,
  ) {
    super(message);
  }
}

/** Socket errors that say the local host is out of something. */
const LOCAL_ERRORS = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM', 'EADDRNOTAVAIL']);

/** What a failed connect says: about the peer (a DialError) or about us (a DialInfrastructureError). */
export function dialErrorFor(err: NodeJS.ErrnoException): DialError | DialInfrastructureError {
  const code = err.code ?? '';
  const message = `${code || 'error'}: ${err.message}`;
  if (LOCAL_ERRORS.has(code)) return new DialInfrastructureError('LOCAL_RESOURCES', message);
  return new DialError(SYSCALL_OUTCOME[code] ?? 'unreachable', message);
}

/** A proxy URL that is not socks5://, socks5h:// or socks4:// host:port. */
export class ProxyUrlError extends ConfigError {
  readonly code = 'BAD_PROXY_URL';
}

export interface DialTarget {
  /** IP literal, or a name only the proxy can resolve (.onion, .b32.i2p). */
  host: string;
  port: number;
}

export interface SocksProxy {
  /** SOCKS protocol version: 5 (socks5://, socks5h://) or 4 (socks4://, which also speaks 4a for names). */
  type: 4 | 5;
  host: string;
  port: number;
  /** Tor isolates streams by these credentials (IsolateSOCKSAuth). SOCKS4 carries only the user id. */
  userId?: string;
  password?: string;
}

export type Route = { kind: 'direct' } | ({ kind: 'socks' } & SocksProxy);

const SYSCALL_OUTCOME: Record<string, DialError['code']> = {
  ECONNREFUSED: 'refused',
  ETIMEDOUT: 'connect_timeout',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
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

const aborted = () => new DialError('connect_timeout', 'aborted');

/**
 * Receives a connection's bytes. The chunk may be a view into a read buffer that is reused
 * as soon as the call returns: copy whatever must outlive the call.
 */
export type OnData = (chunk: Uint8Array) => void;

/**
 * One read buffer for every direct connection (Node's `onread`): a read fills it and the
 * receiver consumes it before the next read can start, so no per-read buffer is allocated
 * (with thousands of sessions, those allocations and their GC were a large share of the CPU).
 */
const READ_BUFFER = Buffer.alloc(64 * 1024);

/**
 * Opens a TCP connection, directly or through a SOCKS proxy, within `timeoutMs`. With
 * `onData`, the connection's bytes go there (see OnData) and the socket emits no 'data';
 * without it, read them from the socket as usual.
 */
export function dial(
  target: DialTarget,
  route: Route,
  timeoutMs: number,
  signal?: AbortSignal,
  onData?: OnData,
): Promise<net.Socket> {
  if (signal?.aborted) return Promise.reject(aborted());
  const connecting =
    route.kind === 'direct'
      ? dialDirect(target, timeoutMs, signal, onData)
      : dialSocks(target, route, timeoutMs, signal).then((socket) => {
          if (onData) socket.on('data', onData);
          return socket;
        });
  return connecting.then(
    (socket) => {
      dialPacer.connected(true);
      return socket;
    },
    (err: unknown) => {
      dialPacer.connected(false);
      throw err;
    },
  );
}

function dialDirect(
  target: DialTarget,
  timeoutMs: number,
  signal?: AbortSignal,
  onData?: OnData,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted());
    const socket = net.connect({
      host: target.host,
      port: target.port,
      noDelay: true,
      ...(onData
        ? {
            onread: {
              buffer: READ_BUFFER,
              callback: (n: number, buf: Uint8Array) => {
                onData(buf.subarray(0, n));
                return true; // keep reading (false would pause the socket)
              },
            },
          }
        : {}),
    });
    const fail = (err: DialError | DialInfrastructureError) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(err);
    };
    const onAbort = () => fail(aborted());
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
    socket.once('error', (err: NodeJS.ErrnoException) => fail(dialErrorFor(err)));
  });
}

/**
 * Connects to the proxy ourselves (so the AbortSignal and the deadline cover that step too),
 * then lets the socks package negotiate over that socket in what is left of `timeoutMs`.
 */
async function dialSocks(
  target: DialTarget,
  proxy: SocksProxy,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<net.Socket> {
  const startedAt = performance.now();
  let toProxy: net.Socket;
  try {
    toProxy = await dialDirect({ host: proxy.host, port: proxy.port }, timeoutMs, signal);
  } catch (err) {
    if (signal?.aborted) throw aborted();
    if (err instanceof DialInfrastructureError) throw err;
    throw new DialInfrastructureError(
      'PROXY_UNREACHABLE',
      `proxy ${proxy.host}:${proxy.port}: ${(err as Error).message}`,
    );
  }
  const onAbort = () => toProxy.destroy();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const { socket } = await SocksClient.createConnection({
      proxy: {
        host: proxy.host,
        port: proxy.port,
        type: proxy.type,
        ...(proxy.userId !== undefined ? { userId: proxy.userId } : {}),
        ...(proxy.password !== undefined ? { password: proxy.password } : {}),
      },
      command: 'connect',
      destination: { host: target.host, port: target.port },
      timeout: Math.max(1, timeoutMs - (performance.now() - startedAt)),
      existing_socket: toProxy,
    });
    socket.setNoDelay(true);
    return socket as net.Socket;
  } catch (err) {
    toProxy.destroy();
    if (signal?.aborted) throw aborted();
    throw socksError(err as Error & { code?: string });
  } finally {
    signal?.removeEventListener('abort', onAbort);
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

const PROXY_PROTOCOLS: Record<string, 4 | 5> = { 'socks5:': 5, 'socks5h:': 5, 'socks4:': 4 };

/**
 * Parses socks5://[user:pass@]host:port (also socks5h:// and socks4://[user@]host:port).
 * The port is required; nothing may follow it. Throws ProxyUrlError (the config schema turns
 * that into a validation message, so a bad URL never reaches a dial).
 */
export function parseProxyUrl(url: string): SocksProxy {
  const bad = (why: string) => new ProxyUrlError(`invalid proxy URL "${redact(url)}": ${why}`);
  if (url.length > 2048) throw bad('too long');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad('expected socks5://host:port, socks5h://host:port or socks4://host:port');
  }
  const type = PROXY_PROTOCOLS[u.protocol];
  if (type === undefined)
    throw bad(`unsupported scheme "${u.protocol}" (use socks5://, socks5h:// or socks4://)`);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (host === '') throw bad('missing host');
  if (u.port === '') throw bad('missing port');
  const port = Number(u.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad(`invalid port "${u.port}"`);
  if ((u.pathname !== '' && u.pathname !== '/') || u.search !== '' || u.hash !== '')
    throw bad('nothing may follow host:port');
  let userId: string | undefined;
  let password: string | undefined;
  try {
    userId = u.username === '' ? undefined : decodeURIComponent(u.username);
    password = u.password === '' ? undefined : decodeURIComponent(u.password);
  } catch {
    throw bad('bad percent-encoding in the credentials');
  }
  if (password !== undefined && userId === undefined) throw bad('a password needs a user name');
  if (type === 4 && password !== undefined) throw bad('SOCKS4 has no password, only a user id');
  // RFC 1929: user name and password are at most 255 bytes each.
  if (Buffer.byteLength(userId ?? '') > 255 || Buffer.byteLength(password ?? '') > 255)
    throw bad('user name and password are at most 255 bytes each');
  return {
    type,
    host,
    port,
    ...(userId !== undefined ? { userId } : {}),
    ...(password !== undefined ? { password } : {}),
  };
}

/** The URL with any password replaced, fit for error messages and logs. */
function redact(url: string): string {
  return url.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:***@').slice(0, 200);
}
