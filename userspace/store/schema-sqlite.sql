-- SPDX-License-Identifier: GPL-2.0
-- chipkey store, SQLite: the factory's tables of schema version 5 (databases
-- 140 and 160, and the issued records with their outbox).  store-sqlite.c
-- runs this whole file in the write transaction of every open of a factory
-- store (and of a single-file store, with schema-sqlite-public.sql); each
-- statement is IF NOT EXISTS, and the open stamps PRAGMA user_version = 5.
-- On a file of schema 3 that is the whole migration to 4: it creates
-- identity_pool_reserved and chip_batch.
-- docs/databases.md maps the tables to the source documents' databases.

-- Database 140, the identity pool.  state 0 free, 1 reserved for chip_id,
-- 2 issued (the chip's provisioning is committed).  Unix seconds.
CREATE TABLE IF NOT EXISTS identity_pool (
 identity TEXT PRIMARY KEY CHECK (length(identity) = 15),
 state INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),
 chip_id BLOB UNIQUE CHECK (chip_id IS NULL OR length(chip_id) = 16),
 reserved_at INTEGER, issued_at INTEGER,
 CHECK ((state = 0) = (chip_id IS NULL)));
CREATE INDEX IF NOT EXISTS identity_pool_free
 ON identity_pool (identity) WHERE state = 0;
-- The reservations, oldest first: every claim releases the expired ones.
CREATE INDEX IF NOT EXISTS identity_pool_reserved
 ON identity_pool (reserved_at) WHERE state = 1;

-- Database 140, pre-generated device key pairs (opaque blobs).  chip_id
-- set: reserved for that chip; the provisioning commit deletes the row.
-- AUTOINCREMENT: the id of a deleted pair is never handed out again.
CREATE TABLE IF NOT EXISTS keypair_pool (
 id INTEGER PRIMARY KEY AUTOINCREMENT,
 pub BLOB NOT NULL, priv BLOB NOT NULL,
 chip_id BLOB UNIQUE CHECK (chip_id IS NULL OR length(chip_id) = 16),
 reserved_at INTEGER);
CREATE INDEX IF NOT EXISTS keypair_pool_free
 ON keypair_pool (id) WHERE chip_id IS NULL;

-- Database 140, the chip batch: the chips the SPP expects, each with its
-- attestation key Q (uncompressed P-256 point) and the chip certificate
-- (DER) it came from (chipkey-factory load-chips).  Unix seconds.
CREATE TABLE IF NOT EXISTS chip_batch (
 chip_id BLOB PRIMARY KEY CHECK (length(chip_id) = 16),
 attest_pub BLOB NOT NULL CHECK (length(attest_pub) = 65),
 cert BLOB NOT NULL,
 loaded_at INTEGER NOT NULL);

-- Database 160, the manufacturer's secret record of each device (data is
-- opaque, from the SPP).
CREATE TABLE IF NOT EXISTS device_secrets (
 chip_id BLOB PRIMARY KEY CHECK (length(chip_id) = 16),
 identity TEXT NOT NULL UNIQUE,
 generation INTEGER NOT NULL,
 created INTEGER NOT NULL,
 data BLOB NOT NULL) WITHOUT ROWID;

-- The record the SPP issued to each chip (its generation 1, as signed for
-- the public database), kept in the factory store: the provisioning commit
-- writes it in the same transaction as the secret record, the SPP answers
-- ALREADY from it, and while published is NULL it is in the outbox: the SPP
-- (or chipkey-factory publish) still has to insert it into the public store
-- (docs/databases.md, "Databases apart").  Unix seconds.
CREATE TABLE IF NOT EXISTS issued_records (
 chip_id BLOB PRIMARY KEY CHECK (length(chip_id) = 16),
 generation INTEGER NOT NULL CHECK (generation > 0),
 identity TEXT NOT NULL,
 created INTEGER NOT NULL,
 backup BLOB NOT NULL, cert BLOB NOT NULL, signed_record BLOB,
 published INTEGER);
CREATE INDEX IF NOT EXISTS issued_records_outbox
 ON issued_records (chip_id) WHERE published IS NULL;
