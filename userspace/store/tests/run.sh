#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# chipkey store tests: the store suite on SQLite, then on a real, throw-away
# PostgreSQL server (scripts/pg-test-server.sh); on each, the migration of
# databases of schema 2 and 3 (tests/fixtures/v[23]-*.sql).  TAP output.
#   tests/run.sh path/to/store-test
set -u
T=${1:?store-test binary}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
PGS=$top/scripts/pg-test-server.sh
fail=0
n=0
tap() {	# tap RC NAME...
	local rc=$1; shift
	n=$((n + 1))
	if [ "$rc" = 0 ]; then echo "ok $n - $*"; else echo "not ok $n - $*"; fail=1; fi
}
# refused RC OUTPUT: the statement failed with the insert-only trigger's error
# (or with the error named by a third argument)
refused() { [ "$1" -ne 0 ] && echo "$2" | grep -q "${3:-public_records is insert-only}"; echo $?; }

tmp=$(mktemp -d /tmp/chipkey-store-test.XXXXXX)
pgdir=
cleanup() {
	[ -n "$pgdir" ] && "$PGS" stop "$pgdir" >/dev/null 2>&1
	rm -rf "$tmp" ${pgdir:+"$pgdir"}
}
trap cleanup EXIT

echo "# store: SQLite"
"$T" "sqlite:$tmp/store.db" || fail=1
# insert-only, enforced by the database itself
if command -v sqlite3 >/dev/null; then
	out=$(sqlite3 "$tmp/store.db" "UPDATE public_records SET generation = generation + 100;" 2>&1)
	tap "$(refused $? "$out")" "sqlite: UPDATE of public_records refused by trigger"
	out=$(sqlite3 "$tmp/store.db" "DELETE FROM public_records;" 2>&1)
	tap "$(refused $? "$out")" "sqlite: DELETE of public_records refused by trigger"
	out=$(sqlite3 "$tmp/store.db" "UPDATE public_voids SET reason = 'x';" 2>&1)
	tap "$(refused $? "$out" 'public_voids is insert-only')" "sqlite: UPDATE of public_voids refused by trigger"
	out=$(sqlite3 "$tmp/store.db" "DELETE FROM public_voids;" 2>&1)
	tap "$(refused $? "$out" 'public_voids is insert-only')" "sqlite: DELETE of public_voids refused by trigger"
	mode=$(sqlite3 "$tmp/store.db" "PRAGMA journal_mode;")
	tap $([ "$mode" = wal ]; echo $?) "sqlite: database is in WAL mode ($mode)"
else
	n=$((n + 1)); echo "ok $n - sqlite: triggers # SKIP sqlite3 command not installed"
