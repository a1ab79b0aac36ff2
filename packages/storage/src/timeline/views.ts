import { type ReliabilitySqlParts, reliabilitySql } from './reliability-sql.ts';
import { sessionsSql } from './sessions-sql.ts';

/** The SQL the node_reliability view holds: as of the newest visit, default port the most common reachable one. */
export const VIEW_PARTS: ReliabilitySqlParts = {
  nowMs: '(SELECT max(ts_ms) FROM observations)',
  round: '(SELECT argMax(crawl_id, ts_ms) FROM observations)',
  defaultPort: `(SELECT topK(1)(port)[1] FROM observations WHERE crawl_id = (SELECT argMax(crawl_id, ts_ms) FROM observations) AND outcome = 'ok' AND network IN ('ipv4', 'ipv6'))`,
};

/**
 * The SELECTs of the views the migrations create, built by the storage functions that read
 * the same figures for any round (one definition of the SQL). A migration names one as
 * `{{node_reliability}}`; migrate() puts the SELECT in its place. A view a store already has
 * keeps the SELECT it was created with: when a builder changes, a new migration replaces the
 * view (DROP VIEW IF EXISTS, then CREATE VIEW ... AS {{name}}).
 */
export const VIEW_SELECTS: Readonly<Record<string, () => string>> = {
  node_reliability: () => reliabilitySql(VIEW_PARTS),
  uptime_sessions: () => sessionsSql({ nowMs: VIEW_PARTS.nowMs }),
};

/** A migration's text with each `{{view}}` replaced by that view's SELECT. */
export function renderViews(sql: string, file: string): string {
  return sql.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const select = VIEW_SELECTS[name];
    if (!select) throw new Error(`migration ${file} names {{${name}}}, which storage does not build`);
    return select();
  });
}
