-- One row per visit that brought a getaddr answer, its entries as parallel arrays (element i of
-- each array is the i-th address): inserting an answer of 1,000 addresses as one row of arrays
-- costs ClickHouse a fraction of 1,000 sorted rows, and the table is several times smaller.
-- a_net holds BIP155 network ids (1 ipv4, 2 ipv6, 4 onion, 5 i2p, 6 cjdns).
CREATE TABLE IF NOT EXISTS gossip
(
    ts          DateTime('UTC'),
    crawl_id    String,
    src_network LowCardinality(String),
    src_host    String,
    src_port    UInt16,
    a_net       Array(UInt8),
    a_host      Array(String),
    a_port      Array(UInt16),
    a_services  Array(UInt64),
    a_time      Array(DateTime('UTC'))
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(ts)
ORDER BY (crawl_id, src_network, src_host, src_port);

-- The table of one row per gossiped address keeps the rows written before this migration.
RENAME TABLE addr_gossip TO addr_gossip_v1;

-- addr_gossip as before: one row per gossip edge, old rows and new alike, de-duplicated
-- (FINAL inside, so read it without FINAL).
CREATE VIEW IF NOT EXISTS addr_gossip AS
SELECT ts, crawl_id, src_network, src_host, src_port, CAST(network AS String) AS network, host, port,
       services, advertised_ts
FROM addr_gossip_v1 FINAL
UNION ALL
SELECT ts, crawl_id, src_network, src_host, src_port,
       transform(e_net, [1, 2, 4, 5, 6], ['ipv4', 'ipv6', 'onion', 'i2p', 'cjdns'], '') AS network,
       e_host AS host, e_port AS port, e_services AS services, e_time AS advertised_ts
FROM gossip FINAL
ARRAY JOIN a_net AS e_net, a_host AS e_host, a_port AS e_port, a_services AS e_services, a_time AS e_time
