#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# chipkey store tests: Luhn, the store suite on SQLite, then on a real,
# throw-away PostgreSQL server (scripts/pg-test-server.sh).  TAP output.
#   tests/run.sh path/to/store-test
set -u
T=${1:?store-test binary}
top=$(cd "$(dirname "$0")/../../.." && pwd)
PGS=$top/scripts/pg-test-server.sh
fail=0
n=0
tap() {	# tap RC NAME...
	local rc=$1; shift
	n=$((n + 1))
	if [ "$rc" = 0 ]; then echo "ok $n - $*"; else echo "not ok $n - $*"; fail=1; fi
}

tmp=$(mktemp -d /tmp/chipkey-store-test.XXXXXX)
pgdir=
cleanup() {
	[ -n "$pgdir" ] && "$PGS" stop "$pgdir" >/dev/null 2>&1
	rm -rf "$tmp" ${pgdir:+"$pgdir"}
}
trap cleanup EXIT

echo "# store: Luhn"
"$T" luhn || fail=1

echo "# store: SQLite"
"$T" "sqlite:$tmp/store.db" || fail=1
# insert-only, enforced by the database itself
if command -v sqlite3 >/dev/null; then
	out=$(sqlite3 "$tmp/store.db" "UPDATE p170_records SET generation = generation + 100;" 2>&1)
	tap $([ $? -ne 0 ] && echo "$out" | grep -q insert-only; echo $?) "sqlite: UPDATE of p170_records refused by trigger"
	out=$(sqlite3 "$tmp/store.db" "DELETE FROM p170_records;" 2>&1)
	tap $([ $? -ne 0 ] && echo "$out" | grep -q insert-only; echo $?) "sqlite: DELETE of p170_records refused by trigger"
	mode=$(sqlite3 "$tmp/store.db" "PRAGMA journal_mode;")
	tap $([ "$mode" = wal ]; echo $?) "sqlite: database is in WAL mode ($mode)"
else
	n=$((n + 1)); echo "ok $n - sqlite: triggers # SKIP sqlite3 command not installed"
fi

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
	out=$("$psql" -X -q "$url" -c "UPDATE p170_records SET generation = generation + 100" 2>&1)
	tap $([ $? -ne 0 ] && echo "$out" | grep -q insert-only; echo $?) "postgresql: UPDATE of p170_records refused by trigger"
	out=$("$psql" -X -q "$url" -c "DELETE FROM p170_records" 2>&1)
	tap $([ $? -ne 0 ] && echo "$out" | grep -q insert-only; echo $?) "postgresql: DELETE of p170_records refused by trigger"
	out=$("$psql" -X -q "$url" -c "TRUNCATE p170_records" 2>&1)
	tap $([ $? -ne 0 ] && echo "$out" | grep -q insert-only; echo $?) "postgresql: TRUNCATE of p170_records refused by trigger"
else
	echo "$out" | sed 's/^/# /'
fi
exit $fail
