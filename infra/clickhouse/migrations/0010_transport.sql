-- BIP324: the P2P transport of each visit. transport is 'v1' or 'v2' (the connection that
-- produced the observation); v2_fallback is 1 when v2 was tried first and the peer hung up
-- before answering our key, so the visit went on over v1; v2_session_id holds the first bytes
-- of the BIP324 session id (hex) for debugging. Rows written before this migration read as
-- v1, no fallback, no session id. Enum8, not LowCardinality: 18.16 needs no setting for it.
ALTER TABLE observations ADD COLUMN transport Enum8('v1' = 1, 'v2' = 2) DEFAULT 'v1';
ALTER TABLE observations ADD COLUMN v2_fallback UInt8 DEFAULT 0;
ALTER TABLE observations ADD COLUMN v2_session_id String DEFAULT ''
