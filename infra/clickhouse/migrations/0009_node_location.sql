-- City-level GeoIP from a MaxMind-format (MMDB) database, written beside node_geo when one is
-- configured: one row per IP address, the newest `updated` wins. latitude/longitude are 0 and
-- the strings '' where the database has nothing (has_location tells a real 0,0 from none).
CREATE TABLE IF NOT EXISTS node_location
(
    network      LowCardinality(String),
    host         String,
    city         String,
    region       String,
    country      LowCardinality(String),
    latitude     Float64,
    longitude    Float64,
    has_location UInt8,
    timezone     LowCardinality(String),
    updated      DateTime('UTC')
)
ENGINE = ReplacingMergeTree(updated)
ORDER BY (network, host)
