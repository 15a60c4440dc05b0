#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Provisioning on PostgreSQL, and several SPPs sharing one identity pool.
#   1. a throw-away PostgreSQL server (scripts/pg-test-server.sh);
#   2. test-spp.sh against it (10 devices at once, bad actors, bad input);
#   3. two SPP daemons on one database, 2 x 20 devices, each device going to
#      one of them at random and some chips to both at once: all provisioned,
#      each chip exactly one identity, no identity handed out twice (the
#      database invariants of test-crash.sh checked directly in the database);
#      the same on SQLite (two processes sharing one file);
#   3d. the PostgreSQL server restarted under a running SPP: the sessions
#      after it are served and published (every handle reconnects);
#   4. test-crash.sh with a few rounds per kill point on PostgreSQL.
# Without the PostgreSQL server binaries the PostgreSQL parts are SKIPped.
# TAP on stdout (the sub-suites' results renumbered into this stream).
#
#   BUILD=.../build tests/test-pg.sh
#   PG_CRASH_ROUNDS=3 (rounds per kill point in step 4; 0 skips step 4)
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
BUILD=${BUILD:-$top/build}
t=$(mktemp -d /tmp/chipkey-test-pg-XXXXXX)
FAC=$t/fac
DBURL=
. "$here/lib-provision.sh"
abin=$BUILD/asan/bin
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

# the server runs as "postgres" when we are root: its directory must be
# reachable by that user, so not inside $t (0700)
pg=$(mktemp -d /tmp/chipkey-pg-XXXXXX)
pg_up=0
cleanup() {
	kill_bg
	[ $pg_up -eq 1 ] && "$top/scripts/pg-test-server.sh" stop "$pg" >/dev/null 2>&1
	[ "$failed" -gt 0 ] && [ -f "$pg/server.log" ] && tail -20 "$pg/server.log" | sed 's/^/# pg: /'
	rm -rf "$pg"
	if [ "$failed" -gt 0 ]; then
		for f in "$t"/script.log "$t"/inv.log "$t"/restart-spp.log "$t"/multi-*.log "$t"/race-*.log "$t"/pg-start.log; do
			[ -f "$f" ] && grep -v '^# invariants:' "$f" | tail -30 | sed "s|^|# $(basename "$f"): |"
		done
	fi
	rm -rf "$t"
}
trap cleanup EXIT
exec 2>>"$t/script.log"

# sub SCRIPT...: run a TAP script, renumber its results into this stream
sub() {
	local prefix=$1 line rest; shift
	while IFS= read -r line; do
		case "$line" in
		"ok "* | "not ok "*)
			rest=${line#*ok }
			rest=${rest#* }		# drop its number
			rest=${rest#- }
			if [ "${line#not }" != "$line" ]; then nok "$prefix $rest"; else ok "$prefix $rest"; fi
			;;
		1..*) ;;
		*) echo "$line" ;;
		esac
	done < <("$@")
}

pgurl=$("$top/scripts/pg-test-server.sh" start "$pg" 2>>"$t/pg-start.log")
rc=$?
if [ $rc -eq 0 ]; then
	pg_up=1
	ok "a PostgreSQL server on loopback ($(psql -X -At "$pgurl" -c 'SHOW server_version' 2>/dev/null))"
elif [ $rc -eq 77 ]; then
	skip "PostgreSQL server" "postgresql server binaries not installed"
else
	nok "a PostgreSQL server starts"
fi

# ---- 2. the provisioning suite on PostgreSQL
if [ $pg_up -eq 1 ]; then
	url=$("$top/scripts/pg-test-server.sh" createdb "$pg" spp)
	sub "[pg]" env SPP_TEST_DB="$url" BUILD="$BUILD" "$here/test-spp.sh"
else
	skip "[pg] test-spp.sh on PostgreSQL" "no PostgreSQL server"
fi

