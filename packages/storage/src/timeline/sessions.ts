import type { Endpoint } from '@bitcrawl/protocol';
import { queryRows } from '../queries.ts';
import type { Store } from '../store.ts';
import type { RoundSpan } from './rounds.ts';
import { sessionsSql } from './sessions-sql.ts';
import { endpointOf, intLiteral, num } from './sql-values.ts';

/** One continuous up period of an endpoint (seconds since the epoch). */
export interface UptimeSession extends Endpoint {
  /** 1, 2, ... per endpoint, oldest first. */
  session: number;
  /** First and last successful visit of the session. */
  start: number;
  lastUp: number;
  /** The failed visit that closed it; 0 while open. */
  end: number;
  open: boolean;
  /** Successful visits in the session. */
  visits: number;
}

/** Every session as of the round's last visit (optionally of one host). */
export async function uptimeSessions(
  store: Store,
  o: { round: RoundSpan; host?: string },
): Promise<UptimeSession[]> {
  const where = o.host !== undefined ? `host = '${hostLiteral(o.host)}'` : undefined;
  const rows = await queryRows(
    store,
    `${sessionsSql({ nowMs: intLiteral(o.round.lastVisit), ...(where ? { where } : {}) })} ORDER BY network, host, port, session`,
  );
  return rows.map((r) => ({
    ...endpointOf(r),
    session: num(r.session),
    start: num(r.start),
    lastUp: num(r.last_up),
    end: num(r.end),
    open: num(r.open) === 1,
    visits: num(r.visits),
  }));
}

/** Host strings are canonical address text: letters, digits, '.', ':'. Anything else is refused. */
function hostLiteral(host: string): string {
  if (!/^[A-Za-z0-9.:]{1,255}$/.test(host)) throw new Error(`refusing host ${JSON.stringify(host)}`);
  return host;
}

export interface SessionSummary {
  network: string;
  /** Endpoints up at the round's end, and how long they had been (median, seconds). */
  open: number;
  medianOpenSeconds: number;
  /** Sessions ended by a failed visit, and their median length from first success to the failure. */
  closed: number;
  medianClosedSeconds: number;
}

/** Per network: open sessions and closed ones with their median lengths, as of the round. */
export async function sessionSummary(store: Store, round: RoundSpan): Promise<SessionSummary[]> {
  const nowS = Math.floor(round.lastVisit / 1000);
  const rows = await queryRows(
    store,
    `SELECT network, countIf(open = 1) AS open_n, quantileExactIf(0.5)(${intLiteral(nowS)} - start, open = 1) AS open_s,
            countIf(open = 0) AS closed_n, quantileExactIf(0.5)(end - start, open = 0) AS closed_s
     FROM (${sessionsSql({ nowMs: intLiteral(round.lastVisit) })}) GROUP BY network ORDER BY network`,
  );
  return rows.map((r) => ({
    network: String(r.network),
    open: num(r.open_n),
    medianOpenSeconds: num(r.open_s),
    closed: num(r.closed_n),
    medianClosedSeconds: num(r.closed_s),
  }));
}
