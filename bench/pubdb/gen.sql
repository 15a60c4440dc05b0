-- Bulk load of the public database (170): NCHIPS chips, one generation
-- each, realistic sizes (backup 1410 B and certificate 560 B, as the
-- provisioning benchmark measures them; random bytes).  The signed record
-- column is left NULL (an SPP-committed generation without one is valid,
-- docs/pubdb-api.md); the JSON reply does not include it.
-- Chip i has chip ID = ASCII of printf('%016d', i): rand.lua knows them.
-- The schema itself is created by the store (store_open): schema 3, where
-- public_records is a rowid table with its (chip_id, generation) key in an
-- index, so each record fits in one 4 KB page (docs/databases.md).
PRAGMA synchronous = OFF;
PRAGMA cache_size = -200000;
BEGIN;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < :n)
INSERT INTO public_records (chip_id, generation, identity, created, backup, cert, signed_record)
SELECT CAST(printf('%016d', i) AS BLOB), 1, printf('35%013d', i), 1767225600 + i,
       randomblob(1410), randomblob(560), NULL FROM c;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
