-- SPDX-License-Identifier: GPL-2.0
-- chipkey store, PostgreSQL: the tables of schema version 5 (the SQLite
-- schema in PostgreSQL types).  store-pg.c runs this whole file in one
-- transaction, under an advisory lock, when the database has no schema yet
-- (or after migrate-2-3-pg.sql), then stamps schema_version.  Each
-- statement is IF NOT EXISTS / OR REPLACE: on a database of schema 3 this
-- file is the whole migration to 4 (identity_pool_reserved, chip_batch), on
-- one of schema 4 the migration to 5 (public_voids).  docs/databases.md maps the
-- tables to the source documents' databases.

-- The version of this schema: one row, written by store-pg.c.  Readable by
-- every role, so a role with rights on public_records only can open.
CREATE TABLE IF NOT EXISTS schema_version (
 one boolean PRIMARY KEY DEFAULT true CHECK (one),
 version integer NOT NULL);
GRANT SELECT ON schema_version TO PUBLIC;

-- Database 140, the identity pool.  state 0 free, 1 reserved for chip_id,
-- 2 issued (the chip's provisioning is committed).  Unix seconds.
CREATE TABLE IF NOT EXISTS identity_pool (
 identity text PRIMARY KEY CHECK (identity ~ '^[0-9]{15}$'),
 state smallint NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),
 chip_id bytea UNIQUE CHECK (chip_id IS NULL OR length(chip_id) = 16),
 reserved_at bigint, issued_at bigint,
 CHECK ((state = 0) = (chip_id IS NULL)));
CREATE INDEX IF NOT EXISTS identity_pool_free
 ON identity_pool (identity) WHERE state = 0;
-- The reservations, oldest first: every claim releases the expired ones.
CREATE INDEX IF NOT EXISTS identity_pool_reserved
 ON identity_pool (reserved_at) WHERE state = 1;

-- Database 140, pre-generated device key pairs (opaque blobs).  chip_id
-- set: reserved for that chip; the provisioning commit deletes the row.
CREATE TABLE IF NOT EXISTS keypair_pool (
 id bigserial PRIMARY KEY,
 pub bytea NOT NULL, priv bytea NOT NULL,
 chip_id bytea UNIQUE CHECK (chip_id IS NULL OR length(chip_id) = 16),
 reserved_at bigint);
CREATE INDEX IF NOT EXISTS keypair_pool_free
 ON keypair_pool (id) WHERE chip_id IS NULL;

-- Database 140, the chip batch: the chips the SPP expects, each with its
-- attestation key Q (uncompressed P-256 point) and the chip certificate
-- (DER) it came from (chipkey-factory load-chips).  Unix seconds.
CREATE TABLE IF NOT EXISTS chip_batch (
 chip_id bytea PRIMARY KEY CHECK (length(chip_id) = 16),
 attest_pub bytea NOT NULL CHECK (length(attest_pub) = 65),
 cert bytea NOT NULL,
 loaded_at bigint NOT NULL);

-- Database 160, the manufacturer's secret record of each device.
CREATE TABLE IF NOT EXISTS device_secrets (
 chip_id bytea PRIMARY KEY CHECK (length(chip_id) = 16),
 identity text NOT NULL UNIQUE,
 generation bigint NOT NULL,
 created bigint NOT NULL,
 data bytea NOT NULL);

-- Database 170, the public records: insert-only generations of backups.
CREATE TABLE IF NOT EXISTS public_records (
 chip_id bytea NOT NULL CHECK (length(chip_id) = 16),
 generation bigint NOT NULL CHECK (generation > 0),
 identity text NOT NULL,
 backup bytea NOT NULL, cert bytea NOT NULL, signed_record bytea,
 created bigint NOT NULL,
 PRIMARY KEY (chip_id, generation));
CREATE OR REPLACE FUNCTION public_records_insert_only() RETURNS trigger
 LANGUAGE plpgsql AS $$ BEGIN
 RAISE EXCEPTION 'public_records is insert-only'; END $$;
CREATE OR REPLACE TRIGGER public_records_no_change
 BEFORE UPDATE OR DELETE ON public_records
 FOR EACH ROW EXECUTE FUNCTION public_records_insert_only();
CREATE OR REPLACE TRIGGER public_records_no_truncate
 BEFORE TRUNCATE ON public_records
 FOR EACH STATEMENT EXECUTE FUNCTION public_records_insert_only();

-- Database 170, schema 5: the manufacturer's void entries, at most one per
-- generation (docs/pubdb-api.md "Voiding a generation").  Insert-only.
CREATE TABLE IF NOT EXISTS public_voids (
 chip_id bytea NOT NULL CHECK (length(chip_id) = 16),
 generation bigint NOT NULL CHECK (generation > 0),
 reason text NOT NULL,
 entry bytea NOT NULL,
 created bigint NOT NULL,
 PRIMARY KEY (chip_id, generation));
CREATE OR REPLACE TRIGGER public_voids_no_change
 BEFORE UPDATE OR DELETE ON public_voids
 FOR EACH ROW EXECUTE FUNCTION public_records_insert_only();
CREATE OR REPLACE TRIGGER public_voids_no_truncate
 BEFORE TRUNCATE ON public_voids
 FOR EACH STATEMENT EXECUTE FUNCTION public_records_insert_only();