fi
echo "# store: SQLite, migration from schema 2"
# the split of a single file (schema 5) into a factory and a public file:
# userspace/store/split-db.sh, the sqlite3 CLI and the store's own opens
if command -v sqlite3 >/dev/null; then
	sqlite3 "$tmp/store.db" ".backup '$tmp/single.db'"
	before=$(sqlite3 "$tmp/single.db" "SELECT (SELECT count(*) FROM public_records) || '/' ||
		(SELECT count(*) FROM public_records WHERE generation = 1) || '/' || (SELECT count(DISTINCT chip_id) FROM public_records)")
	out=$("$T" kind factory "sqlite:$tmp/single.db")
	tap "$([ $? -ne 0 ] && echo "$out" | grep -q 'split it first'; echo $?)" "split: a single file is refused as a factory store ($out)"
	out=$("$T" kind public "sqlite:$tmp/single.db")
	tap "$([ $? -ne 0 ] && echo "$out" | grep -q "holds the factory's tables"; echo $?)" "split: ... and as a public store"
	out=$("$here/../split-db.sh" "$tmp/single.db" "$tmp/split-pub.db" 2>&1)
	tap $? "split: split-db.sh splits it ($out)"
	tabs() { sqlite3 "$1" "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name)"; }
	tap "$([ "$(tabs "$tmp/split-pub.db")" = "public_records public_voids" ]; echo $?)" "split: the public file holds the public tables only ($(tabs "$tmp/split-pub.db"))"
	tap "$([ "$(tabs "$tmp/single.db")" = "chip_batch device_secrets identity_pool issued_records keypair_pool" ]; echo $?)" \
		"split: the factory file no public table ($(tabs "$tmp/single.db"))"
	after=$(sqlite3 "$tmp/single.db" "ATTACH '$tmp/split-pub.db' AS p; SELECT (SELECT count(*) FROM p.public_records) || '/' ||
		(SELECT count(*) FROM issued_records WHERE published IS NOT NULL) || '/' || (SELECT count(DISTINCT chip_id) FROM p.public_records)")
	tap "$([ "$after" = "$before" ]; echo $?)" "split: every public record copied, every generation 1 an issued and published record (public/gen 1/chips: $before -> $after)"
	out=$("$T" kind factory "sqlite:$tmp/single.db")
	tap "$([ $? -eq 0 ] && [ "$out" = "outbox 0" ]; echo $?)" "split: the store opens the factory file, outbox empty ($out)"
	out=$("$T" kind public "sqlite:$tmp/split-pub.db")
	tap "$([ $? -eq 0 ] && [ "$out" = "chips ${before##*/}" ]; echo $?)" "split: the store opens the public file ($out)"
	"$here/../split-db.sh" "$tmp/single.db" "$tmp/split-pub2.db" >/dev/null 2>&1
	tap "$([ $? -ne 0 ] && [ ! -e "$tmp/split-pub2.db" ]; echo $?)" "split: split-db.sh refuses a file already split"
fi
"$T" migrate "sqlite:$tmp/v2.db" "$here/fixtures/v2-sqlite.sql" "sqlite:$tmp/store.db" || fail=1
echo "# store: SQLite, migration from schema 3"
"$T" migrate "sqlite:$tmp/v3.db" "$here/fixtures/v3-sqlite.sql" "sqlite:$tmp/store.db" || fail=1

echo "# store: PostgreSQL"
pgdir=$(mktemp -d /tmp/chipkey-pg.XXXXXX)
out=$("$PGS" start "$pgdir" 2>&1)
rc=$?
if [ $rc = 77 ]; then
	n=$((n + 1)); echo "ok $n - postgresql store suite # SKIP PostgreSQL server binaries not installed"
	exit $fail
fi
tap $rc "postgresql: throw-away server started"
if [ $rc = 0 ]; then
	url=$("$PGS" createdb "$pgdir" chipkey_store_test)
	echo "# $url"
	"$T" "$url" || fail=1
	psql=$(ls -d /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -1)
	out=$("$psql" -X -q "$url" -c "UPDATE public_records SET generation = generation + 100" 2>&1)
	tap "$(refused $? "$out")" "postgresql: UPDATE of public_records refused by trigger"
	out=$("$psql" -X -q "$url" -c "DELETE FROM public_records" 2>&1)
	tap "$(refused $? "$out")" "postgresql: DELETE of public_records refused by trigger"
	out=$("$psql" -X -q "$url" -c "TRUNCATE public_records" 2>&1)
	tap "$(refused $? "$out")" "postgresql: TRUNCATE of public_records refused by trigger"
	out=$("$psql" -X -q "$url" -c "UPDATE public_voids SET reason = 'x'" 2>&1)
	tap "$(refused $? "$out")" "postgresql: UPDATE of public_voids refused by trigger"
	out=$("$psql" -X -q "$url" -c "DELETE FROM public_voids" 2>&1)
	tap "$(refused $? "$out")" "postgresql: DELETE of public_voids refused by trigger"
	out=$("$psql" -X -q "$url" -c "TRUNCATE public_voids" 2>&1)
	tap "$(refused $? "$out")" "postgresql: TRUNCATE of public_voids refused by trigger"
	echo "# store: PostgreSQL, migration from schema 2"
	v2=$("$PGS" createdb "$pgdir" chipkey_store_v2)
	"$T" migrate "$v2" "$here/fixtures/v2-pg.sql" "$url" || fail=1
	echo "# store: PostgreSQL, migration from schema 3"
	v3=$("$PGS" createdb "$pgdir" chipkey_store_v3)
	"$T" migrate "$v3" "$here/fixtures/v3-pg.sql" "$url" || fail=1
else
	echo "$out" | sed 's/^/# /'
fi
exit $fail
