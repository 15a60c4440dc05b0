-- SPDX-License-Identifier: GPL-2.0
-- chipkey store, PostgreSQL: the factory's tables of schema version 5 (the
-- SQLite schema in PostgreSQL types), in the schema of the connection's
-- search_path; the public tables are schema-pg-public.sql (a single-file
-- store runs both).  store-pg.c runs this whole file in one
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

-- The record the SPP issued to each chip; published NULL: in the outbox
-- (schema-sqlite.sql, docs/databases.md "Databases apart").
CREATE TABLE IF NOT EXISTS issued_records (
 chip_id bytea PRIMARY KEY CHECK (length(chip_id) = 16),
 generation bigint NOT NULL CHECK (generation > 0),
 identity text NOT NULL,
 backup bytea NOT NULL, cert bytea NOT NULL, signed_record bytea,
 created bigint NOT NULL,
 published bigint);
CREATE INDEX IF NOT EXISTS issued_records_outbox
 ON issued_records (chip_id) WHERE published IS NULL;