# ---- 2b. databases apart on PostgreSQL (docs/databases.md): the public
# tables are the schema chipkey_public, which chipkey-pubdb uses through a
# role with no privilege on the factory's tables.  The database is the one
# test-spp.sh provisioned.  The SQL an administrator runs:
pubdb_role_sql="CREATE ROLE ckpubdb LOGIN;
GRANT USAGE ON SCHEMA chipkey_public TO ckpubdb;
GRANT SELECT, INSERT ON chipkey_public.public_records, chipkey_public.public_voids TO ckpubdb;"
if [ $pg_up -eq 1 ]; then
	psql -X -q -v ON_ERROR_STOP=1 "$url" -c "$pubdb_role_sql" >>"$t/script.log" 2>&1
	check "pg: the administrator creates the public service's role (CREATE ROLE, GRANT USAGE and SELECT, INSERT on schema chipkey_public only)" test $? -eq 0
	rurl=$(echo "$url" | sed 's|//postgres@|//ckpubdb@|')
	chip1=$(psql -X -At "$url" -c "SELECT encode(chip_id, 'hex') FROM chipkey_public.public_records LIMIT 1" 2>>"$t/script.log")
	check "pg: ... which reads the public records ($chip1)" \
		test "$(psql -X -At "$rurl" -c "SELECT count(*) > 0 FROM chipkey_public.public_records" 2>>"$t/script.log")" = t
	for tb in device_secrets keypair_pool identity_pool chip_batch issued_records; do
		out=$(psql -X -At "$rurl" -c "SELECT count(*) FROM public.$tb" 2>&1)
		check "pg: ... and gets 'permission denied' on $tb (psql: $out)" \
			bash -c "[[ '$out' == *'permission denied for table $tb'* ]]"
	done
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=writers" \
		-keyout "$t/w.key" -out "$t/w.pem" >/dev/null 2>&1
	rm -f "$t/rpub.port"
	"$bin/chipkey-pubdb" --db "$rurl" --listen 127.0.0.1:0 --writers "$t/w.pem" \
		--port-file "$t/rpub.port" 2>>"$t/rpub.log" &
	bg[rpub]=$!
	wait_file "$t/rpub.port"
	code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(cat "$t/rpub.port" 2>/dev/null)/v1/chips/$chip1/backup")
	check "pg: chipkey-pubdb connected as that role serves the backups (GET -> $code)" test "$code" = 200
	kill "${bg[rpub]}"; wait "${bg[rpub]}" 2>/dev/null; unset "bg[rpub]"
else
	skip "pg: the public service's role" "no PostgreSQL server"
fi

