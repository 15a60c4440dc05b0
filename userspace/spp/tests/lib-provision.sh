# SPDX-License-Identifier: GPL-2.0
# Shared helpers for test-crash.sh and test-pg.sh (sourced, bash).
# Needs: BUILD, t (scratch dir), DBURL, FAC (factory dir); PUBURL (the
# public database; on SQLite its own file, docs/databases.md "Databases apart").
bin=$BUILD/bin
tbin=$BUILD/tests/spp
emu=${CHIPKEY_EMU:-$bin/chipkey-emu}

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; lap; }
# lap: "# N.NN s" since the previous result (where the time goes)
t_lap=$EPOCHREALTIME
lap() { local now=$EPOCHREALTIME; echo "# $(awk -v a="$t_lap" -v b="$now" 'BEGIN { printf "%.2f", b - a }') s"; t_lap=$now; }

# station: the factory line station credential of $FAC (chipkey-spp
# requires it: mutual TLS), as chipkey-agent arguments (unquoted: no spaces)
station() { echo --station-cert "$FAC/station-cert.pem" --station-key "$FAC/station-key.pem"; }

# public_of DBURL: the public database of a factory database, as the tests
# name it (SQLite X.db -> X-public.db; PostgreSQL: the same database)
public_of() { case "$1" in sqlite:*) echo "${1%.db}-public.db" ;; *) echo "$1" ;; esac; }

# pids of long-lived helpers (emulators, servers), killed at exit
declare -A bg=()
wait_file() { for ((w = 0; w < 300; w++)); do [ -s "$1" ] && return 0; sleep 0.01; done; return 1; }

# vendor_ca: the chip vendor's CA ($t/vendor-ca.{key,pem}), made once
vendor_ca() {
	[ -s "$t/vendor-ca.pem" ] ||
		"$bin/chipkey-fuse" ca --out-key "$t/vendor-ca.key" --out-cert "$t/vendor-ca.pem" \
			>/dev/null 2>>"$t/fuse.log"
}

