import { readFileSync } from 'node:fs';

/**
 * The process's soft limit on open files (`ulimit -n`), from /proc/self/limits; undefined where
 * that cannot be read (not Linux). Node offers no API for it.
 */
export function openFileLimit(
  read: () => string = () => readFileSync('/proc/self/limits', 'utf8'),
): number | undefined {
  try {
    const line = read()
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (!soft || soft === 'unlimited') return undefined;
    const n = Number(soft);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Descriptors kept for everything but the visits: Redis and ClickHouse connections, chdb's own
 * files, listening sockets, logs. A visit holds one socket (a SOCKS dial too: the proxy's).
 */
export const RESERVED_FDS = 256;

/** The sockets a worker opens at once: sessions, and dials beyond them (VisitSlots). */
export interface VisitSockets {
  concurrency: number;
  pendingDials: number;
}

/**
 * The sockets the open-file limit allows: past it, dials fail with EMFILE, which would be
 * recorded as unreachable peers. Pending dials give way first, then sessions. Returns the
 * allowed values and, when they had to be lowered, the one warning to print (it names
 * `ulimit -n`).
 */
export function fitVisitsToFdLimit(
  requested: VisitSockets,
  limit: number | undefined = openFileLimit(),
): VisitSockets & { warning?: string } {
  const { concurrency, pendingDials } = requested;
  const wanted = concurrency + pendingDials;
  if (limit === undefined) return { concurrency, pendingDials };
  const allowed = Math.max(1, Math.floor((limit - RESERVED_FDS) * 0.9));
  if (wanted <= allowed) return { concurrency, pendingDials };
  const sessions = Math.min(concurrency, allowed);
  const dials = allowed - sessions;
  return {
    concurrency: sessions,
    pendingDials: dials,
    warning:
      `${concurrency} sessions and ${pendingDials} pending dials need about ${wanted + RESERVED_FDS} open files but the limit is ${limit}: ` +
      `running ${sessions} and ${dials}. Raise it with \`ulimit -n ${Math.ceil(wanted / 0.9) + RESERVED_FDS}\` ` +
      '(or ulimits.nofile in docker-compose) to run more.',
  };
}