# ---- 3. two SPPs, one pool
# multi DBURL LABEL
multi() {
	local label=$2 i s name port rc h id
	local -a mpid=() spid=() mchip=() which=()
	DBURL=$1
	PUBURL=$(public_of "$DBURL")
	FAC=$t/fac-$label
	rm -f "$t/map.txt"
	"$bin/chipkey-factory" identities --prefix 35888800 --count 60 >"$t/ids-$label.txt" 2>>"$t/factory.log"
	"$bin/chipkey-factory" init "$FAC" --db "$DBURL" --pool "$t/ids-$label.txt" --pregen 12 \
		>>"$t/factory.log" 2>&1 && save_pregen
	check "$label: factory with 60 identities and 12 pre-generated key pairs" \
		test "$(wc -l <"$t/pregen.txt")" -eq 12
	for s in 1 2; do
		rm -f "$t/multi-$label-$s.port"
		"$abin/chipkey-spp" --factory "$FAC" --db "$DBURL" --public-db "$PUBURL" --listen 127.0.0.1:0 --workers 6 --max-per-ip 64 \
			--port-file "$t/multi-$label-$s.port" --timeout 10 2>>"$t/multi-$label-spp$s.log" &
		spid[$s]=$!
		bg[spp-$label-$s]=$!
	done
	wait_file "$t/multi-$label-1.port" && wait_file "$t/multi-$label-2.port"
	check "$label: two SPP daemons on one database" test $? -eq 0
	port[1]=$(cat "$t/multi-$label-1.port") port[2]=$(cat "$t/multi-$label-2.port")
	for i in $(seq 40); do mkchip "$label$i" || nok "$label: emulator $i starts"; done
	# 20 devices per SPP; chips 1..8 connect to both SPPs at once
	for i in $(seq 40); do
		s=$(( i <= 20 ? 1 : 2 ))
		[ $((RANDOM % 2)) -eq 0 ] && s=$((3 - s))
		which[$i]=$s
		"$bin/chipkey-agent" provision $(station) --spp "127.0.0.1:${port[$s]}" \
			--device "emu:$t/chips/$label$i.sock" --store "$t/st-$label-$i-a" --timeout 20 \
			>"$t/m-$label-$i-a.out" 2>"$t/m-$label-$i-a.log" &
		mpid[$i]=$!
		if [ "$i" -le 8 ]; then
			"$bin/chipkey-agent" provision $(station) --spp "127.0.0.1:${port[$((3 - s))]}" \
				--device "emu:$t/chips/$label$i.sock" --store "$t/st-$label-$i-b" --timeout 20 \
				>"$t/m-$label-$i-b.out" 2>"$t/m-$label-$i-b.log" &
			mpid[$((100 + i))]=$!
		fi
	done
	local fails=0 conflicts=0 others=0 retried=0 args=() clash=0
	for i in $(seq 40); do
		wait "${mpid[$i]}"; rc=$?
		[ $rc -eq 0 ] || fails=$((fails + 1))
		if [ "$i" -le 8 ]; then
			wait "${mpid[$((100 + i))]}"; local rc2=$?
			# both at once: one wins; the other is told ALREADY (exit 0)
			# or CONFLICT (exit 20), never anything else
			if [ $rc -ne 0 ] || [ $rc2 -ne 0 ]; then
				if [ $rc -eq 20 ] || [ $rc2 -eq 20 ]; then conflicts=$((conflicts + 1)); fi
				[ $rc -eq 0 ] || [ $rc2 -eq 0 ] || others=$((others + 1))
				{ [ $rc -eq 0 ] || [ $rc -eq 20 ]; } && { [ $rc2 -eq 0 ] || [ $rc2 -eq 20 ]; } ||
					others=$((others + 1))
			fi
			[ $rc -eq 0 ] && fails=$((fails - 0))
		elif [ $rc -ne 0 ]; then
			others=$((others + 1))
		fi
	done
	check "$label: 40 devices, 20 per SPP at random, chips 1-8 on both SPPs at once: every single-connection device exit 0; each double pair had a winner and the loser got ALREADY or CONFLICT ($conflicts CONFLICT)" \
		test $others -eq 0
	# re-run every device that did not finish: ALREADY, same identity
	for i in $(seq 40); do
		for x in a b; do
			[ -f "$t/m-$label-$i-$x.out" ] || continue
			if [ -z "$(agent_id "$t/m-$label-$i-$x.out")" ]; then
				"$bin/chipkey-agent" provision $(station) --spp "127.0.0.1:${port[$((RANDOM % 2 + 1))]}" \
					--device "emu:$t/chips/$label$i.sock" --store "$t/st-$label-$i-$x" \
					--timeout 20 >"$t/m-$label-$i-$x.out" 2>>"$t/m-$label-$i-$x.log"
				retried=$((retried + 1))
			fi
		done
	done
	# every agent of a chip reports the same identity; 40 distinct ones
	: >"$t/ids-$label.got"
	for i in $(seq 40); do
		h=${chip_hex[$label$i]}
		id=$(agent_id "$t/m-$label-$i-a.out")
		args+=(--agent "$h=$id" --unwrap "$h=emu:$t/chips/$label$i.sock")
		if [ -f "$t/m-$label-$i-b.out" ] && [ "$(agent_id "$t/m-$label-$i-b.out")" != "$id" ]; then
			clash=$((clash + 1))
		fi
		echo "$id" >>"$t/ids-$label.got"
	done
	check "$label: after re-running the $retried that did not finish, all 40 chips hold an identity, both connections of a chip the same one" \
		test "$(grep -c '^[0-9]\{15\}$' "$t/ids-$label.got")" -eq 40 -a $clash -eq 0
	check "$label: 40 distinct identities, none handed out twice" \
		test "$(sort -u "$t/ids-$label.got" | grep -c .)" -eq 40
	check "$label: database invariants (each chip one identity, all backups restorable on their own device, pre-generated keys accounted for)" \
		invariants "${args[@]}"
	check "$label: pool counts: 20 free, 0 reserved, 40 issued" \
		test "$("$tbin/spp-check" counts "$DBURL" | cut -d' ' -f1-3)" = "20 0 40"
	for s in 1 2; do
		kill "${spid[$s]}"; wait "${spid[$s]}"; rc=$?
		unset "bg[spp-$label-$s]"
		check "$label: SPP $s exits cleanly (ASan/UBSan found nothing; exit $rc)" test $rc -eq 0
	done
	for i in $(seq 40); do rmchip "$label$i"; done
}

