#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# split-db.sh SINGLE.db PUBLIC.db: split a single-file SQLite database of
# schema 5 (the layout before "Databases apart", docs/databases.md) into a
# factory file (SINGLE.db, in place) and a new public file (PUBLIC.db).
# Stop chipkey-spp and chipkey-pubdb first.  With the sqlite3 CLI:
#   1. PUBLIC.db gets the public schema (schema-sqlite-public.sql, stamped
#      as a public store) and a copy of public_records and public_voids,
#      one transaction; the row counts are compared;
#   2. then, one transaction on SINGLE.db: issued_records (the factory
#      schema) gets every generation-1 record, marked published; the public
#      tables are dropped; the file is stamped as a factory store.
# A failure in 1 leaves SINGLE.db as it was (delete PUBLIC.db and run again);
# 2 is all or nothing.
set -eu
die() { echo "split-db: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: split-db.sh SINGLE.db PUBLIC.db"
old=$1 pub=$2
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$old" ] || die "$old: no such file"
[ ! -e "$pub" ] || die "$pub exists: give a new file"
ver=$(sqlite3 "$old" 'PRAGMA user_version') app=$(sqlite3 "$old" 'PRAGMA application_id')
has=$(sqlite3 "$old" "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'public_records'")
[ "$ver" = 5 ] && [ "$app" = 0 ] && [ "$has" = 1 ] ||
	die "$old is not a single-file database of schema 5 (user_version $ver, application_id $app)"
{ echo "PRAGMA journal_mode = WAL; BEGIN;"; cat "$here/schema-sqlite-public.sql"
  echo "PRAGMA application_id = 1129009201; PRAGMA user_version = 5; COMMIT;"; } |
	sqlite3 -batch "$pub" >/dev/null || die "$pub: cannot create the public schema"
sqlite3 -batch "$old" ".timeout 15000" "ATTACH '$pub' AS p; BEGIN;
	INSERT INTO p.public_records SELECT * FROM main.public_records;
	INSERT INTO p.public_voids SELECT * FROM main.public_voids; COMMIT;" ||
	die "copying the public tables failed: $old is unchanged; delete $pub and run again"
want=$(sqlite3 "$old" "SELECT (SELECT count(*) FROM public_records) || '/' || (SELECT count(*) FROM public_voids)")
got=$(sqlite3 "$pub" "SELECT (SELECT count(*) FROM public_records) || '/' || (SELECT count(*) FROM public_voids)")
[ "$want" = "$got" ] || die "copied $got rows of $want: $old is unchanged; delete $pub and run again"
{ echo ".timeout 15000"; echo "BEGIN IMMEDIATE;"; cat "$here/schema-sqlite.sql"
  echo "INSERT INTO issued_records (chip_id, generation, identity, created, backup, cert, signed_record, published)
	SELECT chip_id, generation, identity, created, backup, cert, signed_record, created
	FROM public_records WHERE generation = 1;
	DROP TABLE public_records; DROP TABLE public_voids;
	PRAGMA application_id = 1129006641; COMMIT;"; } |
	sqlite3 -batch "$old" >/dev/null || die "$old: the factory step failed and was rolled back"
echo "split-db: $old is the factory database, $pub the public one ($got public records/voids)"
