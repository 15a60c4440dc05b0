-- SPDX-License-Identifier: GPL-2.0
-- chipkey store, SQLite: the public tables of schema version 5 (database
-- 170), the only tables of a public store (chipkey-pubdb's).  Run like
-- schema-sqlite.sql; on a single-file store of schema 4, it is the
-- migration to 5: it creates public_voids.

-- Database 170, the public records: insert-only generations of backups.
-- A rowid table: a ~2 KB record fits in its 4 KB leaf page and the
-- (chip_id, generation) key lives in its own small index (as WITHOUT ROWID,
-- schema 1, every record spilled into overflow pages).
CREATE TABLE IF NOT EXISTS public_records (
 chip_id BLOB NOT NULL CHECK (length(chip_id) = 16),
 generation INTEGER NOT NULL CHECK (generation > 0),
 identity TEXT NOT NULL,
 created INTEGER NOT NULL,
 backup BLOB NOT NULL, cert BLOB NOT NULL, signed_record BLOB,
 PRIMARY KEY (chip_id, generation));
CREATE TRIGGER IF NOT EXISTS public_records_no_update
 BEFORE UPDATE ON public_records
 BEGIN SELECT RAISE(ABORT, 'public_records is insert-only'); END;
CREATE TRIGGER IF NOT EXISTS public_records_no_delete
 BEFORE DELETE ON public_records
 BEGIN SELECT RAISE(ABORT, 'public_records is insert-only'); END;

-- Database 170, schema 5: the manufacturer's void entries, at most one per
-- generation (docs/pubdb-api.md "Voiding a generation").  Insert-only too:
-- a void is never withdrawn; the generation it names stays stored.
CREATE TABLE IF NOT EXISTS public_voids (
 chip_id BLOB NOT NULL CHECK (length(chip_id) = 16),
 generation INTEGER NOT NULL CHECK (generation > 0),
 reason TEXT NOT NULL,
 entry BLOB NOT NULL,
 created INTEGER NOT NULL,
 PRIMARY KEY (chip_id, generation));
CREATE TRIGGER IF NOT EXISTS public_voids_no_update
 BEFORE UPDATE ON public_voids
 BEGIN SELECT RAISE(ABORT, 'public_voids is insert-only'); END;
CREATE TRIGGER IF NOT EXISTS public_voids_no_delete
 BEFORE DELETE ON public_voids
 BEGIN SELECT RAISE(ABORT, 'public_voids is insert-only'); END;