# ---- 3b. the claim race: one SPP paused between the identity claim and the
# key pair claim (CHIPKEY_PAUSE_AT, crash-test build), the other SPP
# provisions the same chip in that window.  The claim is one transaction
# that holds the chip's lock, so the other SPP waits, and no key pair is
# ever left reserved for a chip whose provisioning is already committed.
# claim_race DBURL LABEL
claim_race() {
	local label=$2 i rc1 rc2 p1 p2 paused=0 bad=0 args=() h id1 id2
	DBURL=$1
	PUBURL=$(public_of "$DBURL")
	FAC=$t/fac-race-$label
	rm -f "$t/map.txt"
	"$bin/chipkey-factory" identities --prefix 35888900 --count 10 >"$t/ids-race-$label.txt" 2>>"$t/factory.log"
	"$bin/chipkey-factory" init "$FAC" --db "$DBURL" --pool "$t/ids-race-$label.txt" --pregen 6 \
		>>"$t/factory.log" 2>&1 && save_pregen
	rm -f "$t/race-$label-1.port" "$t/race-$label-2.port"
	CHIPKEY_PAUSE_AT=store:claim-mid:1500 "$tbin/chipkey-spp-crash" --factory "$FAC" \
		--db "$DBURL" --public-db "$PUBURL" --listen 127.0.0.1:0 --port-file "$t/race-$label-1.port" --timeout 20 \
		2>>"$t/race-$label-spp1.log" &
	bg[race-$label-1]=$!
	"$abin/chipkey-spp" --factory "$FAC" --db "$DBURL" --public-db "$PUBURL" --listen 127.0.0.1:0 \
		--port-file "$t/race-$label-2.port" --timeout 20 2>>"$t/race-$label-spp2.log" &
	bg[race-$label-2]=$!
	wait_file "$t/race-$label-1.port" && wait_file "$t/race-$label-2.port" ||
		nok "$label: claim race: two SPPs start"
	p1=$(cat "$t/race-$label-1.port") p2=$(cat "$t/race-$label-2.port")
	for i in 1 2 3; do
		mkchip "race$label$i" || nok "$label: claim race: emulator $i starts"
		h=${chip_hex[race$label$i]}
		"$bin/chipkey-agent" provision $(station) --spp "127.0.0.1:$p1" \
			--device "emu:$t/chips/race$label$i.sock" --store "$t/race-$label-$i-a" --timeout 20 \
			>"$t/race-$label-$i-a.out" 2>"$t/race-$label-$i-a.log" &
		local a=$!
		sleep 0.3
		"$bin/chipkey-agent" provision $(station) --spp "127.0.0.1:$p2" \
			--device "emu:$t/chips/race$label$i.sock" --store "$t/race-$label-$i-b" --timeout 20 \
			>"$t/race-$label-$i-b.out" 2>"$t/race-$label-$i-b.log"
		rc2=$?
		wait $a; rc1=$?
		# one of the two provisions the chip; the other gets ALREADY or CONFLICT
		{ [ $rc1 -eq 0 ] || [ $rc2 -eq 0 ]; } &&
			{ [ $rc1 -eq 0 ] || [ $rc1 -eq 20 ]; } && { [ $rc2 -eq 0 ] || [ $rc2 -eq 20 ]; } ||
			{ bad=$((bad + 1)); echo "# claim race $label chip $i: exits $rc1 $rc2" >>"$t/inv.log"; }
		id1=$(agent_id "$t/race-$label-$i-a.out") id2=$(agent_id "$t/race-$label-$i-b.out")
		[ -z "$id1" ] || [ -z "$id2" ] || [ "$id1" = "$id2" ] || bad=$((bad + 1))
		args+=(--unwrap "$h=emu:$t/chips/race$label$i.sock")
		[ -n "$id1" ] && args+=(--agent "$h=$id1")
		[ -n "$id2" ] && args+=(--agent "$h=$id2")
	done
	paused=$(grep -c 'test pause at store:claim-mid' "$t/race-$label-spp1.log")
	check "$label: claim race (3 chips, SPP 1 paused 1.5 s between its identity and key pair claims, SPP 2 provisioning the chip meanwhile; paused $paused times): one agent provisions, the other gets ALREADY or CONFLICT" \
		test $bad -eq 0 -a "$paused" -ge 3
	check "$label: claim race: database invariants (no key pair left reserved for a provisioned chip)" \
		invariants "${args[@]}"
	for i in 1 2; do
		kill "${bg[race-$label-$i]}"; wait "${bg[race-$label-$i]}"
		unset "bg[race-$label-$i]"
	done
	for i in 1 2 3; do rmchip "race$label$i"; done
}

