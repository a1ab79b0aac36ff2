import type { Duplex } from 'node:stream';
import type { Redis } from 'ioredis';

const COALESCED = Symbol('bitcrawl.coalescedWrites');

type Stream = Duplex & { [COALESCED]?: true };

/**
 * Makes every command `redis` sends in one turn of the event loop leave in one write.
 *
 * ioredis writes each command to its socket as it is issued: one syscall per command. A crawl
 * engine issues thousands a second (BullMQ's moves and lock renewals, the frontier's begin and
 * commit, addBulk), each from its own job's continuation, and a profile of a 2,000-visit round
 * put ~9% of the engine's CPU in those writes. Here the socket is corked on the first write of a
 * turn and uncorked in that turn's check phase (setImmediate), so Node hands the turn's
 * commands to the kernel in one writev. Commands keep their order, and none waits longer than
 * the rest of the turn: their replies could not be read before the next poll phase anyway.
 *
 * Done at the socket, not with ioredis's enableAutoPipelining, which rewrites how commands are
 * queued (it broke the frontier's EVALSHA scripts here). Applied again on every reconnect,
 * since each connection has a new socket.
 */
export function coalesceWrites(redis: Redis): Redis {
  const patch = () => {
    const stream = (redis as unknown as { stream?: Stream }).stream;
    if (!stream || stream[COALESCED]) return;
    stream[COALESCED] = true;
    const write = stream.write;
    let corked = false;
    const uncork = () => {
      corked = false;
      stream.uncork();
    };
    stream.write = function (this: Stream, ...args: Parameters<Stream['write']>) {
      if (!corked && !stream.destroyed) {
        corked = true;
        stream.cork();
        setImmediate(uncork);
      }
      return write.apply(this, args);
    } as Stream['write'];
  };
  redis.on('connect', patch);
  patch();
  return redis;
}
