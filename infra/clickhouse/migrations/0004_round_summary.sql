-- Per round and network: how many addresses were visited and how many were reachable.
CREATE VIEW IF NOT EXISTS round_summary AS
SELECT
    crawl_id,
    network,
    count()                  AS visited,
    countIf(outcome = 'ok')  AS reachable,
    min(ts)                  AS started,
    max(ts)                  AS finished
FROM observations FINAL
GROUP BY crawl_id, network