claim_race "sqlite:$t/race.db" sqlite
if [ $pg_up -eq 1 ]; then
	claim_race "$("$top/scripts/pg-test-server.sh" createdb "$pg" race)" pg
else
	skip "pg: claim race" "no PostgreSQL server"
fi

# ---- 3c. a worker that cannot open the store fails the start (no silent
# degradation to fewer workers): a role allowed 3 connections, 6 workers
if [ $pg_up -eq 1 ]; then
	psql -X -q -v ON_ERROR_STOP=1 "$("$top/scripts/pg-test-server.sh" url "$pg")" \
		-c "CREATE ROLE limited LOGIN CONNECTION LIMIT 3" \
		-c "CREATE DATABASE limited OWNER limited" >>"$t/script.log" 2>&1
	lurl=$("$top/scripts/pg-test-server.sh" url "$pg" | sed 's|//postgres@\(.*\)/postgres?|//limited@\1/limited?|')
	rm -f "$t/limited.port"
	timeout 30 "$abin/chipkey-spp" --factory "$t/fac-race-pg" --db "$lurl" --public-db "$lurl" --listen 127.0.0.1:0 \
		--workers 6 --port-file "$t/limited.port" 2>"$t/limited.log"
	rc=$?
	check "pg: 6 workers but only 3 connections allowed: chipkey-spp refuses to start (exit $rc, want 8), names the worker, never listens" \
		bash -c "test $rc -eq 8 && grep -q 'store (worker [0-9] of 6)' '$t/limited.log' && test ! -e '$t/limited.port'"
	"$abin/chipkey-spp" --factory "$t/fac-race-pg" --db "$lurl" --public-db "$lurl" --listen 127.0.0.1:0 \
		--workers 1 --port-file "$t/limited.port" 2>>"$t/limited.log" &
	lpid=$!
	wait_file "$t/limited.port"
	check "pg: ... and starts with 1 worker on the same role (3 connections: the worker's and the publisher's two)" test $? -eq 0
	kill $lpid; wait $lpid
else
	skip "pg: a worker that cannot open the store fails the start" "no PostgreSQL server"
fi

