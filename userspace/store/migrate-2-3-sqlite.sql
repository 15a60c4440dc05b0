-- SPDX-License-Identifier: GPL-2.0
-- chipkey store, SQLite: schema 2 -> 3, the tables named for what they hold
-- (t140_identities, t140_keypairs, s160_devices, p170_records were named
-- after the source documents' figure numbers).  store-sqlite.c runs this in
-- the open's write transaction, then schema-sqlite.sql (which creates the
-- indexes and triggers under their new names) and stamps user_version 3:
-- one transaction, all or nothing.  Renaming keeps every row, every
-- constraint and the AUTOINCREMENT counter (sqlite_sequence follows the
-- rename); no statement says IF EXISTS, so a file that is not exactly
-- schema 2 is refused rather than half migrated.
DROP TRIGGER p170_records_no_update;
DROP TRIGGER p170_records_no_delete;
DROP INDEX t140_identities_free;
DROP INDEX t140_keypairs_free;
ALTER TABLE t140_identities RENAME TO identity_pool;
ALTER TABLE t140_keypairs RENAME TO keypair_pool;
ALTER TABLE s160_devices RENAME TO device_secrets;
ALTER TABLE p170_records RENAME TO public_records;
