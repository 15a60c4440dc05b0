-- SPDX-License-Identifier: GPL-2.0
-- chipkey store, PostgreSQL: schema 2 (the unversioned schema of the first
-- releases) -> 3, the tables named for what they hold.  store-pg.c runs
-- this in one transaction under the schema advisory lock, then
-- schema-pg.sql (the new trigger function, triggers and schema_version)
-- and the stamp of version 3: all or nothing.  Every constraint, index and
-- sequence takes the name PostgreSQL gives it in a new schema-3 database,
-- so a migrated database and a new one are alike.  Renaming keeps every
-- row, the grants and the key pair sequence; no statement says IF EXISTS,
-- so a database that is not exactly schema 2 is refused, not half migrated.
DROP TRIGGER p170_records_no_change ON p170_records;
DROP TRIGGER p170_records_no_truncate ON p170_records;
DROP FUNCTION p170_insert_only();

ALTER TABLE t140_identities RENAME TO identity_pool;
ALTER TABLE identity_pool RENAME CONSTRAINT t140_identities_pkey TO identity_pool_pkey;
ALTER TABLE identity_pool RENAME CONSTRAINT t140_identities_chip_id_key TO identity_pool_chip_id_key;
ALTER TABLE identity_pool RENAME CONSTRAINT t140_identities_identity_check TO identity_pool_identity_check;
ALTER TABLE identity_pool RENAME CONSTRAINT t140_identities_state_check TO identity_pool_state_check;
ALTER TABLE identity_pool RENAME CONSTRAINT t140_identities_chip_id_check TO identity_pool_chip_id_check;
ALTER TABLE identity_pool RENAME CONSTRAINT t140_identities_check TO identity_pool_check;
ALTER INDEX t140_identities_free RENAME TO identity_pool_free;

ALTER TABLE t140_keypairs RENAME TO keypair_pool;
ALTER TABLE keypair_pool RENAME CONSTRAINT t140_keypairs_pkey TO keypair_pool_pkey;
ALTER TABLE keypair_pool RENAME CONSTRAINT t140_keypairs_chip_id_key TO keypair_pool_chip_id_key;
ALTER TABLE keypair_pool RENAME CONSTRAINT t140_keypairs_chip_id_check TO keypair_pool_chip_id_check;
ALTER INDEX t140_keypairs_free RENAME TO keypair_pool_free;
ALTER SEQUENCE t140_keypairs_id_seq RENAME TO keypair_pool_id_seq;

ALTER TABLE s160_devices RENAME TO device_secrets;
ALTER TABLE device_secrets RENAME CONSTRAINT s160_devices_pkey TO device_secrets_pkey;
ALTER TABLE device_secrets RENAME CONSTRAINT s160_devices_identity_key TO device_secrets_identity_key;
ALTER TABLE device_secrets RENAME CONSTRAINT s160_devices_chip_id_check TO device_secrets_chip_id_check;

ALTER TABLE p170_records RENAME TO public_records;
ALTER TABLE public_records RENAME CONSTRAINT p170_records_pkey TO public_records_pkey;
ALTER TABLE public_records RENAME CONSTRAINT p170_records_chip_id_check TO public_records_chip_id_check;
ALTER TABLE public_records RENAME CONSTRAINT p170_records_generation_check TO public_records_generation_check;