# ---- 3d. the PostgreSQL server restarts (pg_ctl restart -m fast) while an
# SPP runs: every connection of the SPP (its workers', its publisher's two)
# is closed by the server; the next call on each opens a new one
# (docs/databases.md, "When the database restarts").  The sessions after
# the restart are served, and their records published before DONE, as
# before it.
# restart_prov NAME: provisions chip NAME on the restart SPP: exit 0 and
# its record in the public store (DONE comes after the publication)
restart_prov() {
	local h=${chip_hex[$1]} rc
	"$bin/chipkey-agent" provision $(station) --spp "127.0.0.1:$(cat "$t/restart.port")" \
		--device "emu:$t/chips/$1.sock" --store "$t/st-$1" --timeout 20 \
		>"$t/$1.out" 2>"$t/$1.log"
	rc=$?
	[ $rc -eq 0 ] && [ -n "$(agent_id "$t/$1.out")" ] &&
		[ "$(psql -X -At "$DBURL" -c "SELECT count(*) FROM chipkey_public.public_records WHERE chip_id = decode('$h', 'hex')" 2>>"$t/script.log")" = 1 ] ||
		{ echo "# restart: $1: agent exit $rc" >>"$t/inv.log"; return 1; }
}
if [ $pg_up -eq 1 ]; then
	DBURL=$("$top/scripts/pg-test-server.sh" createdb "$pg" restart)
	PUBURL=$DBURL
	FAC=$t/fac-restart
	"$bin/chipkey-factory" identities --prefix 35888600 --count 10 >"$t/ids-restart.txt" 2>>"$t/factory.log"
	"$bin/chipkey-factory" init "$FAC" --db "$DBURL" --pool "$t/ids-restart.txt" >>"$t/factory.log" 2>&1
	for i in 0 1 2 3 4; do mkchip "rs$i" || nok "restart: emulator $i starts"; done
	rm -f "$t/restart.port"
	"$abin/chipkey-spp" --factory "$FAC" --db "$DBURL" --public-db "$PUBURL" --listen 127.0.0.1:0 \
		--workers 2 --port-file "$t/restart.port" --timeout 10 2>>"$t/restart-spp.log" &
	bg[spp-restart]=$!
	wait_file "$t/restart.port"
	check "pg restart: an SPP with 2 workers provisions and publishes a chip" restart_prov rs0
	"$top/scripts/pg-test-server.sh" restart "$pg" 2>>"$t/script.log"
	check "pg restart: pg_ctl restart -m fast while the SPP runs" test $? -eq 0
	bad=0
	for i in 1 2 3 4; do restart_prov "rs$i" || bad=$((bad + 1)); done
	check "pg restart: after the restart, 4 chips in a row provisioned and published before DONE ($bad failed)" \
		test $bad -eq 0
	check "pg restart: ... no session logged a pending publication" \
		bash -c "! grep -q 'publication pending' '$t/restart-spp.log'"
	kill "${bg[spp-restart]}"; wait "${bg[spp-restart]}"; rc=$?
	unset "bg[spp-restart]"
	check "pg restart: the SPP exits cleanly (ASan/UBSan found nothing; exit $rc)" test $rc -eq 0
	for i in 0 1 2 3 4; do rmchip "rs$i"; done
else
	skip "pg: a restart of the PostgreSQL server while an SPP runs" "no PostgreSQL server"
fi

multi "sqlite:$t/multi.db" sqlite
if [ $pg_up -eq 1 ]; then
	multi "$("$top/scripts/pg-test-server.sh" createdb "$pg" multi)" pg
else
	skip "pg: two SPPs sharing one PostgreSQL identity pool" "no PostgreSQL server"
fi

# ---- 4. crash safety on PostgreSQL (a few rounds; SQLite has the full run)
rounds=${PG_CRASH_ROUNDS:-3}
if [ $pg_up -eq 1 ] && [ "$rounds" -gt 0 ]; then
	url=$("$top/scripts/pg-test-server.sh" createdb "$pg" crash)
	sub "[pg]" env CRASH_DB="$url" CRASH_ROUNDS="$rounds" BUILD="$BUILD" "$here/test-crash.sh"
else
	skip "[pg] test-crash.sh on PostgreSQL" "no PostgreSQL server or PG_CRASH_ROUNDS=0"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
