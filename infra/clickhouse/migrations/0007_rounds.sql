-- One row per round and network, written when the round ends (bitcrawl crawl, the seeder's
-- scheduler): its span, seeds, visits and whether it was cut short. Rounds crawled before this
-- table existed have no row; their span is still read from observations (listRounds).
CREATE TABLE IF NOT EXISTS rounds
(
    crawl_id      String,
    network       LowCardinality(String),
    started       DateTime('UTC'),
    finished      DateTime('UTC'),
    seeds         UInt32,
    visited       UInt64,
    reachable     UInt64,
    failed_visits UInt64,
    interrupted   UInt8
)
ENGINE = ReplacingMergeTree(finished)
ORDER BY (crawl_id, network)
