-- SPDX-License-Identifier: GPL-2.0
-- chipkey store, PostgreSQL: the public tables of schema version 5
-- (database 170).  A public store keeps them in the schema chipkey_public
-- (store-pg.c creates it), with a schema_version of its own; a single-file
-- store in the same schema as the factory's tables.

CREATE TABLE IF NOT EXISTS schema_version (
 one boolean PRIMARY KEY DEFAULT true CHECK (one),
 version integer NOT NULL);
GRANT SELECT ON schema_version TO PUBLIC;

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
