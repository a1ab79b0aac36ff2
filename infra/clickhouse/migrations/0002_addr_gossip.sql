-- One row per address a visited node advertised in its getaddr answer (a gossip edge).
CREATE TABLE IF NOT EXISTS addr_gossip
(
    ts            DateTime('UTC'),
    crawl_id      String,
    src_network   LowCardinality(String),
    src_host      String,
    src_port      UInt16,
    network       LowCardinality(String),
    host          String,
    port          UInt16,
    services      UInt64,
    advertised_ts DateTime('UTC')
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(ts)
ORDER BY (crawl_id, src_network, src_host, src_port, network, host, port)
