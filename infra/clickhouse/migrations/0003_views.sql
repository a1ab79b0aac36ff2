-- Latest state per address: its most recent observation across all rounds.
CREATE VIEW IF NOT EXISTS nodes AS
SELECT
    network,
    host,
    port,
    max(ts)                              AS last_seen,
    argMax(crawl_id, ts_ms)              AS crawl_id,
    argMax(outcome, ts_ms)               AS outcome,
    argMax(error, ts_ms)                 AS error,
    argMax(protocol_version, ts_ms)      AS protocol_version,
    argMax(services, ts_ms)              AS services,
    argMax(user_agent, ts_ms)            AS user_agent,
    argMax(start_height, ts_ms)          AS start_height,
    argMax(relay, ts_ms)                 AS relay,
    argMax(connect_ms, ts_ms)            AS connect_ms,
    argMax(handshake_ms, ts_ms)          AS handshake_ms,
    argMax(addrs_received, ts_ms)        AS addrs_received
FROM observations
GROUP BY network, host, port
