-- Per-endpoint reliability (2 h ... 30 d, the DNS seeders' good flag) and uptime sessions, as of
-- the newest visit in the store, from observations: nothing is kept per visit beyond it. The
-- SELECTs are built by packages/storage/src/timeline (reliabilitySql, sessionsSql, as the
-- views.ts names them), which migrate() puts in place of {{...}}; for another round's view use
-- bitcrawl export csv --round ID, or the storage functions.
CREATE VIEW IF NOT EXISTS node_reliability AS
{{node_reliability}};

CREATE VIEW IF NOT EXISTS uptime_sessions AS
{{uptime_sessions}};