# mkchip NAME: fuse image with the factory's ROM key and a chip certificate
# from the vendor CA, loaded into the chip batch of $DBURL (the SPP serves
# only chips of the batch) + an emulator on it.  Sets chip_hex[NAME].
declare -A chip_hex=() emu_pid=()
mkchip() {
	local name=$1 hex=
	mkdir -p "$t/chips"
	if [ ! -e "$t/chips/$name.bin" ]; then
		vendor_ca || return 1
		"$bin/chipkey-fuse" create "$t/chips/$name.bin" --rom-key "$FAC/mfr-pubkey.der" \
			--cert "$t/chips/$name.pem" --ca-key "$t/vendor-ca.key" \
			--ca-cert "$t/vendor-ca.pem" >/dev/null 2>>"$t/fuse.log" || return 1
		"$bin/chipkey-factory" load-chips --db "$DBURL" --chip-ca "$t/vendor-ca.pem" \
			"$t/chips/$name.pem" >/dev/null 2>>"$t/fuse.log" || return 1
	fi
	rm -f "$t/chips/$name.sock"
	"$emu" --state "$t/chips/$name.bin" --socket "$t/chips/$name.sock" --foreground \
		2>>"$t/emu.log" &
	emu_pid[$name]=$!
	bg[emu-$name]=$!
	# the socket file appears at bind(), before listen(): retry the first
	# connection until the emulator answers
	for ((w = 0; w < 300; w++)); do
		if [ -S "$t/chips/$name.sock" ]; then
			hex=$("$bin/chipkey" --device "emu:$t/chips/$name.sock" info --json 2>/dev/null |
				sed -n 's/.*"chip_id": *"\([0-9a-f]*\)".*/\1/p')
			[ ${#hex} -eq 32 ] && break
		fi
		sleep 0.01
	done
	[ ${#hex} -eq 32 ] || return 1
	chip_hex[$name]=$hex
}
rmchip() {
	local p=${emu_pid[$1]:-}
	[ -n "$p" ] && { kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; }
	unset "bg[emu-$1]" "emu_pid[$1]"
}

# dump_db OUT: the four tables, one read transaction, straight from the
# database (the format is in invariants.c).  On SQLite the public records
# ("P") are the factory store's issued records (written in the commit's
# transaction); published_ok checks that they reach the public file.
dump_db() {
	local out=$1
	case "$DBURL" in
	sqlite:*)
		sqlite3 -batch -noheader -separator ' ' "${DBURL#sqlite:}" >"$out" 2>>"$t/dump.log" <<-'SQL'
		.timeout 15000
		BEGIN;
		SELECT 'P', lower(hex(chip_id)), generation, identity, lower(hex(backup)), lower(hex(cert)) FROM issued_records;
		SELECT 'S', lower(hex(chip_id)), identity, generation, lower(hex(data)) FROM device_secrets;
		SELECT 'I', identity, state, CASE WHEN chip_id IS NULL THEN '-' ELSE lower(hex(chip_id)) END FROM identity_pool;
		SELECT 'K', id, lower(hex(pub)), CASE WHEN chip_id IS NULL THEN '-' ELSE lower(hex(chip_id)) END FROM keypair_pool;
		COMMIT;
		SQL
		;;
	*)
		psql -X -q -At -F ' ' -v ON_ERROR_STOP=1 "$DBURL" >"$out" 2>>"$t/dump.log" <<-'SQL'
		BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
		SELECT 'P', encode(chip_id, 'hex'), generation, identity, encode(backup, 'hex'), encode(cert, 'hex') FROM issued_records;
		SELECT 'S', encode(chip_id, 'hex'), identity, generation, encode(data, 'hex') FROM device_secrets;
		SELECT 'I', identity, state, coalesce(encode(chip_id, 'hex'), '-') FROM identity_pool;
		SELECT 'K', id, encode(pub, 'hex'), coalesce(encode(chip_id, 'hex'), '-') FROM keypair_pool;
		COMMIT;
		SQL
		;;
	esac
}

# published_ok: (SQLite, sqlite3 CLI) the outbox is empty, every issued
# record is in the public database byte for byte, and the public database
# holds no record the factory did not issue: after a restart of the SPP,
# which drains the outbox before it listens.  PostgreSQL (psql): the public
# store is the schema chipkey_public of the same database.
published_ok() {
	local got
	case "$DBURL" in
	sqlite:*)
		got=$(sqlite3 -batch "${DBURL#sqlite:}" ".timeout 15000" "ATTACH '${PUBURL#sqlite:}' AS p;
			SELECT (SELECT count(*) FROM issued_records WHERE published IS NULL),
			(SELECT count(*) FROM issued_records i WHERE NOT EXISTS (SELECT 1 FROM p.public_records r
			 WHERE r.chip_id = i.chip_id AND r.generation = i.generation AND r.identity = i.identity
			 AND r.backup = i.backup AND r.cert = i.cert AND r.signed_record IS i.signed_record)),
			(SELECT count(*) FROM p.public_records r WHERE NOT EXISTS (SELECT 1 FROM issued_records i
			 WHERE r.chip_id = i.chip_id AND r.generation = i.generation))" 2>>"$t/dump.log")
		;;
	*)	# the public store: schema chipkey_public of the same database
		[ "$PUBURL" = "$DBURL" ] || return 0
		got=$(psql -X -q -At -v ON_ERROR_STOP=1 "$DBURL" -c "
			SELECT (SELECT count(*) FROM issued_records WHERE published IS NULL) || '|' ||
			(SELECT count(*) FROM issued_records i WHERE NOT EXISTS (SELECT 1 FROM chipkey_public.public_records r
			 WHERE r.chip_id = i.chip_id AND r.generation = i.generation AND r.identity = i.identity
			 AND r.backup = i.backup AND r.cert = i.cert AND r.signed_record IS NOT DISTINCT FROM i.signed_record)) || '|' ||
			(SELECT count(*) FROM chipkey_public.public_records r WHERE NOT EXISTS (SELECT 1 FROM issued_records i
			 WHERE r.chip_id = i.chip_id AND r.generation = i.generation))" 2>>"$t/dump.log")
		;;
	esac
	[ "$got" = "0|0|0" ] && return 0
	echo "# publication: outbox, issued but not public, public but not issued: $got" >>"$t/inv.log"
	return 1
}

# The public keys of all pre-generated key pairs, right after loading them.
save_pregen() {
	dump_db "$t/dump0.txt" && awk '$1 == "K" { print $3 }' "$t/dump0.txt" >"$t/pregen.txt"
}

# invariants [spp-check args...]: dump + check; keeps the chip -> identity
# map of the previous call (--prev).  Output (all "# ...") is appended to
# $t/inv.log; returns 1 on any violation.
invariants() {
	local rc
	dump_db "$t/dump.txt" || { echo "# cannot dump the database" >>"$t/inv.log"; return 1; }
	"$tbin/spp-check" invariants "$t/dump.txt" "$FAC" "$t/pregen.txt" \
		--prev "$t/map.txt" --save "$t/map.new" "$@" >>"$t/inv.log" 2>&1
	rc=$?
	[ -s "$t/map.new" ] && mv "$t/map.new" "$t/map.txt"
	return $rc
}

# agent_id FILE: the identity an agent printed on success
agent_id() { sed -n 's/^\(already \)\{0,1\}provisioned: identity \([0-9]\{15\}\).*/\2/p' "$1" | head -1; }

kill_bg() {
	local p
	for p in "${bg[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${bg[@]}"; do wait "$p" 2>/dev/null; done
}
