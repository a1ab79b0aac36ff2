-- GeoIP/ASN enrichment, written by the ingester when GEOIP_ASN_DB is set: one row per IP
-- address (not per port), re-written each time the address is ingested so a newer database
-- replaces older answers (ReplacingMergeTree keeps the row with the latest `updated`).
-- cloud is '' when the AS is not a known cloud/hosting provider.
CREATE TABLE IF NOT EXISTS node_geo
(
    network LowCardinality(String),
    host    String,
    asn     UInt32,
    as_org  String,
    country LowCardinality(String),
    cloud   LowCardinality(String),
    updated DateTime('UTC')
)
ENGINE = ReplacingMergeTree(updated)
ORDER BY (network, host);

-- nodes with their GeoIP/ASN data (asn 0, '' strings when there is none). ANY LEFT JOIN with
-- USING is the join both ClickHouse 18.16 and current ClickHouse accept; the right side is
-- de-duplicated per address first so a not yet merged node_geo cannot repeat a node.
CREATE VIEW IF NOT EXISTS nodes_geo AS
SELECT
    network,
    host,
    port,
    last_seen,
    crawl_id,
    outcome,
    error,
    protocol_version,
    services,
    user_agent,
    start_height,
    relay,
    connect_ms,
    handshake_ms,
    addrs_received,
    asn,
    as_org,
    country,
    cloud
FROM nodes
ANY LEFT JOIN
(
    SELECT
        network,
        host,
        argMax(asn, updated)     AS asn,
        argMax(as_org, updated)  AS as_org,
        argMax(country, updated) AS country,
        argMax(cloud, updated)   AS cloud
    FROM node_geo
    GROUP BY network, host
) AS g USING (network, host)
