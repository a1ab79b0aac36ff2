-- One row per visit. ReplacingMergeTree on the visit's identity makes a re-delivered ingest
-- batch collapse into the row already there (read with FINAL, or through the views below).
CREATE TABLE IF NOT EXISTS observations
(
    ts               DateTime('UTC'),
    ts_ms            UInt64,
    crawl_id         String,
    network          LowCardinality(String),
    host             String,
    port             UInt16,
    outcome          LowCardinality(String),
    error            String,
    protocol_version Int32,
    services         UInt64,
    user_agent       String,
    start_height     Int32,
    relay            UInt8,
    clock_offset_s   Int32,
    connect_ms       UInt32,
    handshake_ms     UInt32,
    addrs_received   UInt32
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(ts)
ORDER BY (crawl_id, network, host, port, ts_ms)
