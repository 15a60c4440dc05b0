#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end over loopback: a factory (SQLite), chipkey-spp (ASan build),
# chipkey-pubdb if built, 10 emulated devices (each its own chipkey-emu and
# fuse image) provisioned by chipkey-agent; then bad actors and bad input.
# TAP on stdout.
#
#   BUILD=.../build tests/test-spp.sh
#   CHIPKEY_EMU=/path/to/chipkey-emu overrides the emulator binary.
#   SPP_TEST_DB=URL runs the factory on that (empty) database instead of a
#   SQLite file (test-pg.sh: PostgreSQL).
set -u
BUILD=${BUILD:-$(cd "$(dirname "$0")/../../.." && pwd)/build}
bin=$BUILD/bin
abin=$BUILD/asan/bin
tbin=$BUILD/asan/tests/spp
emu=${CHIPKEY_EMU:-$bin/chipkey-emu}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
NDEV=10

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }

t=$(mktemp -d /tmp/chipkey-test-spp-XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	if [ "$failed" -gt 0 ]; then
		for f in "$t"/*.log; do [ -f "$f" ] && sed "s|^|# $(basename "$f"): |" "$f" | tail -40; done
	fi
	rm -rf "$t"
}
trap cleanup EXIT

wait_file() { for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done; return 1; }

# The chip vendor: its CA certifies every chip's attestation key Q
# (docs/chip-certificates.md); the factory loads the certificates of the
# chips it expects into its batch (chipkey-factory load-chips).
"$bin/chipkey-fuse" ca --out-key "$t/vendor-ca.key" --out-cert "$t/vendor-ca.pem" >/dev/null 2>>"$t/fuse.log"
# mkchip NAME FACTORY [nobatch]: fuse image with the factory's ROM key and
# its chip certificate ($t/NAME.pem), loaded into the batch of $db unless
# "nobatch", + emulator
mkchip() {
	"$bin/chipkey-fuse" create "$t/$1.bin" --rom-key "$2/mfr-pubkey.der" --cert "$t/$1.pem" \
		--ca-key "$t/vendor-ca.key" --ca-cert "$t/vendor-ca.pem" >/dev/null 2>>"$t/fuse.log" || return 1
	if [ "${3:-}" != nobatch ]; then
		"$bin/chipkey-factory" load-chips --db "$db" --chip-ca "$t/vendor-ca.pem" "$t/$1.pem" \
			>/dev/null 2>>"$t/factory.log" || return 1
	fi
	"$emu" --state "$t/$1.bin" --socket "$t/$1.sock" --foreground 2>>"$t/emu.log" &
	pids+=($!)
	# the socket appears at bind(), before listen(): wait until it answers
	for _ in $(seq 100); do
		[ -S "$t/$1.sock" ] && [ -n "$(chip_hex "$1")" ] && return 0
		sleep 0.05
	done
	return 1
}
chip_hex() { "$bin/chipkey" --device "emu:$t/$1.sock" info --json 2>/dev/null |
	sed -n 's/.*"chip_id": *"\([0-9a-f]*\)".*/\1/p'; }

# public_of DB: the public database that goes with the factory database DB
# (SQLite: X.db -> X-public.db; test-pg.sh: SPP_TEST_PUBLIC_DB)
public_of() {
	case "$1" in
	sqlite:*) echo "${1%.db}-public.db" ;;
	*) echo "${SPP_TEST_PUBLIC_DB:-$1}" ;;
	esac
}
start_spp() { # start_spp NAME FACTORY DB [extra args]
	local name=$1 fac=$2 db=$3; shift 3
	"$abin/chipkey-spp" --factory "$fac" --db "$db" --public-db "$(public_of "$db")" --listen 127.0.0.1:0 \
		--port-file "$t/$name.port" "$@" 2>>"$t/$name.log" &
	pids+=($!)
	eval "${name}_pid=$!"
	wait_file "$t/$name.port"
}

# ---- factory
db=${SPP_TEST_DB:-sqlite:$t/factory.db}	# test-pg.sh: an empty PostgreSQL database
"$bin/chipkey-factory" identities --prefix 35123400 --count 40 >"$t/ids.txt" 2>>"$t/factory.log"
"$bin/chipkey-factory" init "$t/fac" --db "$db" --pool "$t/ids.txt" --pregen 5 >>"$t/factory.log" 2>&1
check "factory init with identity pool and 5 pre-generated key pairs" test $? -eq 0
# the factory line station credential (mutual TLS to the SPP)
ST="--station-cert $t/fac/station-cert.pem --station-key $t/fac/station-key.pem"
openssl x509 -in "$t/fac/station-cert.pem" -noout -text >"$t/station.txt" 2>/dev/null
check "factory init: station credential (key + certificate, both 0600; OU=chipkey-station, clientAuth only, CA:FALSE; chains to the manufacturer CA for TLS clients)" \
	bash -c "test \$(stat -c %a '$t/fac/station-key.pem') = 600 && test \$(stat -c %a '$t/fac/station-cert.pem') = 600 &&
		grep -q 'OU *= *chipkey-station' '$t/station.txt' && grep -q 'TLS Web Client Authentication' '$t/station.txt' &&
		! grep -q 'TLS Web Server Authentication' '$t/station.txt' && grep -q 'CA:FALSE' '$t/station.txt' &&
		openssl verify -purpose sslclient -CAfile '$t/fac/mfr-ca.pem' -untrusted '$t/fac/ica-cert.pem' '$t/fac/station-cert.pem' >/dev/null 2>&1 &&
		! openssl verify -purpose sslserver -CAfile '$t/fac/mfr-ca.pem' -untrusted '$t/fac/ica-cert.pem' '$t/fac/station-cert.pem' >/dev/null 2>&1"
# the root key goes offline (docs/factory-pki.md): the SPP never reads it
mv "$t/fac/mfr-key.pem" "$t/root-key-offline.pem"
check "the manufacturer root key is moved out of the factory directory" \
	test ! -e "$t/fac/mfr-key.pem" -a -s "$t/root-key-offline.pem"
check "spp starts on a random loopback port (root key absent)" start_spp spp "$t/fac" "$db" --workers 8 --timeout 3 --max-per-ip 20
port=$(cat "$t/spp.port")
SPP=127.0.0.1:$port

pubdb_url=
if [ -x "$bin/chipkey-pubdb" ]; then
	"$bin/chipkey-pubdb" --db "$(public_of "$db")" --listen 127.0.0.1:0 --writers "$t/fac/mfr-ca.pem" \
		--port-file "$t/pubdb.port" 2>>"$t/pubdb.log" &
	pids+=($!)
	wait_file "$t/pubdb.port" && pubdb_url=http://127.0.0.1:$(cat "$t/pubdb.port")
fi

# ---- 10 devices at once
for i in $(seq $NDEV); do mkchip "d$i" "$t/fac" || nok "emulator d$i starts"; done
apids=()
for i in $(seq $NDEV); do
	"$abin/chipkey-agent" provision $ST --spp "$SPP" --device "emu:$t/d$i.sock" \
		--store "$t/store$i" >"$t/agent$i.out" 2>"$t/agent$i.log" &
	apids+=($!)
done
for i in $(seq $NDEV); do
	wait "${apids[$((i - 1))]}"
	check "device $i provisioned (agent exit 0)" test $? -eq 0
done
for i in $(seq $NDEV); do
	openssl x509 -inform DER -in "$t/store$i/device-cert.der" -out "$t/cert$i.pem" 2>/dev/null
	check "device $i: openssl verify -CAfile <manufacturer CA> accepts its certificate" \
		bash -c "openssl verify -CAfile '$t/fac/mfr-ca.pem' -untrusted '$t/fac/ica-cert.pem' '$t/cert$i.pem' >/dev/null 2>&1"
	hex=$(chip_hex "d$i")
	id=$(tr -d '\n' <"$t/store$i/identity")
	check "device $i: certificate text shows identity and chip ID" \
		bash -c "openssl x509 -in '$t/cert$i.pem' -noout -text | grep -q 'CN *= *$id' &&
			 openssl x509 -in '$t/cert$i.pem' -noout -text | grep -q 'chip-id:$hex'"
	# the chipkeyChipAttestationKey extension, read with openssl asn1parse:
	# its OID, then (no critical flag between) the OCTET STRING holding the
	# DER SPKI, which must be the chip certificate's (Debian 12's
	# python3-cryptography cannot parse 2.25 OIDs of UUID size)
	ext=$(openssl asn1parse -inform DER -in "$t/store$i/device-cert.der" 2>/dev/null |
		grep -A1 ':2.25.150369157376766404936511867947329402419$' | tail -1)
	spki=$(openssl x509 -in "$t/d$i.pem" -noout -pubkey 2>/dev/null | openssl pkey -pubin -outform DER 2>/dev/null |
		od -An -v -tx1 | tr -d ' \n' | tr a-f A-F)
	check "device $i: its certificate names the chip's attestation key (openssl asn1parse: a non-critical chipkeyChipAttestationKey holding the chip certificate's SPKI)" \
		bash -c "test ${#spki} -eq 182 && [[ '$ext' == *'OCTET STRING'*'[HEX DUMP]:$spki' ]]"
	other=$((i % NDEV + 1))
	check "device $i: backup unwraps on its own device to the data package (store, public and secret records agree), not on d$other" \
		"$tbin/spp-check" device "$db|$(public_of "$db")" "$t/fac" "$t/store$i" "emu:$t/d$i.sock" "emu:$t/d$other.sock"
done
check "10 distinct identities issued" \
	test "$(cat "$t"/store*/identity | sort -u | wc -l)" -eq $NDEV
c=$("$tbin/spp-check" counts "$db")
check "pool: 10 issued, none reserved; the 5 pre-generated keys were used and deleted (counts: $c)" \
	test "$c" = "30 0 10 0 0"
if [ -n "$pubdb_url" ]; then
	hex=$(chip_hex d1)
	curl -sf "$pubdb_url/v1/chips/$hex/backup" -o "$t/pub1.pkg"
	check "pubdb serves device 1's backup by chip ID, byte-identical to the flash store" \
		cmp -s "$t/pub1.pkg" "$t/store1/backup.pkg"
	curl -sf "$pubdb_url/v1/chips/$hex/record" -o "$t/pub1.p7"
	check "the SPP's record of device 1 (GET .../record) passes openssl cms -verify against the manufacturer CA; its body is a CKPR record" \
		bash -c "openssl cms -verify -inform DER -binary -purpose any -CAfile '$t/fac/mfr-ca.pem' \
			-in '$t/pub1.p7' -out '$t/pub1.body' 2>/dev/null && test \"\$(head -c 4 '$t/pub1.body')\" = CKPR"
else
	skip "pubdb serves device 1's backup" "chipkey-pubdb not built"
fi

# ---- databases apart (docs/databases.md): the public database is its own
# file, which chipkey-pubdb opens; it refuses any file with factory tables
if [ "${db#sqlite:}" != "$db" ]; then
	fdb=${db#sqlite:} pdb=$(public_of "$db"); pdb=${pdb#sqlite:}
	tables() { sqlite3 -batch "$1" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name" | tr '\n' ' '; }
	check "the public database holds the public tables only (sqlite3: $(tables "$pdb"))" \
		test "$(tables "$pdb")" = "public_records public_voids "
	check "the factory database holds no public table (sqlite3: $(tables "$fdb"))" \
		bash -c "test -n '$(tables "$fdb")' && ! sqlite3 -batch '$fdb' \"SELECT name FROM sqlite_master WHERE name LIKE 'public%'\" | grep -q ."
	check "every issued record is published byte for byte and the outbox is empty (sqlite3, ATTACH)" \
		test "$(sqlite3 -batch "$fdb" "ATTACH '$pdb' AS p;
			SELECT count(*), sum(i.published IS NULL), sum(r.chip_id IS NULL) FROM issued_records i
			LEFT JOIN p.public_records r ON r.chip_id = i.chip_id AND r.generation = i.generation
			AND r.identity = i.identity AND r.backup = i.backup AND r.cert = i.cert
			AND r.signed_record IS i.signed_record")" = "$NDEV|0|0"
	if [ -x "$bin/chipkey-pubdb" ]; then
		rm -f "$t/evil.port"
		"$bin/chipkey-pubdb" --db "$db" --listen 127.0.0.1:0 --writers "$t/fac/mfr-ca.pem" \
			--port-file "$t/evil.port" >"$t/evil.out" 2>&1
		rc=$?
		check "chipkey-pubdb pointed at the factory database refuses to start (exit $rc, no port: $(tail -1 "$t/evil.out"))" \
			bash -c "test $rc -ne 0 && test ! -e '$t/evil.port' && grep -q \"holds the factory's tables\" '$t/evil.out'"
		# a file made with the sqlite3 CLI, not by chipkey: public tables
		# next to a secret one (a single-file database of an older release)
		sqlite3 -batch "$t/mixed.db" "CREATE TABLE public_records (chip_id BLOB); CREATE TABLE device_secrets (chip_id BLOB PRIMARY KEY, data BLOB) WITHOUT ROWID; PRAGMA user_version = 5;"
		"$bin/chipkey-pubdb" --db "sqlite:$t/mixed.db" --listen 127.0.0.1:0 --writers "$t/fac/mfr-ca.pem" \
			--port-file "$t/evil.port" >"$t/evil.out" 2>&1
		rc=$?
		check "... and a file holding public tables and device_secrets (made by the sqlite3 CLI) too (exit $rc)" \
			bash -c "test $rc -ne 0 && test ! -e '$t/evil.port' && grep -q \"holds the factory's tables\" '$t/evil.out'"
	fi
	"$abin/chipkey-spp" --factory "$t/fac" --db "$db" --public-db "$db" --listen 127.0.0.1:0 \
		--port-file "$t/evil.port" >"$t/evil.out" 2>&1
	rc=$?
	check "chipkey-spp given the factory database as its public database refuses to start (exit $rc)" \
		bash -c "test $rc -ne 0 && test ! -e '$t/evil.port' && grep -q \"holds the factory's tables\" '$t/evil.out'"
	"$abin/chipkey-spp" --factory "$t/fac" --db "$(public_of "$db")" --public-db "$(public_of "$db")" \
		--listen 127.0.0.1:0 --port-file "$t/evil.port" >"$t/evil.out" 2>&1
	rc=$?
	check "chipkey-spp given the public database as its factory database refuses to start (exit $rc)" \
		bash -c "test $rc -ne 0 && test ! -e '$t/evil.port' && grep -q 'is a public database, not a factory one' '$t/evil.out'"
	"$abin/chipkey-spp" --factory "$t/fac" --db "$db" --listen 127.0.0.1:0 >/dev/null 2>&1
	check "chipkey-spp without --public-db: usage error (exit $?)" test $? -eq 1
fi

# ---- re-provisioning an already provisioned chip
"$abin/chipkey-agent" provision $ST --spp "$SPP" --device "emu:$t/d1.sock" --store "$t/again1" \
	>"$t/again.out" 2>"$t/again.log"
check "re-provisioning device 1 succeeds (exit 0)" test $? -eq 0
check "... answered ALREADY with the same identity" \
	bash -c "grep -q 'already provisioned' '$t/again.out' && cmp -s '$t/again1/identity' '$t/store1/identity'"
check "... and the same backup, no new identity issued" \
	bash -c "cmp -s '$t/again1/backup.pkg' '$t/store1/backup.pkg' && test \"\$('$tbin/spp-check' counts '$db')\" = '30 0 10 0 0'"

# ---- the agent's other exit codes (common/exit.h)
: >"$t/not-a-dir"
"$abin/chipkey-agent" provision $ST --spp "$SPP" --device "emu:$t/d1.sock" \
	--store "$t/not-a-dir/store" >/dev/null 2>"$t/nodir.log"
rc=$?
check "a flash store that cannot be written: exit 14 (store-write), says why (exit $rc)" \
	bash -c "test $rc -eq 14 && grep -q 'cannot write the flash store' '$t/nodir.log'"
"$abin/chipkey-agent" provision $ST --spp "$SPP" --device "emu:$t/nochip.sock" \
	--store "$t/nochip" >/dev/null 2>"$t/nochip.log"
rc=$?
check "no chip behind --device: exit 2 (no-device), no store (exit $rc)" \
	bash -c "test $rc -eq 2 && grep -q 'cannot read the chip' '$t/nochip.log' && test ! -e '$t/nochip'"
"$abin/chipkey-agent" provision --spp "$SPP" >/dev/null 2>&1
rc=$?
check "no --store: exit 1 (usage) (exit $rc)" test $rc -eq 1
# HOST:PORT as docs/cli.md says: a port out of range (the resolver would
# wrap 99999 to 34463) or a service name is a usage error, nothing dialled
for hp in 127.0.0.1:99999 127.0.0.1:ssh; do
	"$abin/chipkey-agent" provision $ST --spp "$hp" --device "emu:$t/d1.sock" --store "$t/hp" \
		>/dev/null 2>&1
	rc=$?
	check "chipkey-agent --spp $hp: exit 1 (usage), no store (exit $rc)" \
		bash -c "test $rc -eq 1 && test ! -e '$t/hp'"
	"$abin/chipkey-spp" --factory "$t/fac" --db "$db" --public-db "$(public_of "$db")" --listen "$hp" \
		>/dev/null 2>&1
	rc=$?
	check "chipkey-spp --listen $hp: exit 1 (usage) (exit $rc)" test $rc -eq 1
done

# ---- an SPP not chained to the ROM key
"$bin/chipkey-factory" init "$t/rogue" --db "sqlite:$t/rogue.db" --pool "$t/ids.txt" >>"$t/factory.log" 2>&1
start_spp rogue "$t/rogue" "sqlite:$t/rogue.db"
mkchip victim "$t/fac"
"$abin/chipkey-agent" provision $ST --spp "127.0.0.1:$(cat "$t/rogue.port")" --device "emu:$t/victim.sock" \
	--store "$t/victim" >/dev/null 2>"$t/victim.log"
rc=$?
check "device refuses an SPP whose credential does not chain to its ROM key (exit $rc, want 19)" test $rc -eq 19
check "... says why" grep -q "does not chain to the manufacturer key" "$t/victim.log"
check "... and sent nothing: the rogue SPP saw no HELLO, wrote no store" \
	bash -c "! grep -q 'chip=[0-9a-f]' '$t/rogue.log' && test ! -e '$t/victim/store.json' && test \"\$('$tbin/spp-check' counts 'sqlite:$t/rogue.db')\" = '40 0 0 0 0'"

# ---- devices misbehaving after the OFFER, and a station without the chip
# (a stolen station credential): it can name a chip of the batch, but it
# cannot open the sealed OFFER nor make the chip's MAC, so nothing it sends
# is committed
mkchip other "$t/fac"
declare -A want=([truncate]=BAD_BACKUP [tamper]=BAD_PROOF [bad-mac]=BAD_PROOF [garbage]=BAD_PROOF)
for f in truncate tamper bad-mac garbage; do
	mkchip "bad-$f" "$t/fac"
	"$tbin/chipkey-agent-faulty" provision $ST --spp "$SPP" --device "emu:$t/bad-$f.sock" \
		--store "$t/bad-$f" --fault "$f" >/dev/null 2>"$t/bad-$f.log"
	rc=$?
	check "fault $f: SPP refuses with ${want[$f]} (exit $rc)" \
		bash -c "test $rc -eq 20 && grep -q 'SPP refused: ${want[$f]}' '$t/bad-$f.log'"
	check "fault $f: nothing committed for that chip" \
		"$tbin/spp-check" nothing "$db|$(public_of "$db")" "$(chip_hex "bad-$f")"
done
mkchip bad-other-chip "$t/fac"
"$tbin/chipkey-agent-faulty" provision $ST --spp "$SPP" --device "emu:$t/bad-other-chip.sock" \
	--store "$t/bad-other-chip" --fault other-chip --other-device "emu:$t/other.sock" \
	>/dev/null 2>"$t/bad-other-chip.log"
rc=$?
check "fault other-chip: another chip cannot open the package sealed to this one (agent exit $rc, want 4: another chip's package)" \
	bash -c "test $rc -eq 4 && grep -q 'the chip refused the sealed package' '$t/bad-other-chip.log'"
check "fault other-chip: nothing committed for either chip" \
	bash -c "'$tbin/spp-check' nothing '$db' '$(chip_hex bad-other-chip)' && '$tbin/spp-check' nothing '$db' '$(chip_hex other)'"
c=$("$tbin/spp-check" counts "$db")
check "after the faults: still 10 issued, 5 reserved (counts: $c)" test "$c" = "25 5 10 0 0"
"$abin/chipkey-agent" provision $ST --spp "$SPP" --device "emu:$t/bad-tamper.sock" --store "$t/retry" \
	>/dev/null 2>"$t/retry.log"
check "an honest retry of a refused chip completes" test $? -eq 0
check "... and gets the identity reserved for it (no second identity)" \
	test "$("$tbin/spp-check" counts "$db")" = "25 4 11 0 0"

# ---- what a stolen station credential no longer gives
c0=$("$tbin/spp-check" counts "$db")
mkchip outsider "$t/fac" nobatch
"$abin/chipkey-agent" provision $ST --spp "$SPP" --device "emu:$t/outsider.sock" \
	--store "$t/outsider" >/dev/null 2>"$t/outsider.log"
rc=$?
check "a genuine chip outside the loaded batch: ERROR NOT_IN_BATCH (exit $rc, want 20), no store" \
	bash -c "test $rc -eq 20 && grep -q 'SPP refused: NOT_IN_BATCH' '$t/outsider.log' && test ! -e '$t/outsider/store.json'"
for k in $(seq 12); do
	"$tbin/chipkey-agent-faulty" provision $ST --spp "$SPP" --device "emu:$t/other.sock" \
		--store "$t/rnd" --fault random-chip >/dev/null 2>"$t/rnd-$k.log" || true
done
check "12 HELLOs with random chip IDs and keys: each refused NOT_IN_BATCH" \
	test "$(grep -l 'SPP refused: NOT_IN_BATCH' "$t"/rnd-*.log | wc -l)" -eq 12
"$tbin/chipkey-agent-faulty" provision $ST --spp "$SPP" --device "emu:$t/other.sock" \
	--store "$t/wq" --fault wrong-q >/dev/null 2>"$t/wrong-q.log"
rc=$?
check "HELLO naming a chip of the batch with another attestation key: NOT_IN_BATCH (exit $rc)" \
	bash -c "test $rc -eq 20 && grep -q 'SPP refused: NOT_IN_BATCH' '$t/wrong-q.log'"
check "... and none of them reserved an identity or key pair (pool counts unchanged: $c0)" \
	test "$("$tbin/spp-check" counts "$db")" = "$c0"
mkchip stolen "$t/fac"
"$tbin/chipkey-agent-faulty" provision $ST --spp "$SPP" --device "emu:$t/stolen.sock" \
	--store "$t/stolen-x" --fault steal-offer --fault-out "$t/stolen.offer" >/dev/null 2>"$t/stolen-x.log"
check "a station collects the OFFER for a chip of the batch" test -s "$t/stolen.offer"
# the OFFER body: nonce (32), certificate length (4), certificate, sealed
# length (4), sealed package
python3 - "$t/stolen.offer" "$t/stolen.sealed" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
c = struct.unpack(">I", b[32:36])[0]
n = struct.unpack(">I", b[36 + c:40 + c])[0]
open(sys.argv[2], "wb").write(b[40 + c:40 + c + n])
PY
"$bin/chipkey" --device "emu:$t/other.sock" sealed-wrap "$t/stolen.sealed" "$t/stolen.bk" \
	--generation 1 >/dev/null 2>"$t/stolen-open.log"
rc=$?
check "... another chip cannot open its sealed package (chipkey sealed-wrap exit $rc)" \
	bash -c "test $rc -ne 0 && test ! -s '$t/stolen.bk'"
"$abin/chipkey-agent" provision $ST --spp "$SPP" --device "emu:$t/stolen.sock" \
	--store "$t/stolen" >/dev/null 2>"$t/stolen.log"
check "... the real chip is then provisioned (exit $?)" test -s "$t/stolen/store.json"
sid=$(tr -d '\n' <"$t/stolen/identity")
chan=$(openssl kdf -keylen 32 -kdfopt digest:SHA256 \
	-kdfopt hexkey:"$(od -An -v -tx1 "$t/fac/master.key" | tr -d ' \n')" \
	-kdfopt hexinfo:"$(printf 'chipkey v1 channel key%s' "$sid" | od -An -v -tx1 | tr -d ' \n')" HKDF 2>/dev/null |
	tr -d ':\n' | tr A-F a-f)
check "... and the stolen OFFER (same identity) does not hold its channel key in clear (openssl kdf: ${chan:0:8}...)" \
	bash -c "test ${#chan} -eq 64 && ! od -An -v -tx1 '$t/stolen.offer' | tr -d ' \n' | grep -q '$chan'"

# ---- malformed frames
# ---- reservations expire: a chip that never finishes does not hold its
# identity for good, and the key pair sealed to it is retired, never handed
# to another chip.  A factory with one identity and one pre-generated pair.
"$bin/chipkey-factory" identities --prefix 35123499 --count 1 >"$t/ids1.txt" 2>>"$t/factory.log"
"$bin/chipkey-factory" init "$t/fac1" --db "sqlite:$t/exp.db" --pool "$t/ids1.txt" --pregen 1 \
	>>"$t/factory.log" 2>&1
"$bin/chipkey-fuse" create "$t/expx.bin" --rom-key "$t/fac1/mfr-pubkey.der" --cert "$t/expx.pem" \
	--ca-key "$t/vendor-ca.key" --ca-cert "$t/vendor-ca.pem" >/dev/null 2>>"$t/fuse.log"
"$bin/chipkey-fuse" create "$t/expy.bin" --rom-key "$t/fac1/mfr-pubkey.der" --cert "$t/expy.pem" \
	--ca-key "$t/vendor-ca.key" --ca-cert "$t/vendor-ca.pem" >/dev/null 2>>"$t/fuse.log"
for c in expx expy; do
	"$emu" --state "$t/$c.bin" --socket "$t/$c.sock" --foreground 2>>"$t/emu.log" &
	pids+=($!)
done
"$bin/chipkey-factory" load-chips --db "sqlite:$t/exp.db" --chip-ca "$t/vendor-ca.pem" "$t/expx.pem" "$t/expy.pem" \
	>/dev/null 2>>"$t/factory.log"
# R: the reservation timeout.  The checks below compare whole seconds
# measured around the claims (a claim happens between the start and the end
# of an agent run) and skip, saying so, where a slow machine leaves no margin.
R=10
check "reservation expiry: an SPP with a $R s reservation timeout starts" \
	start_spp exp "$t/fac1" "sqlite:$t/exp.db" --session-timeout 1 --reservation-timeout $R
EXP=127.0.0.1:$(cat "$t/exp.port")
EST="--station-cert $t/fac1/station-cert.pem --station-key $t/fac1/station-key.pem"
for _ in $(seq 50); do [ -S "$t/expy.sock" ] && [ -n "$(chip_hex expy)" ] && break; sleep 0.1; done
t_before=$EPOCHSECONDS		# X's claim is at or after this
"$tbin/chipkey-agent-faulty" provision $EST --spp "$EXP" --device "emu:$t/expx.sock" \
	--store "$t/expx" --fault steal-offer --fault-out "$t/expx.offer" >/dev/null 2>"$t/expx.log"
tx=$EPOCHSECONDS			# ... and at or before this
python3 - "$t/expx.offer" "$t/expx-cert.der" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
c = struct.unpack(">I", b[32:36])[0]
open(sys.argv[2], "wb").write(b[36:36 + c])
PY
kx=$(openssl x509 -inform DER -in "$t/expx-cert.der" -noout -pubkey 2>/dev/null | sha256sum)
check "... chip X took the one identity and the one key pair and went away (counts: $("$tbin/spp-check" counts "sqlite:$t/exp.db"))" \
	test "$("$tbin/spp-check" counts "sqlite:$t/exp.db")" = "0 1 0 0 1"
"$abin/chipkey-agent" provision $EST --spp "$EXP" --device "emu:$t/expy.sock" --store "$t/expy0" \
	>/dev/null 2>"$t/expy0.log"
rc=$?
if [ $((EPOCHSECONDS - t_before)) -lt $((R - 1)) ]; then
	check "... chip Y at once: EXHAUSTED, X's reservation still holds (exit $rc)" \
		bash -c "test $rc -eq 20 && grep -q 'SPP refused: EXHAUSTED' '$t/expy0.log'"
else
	skip "... chip Y at once: EXHAUSTED" "the machine took $((R - 1)) s or more between the two claims"
fi
# a station re-sending HELLO for X does not extend X's reservation
sleep 3
"$tbin/chipkey-agent-faulty" provision $EST --spp "$EXP" --device "emu:$t/expx.sock" \
	--store "$t/expx" --fault steal-offer --fault-out "$t/expx2.offer" >/dev/null 2>"$t/expx-again.log"
again_late=0
[ $((EPOCHSECONDS - t_before)) -lt $((R - 1)) ] || again_late=1
if [ $again_late = 0 ]; then
	check "... X's HELLO again after 3 s gets the same reservation (an OFFER for the same identity)" \
		bash -c "test -s '$t/expx2.offer' && test \"\$('$tbin/spp-check' counts 'sqlite:$t/exp.db')\" = '0 1 0 0 1'"
else
	skip "... X's HELLO again after 3 s gets the same reservation" "the machine took $((R - 1)) s or more since the first claim"
fi
# past X's expiry: more than R s after the latest moment of its claim
while [ $((EPOCHSECONDS - tx)) -le $R ]; do sleep 0.5; done
"$abin/chipkey-agent" provision $EST --spp "$EXP" --device "emu:$t/expy.sock" --store "$t/expy" \
	>/dev/null 2>"$t/expy.log"
rc=$?
if [ $again_late = 1 ]; then
	# X's second HELLO came when its first reservation may have expired:
	# it was a new claim, which holds the identity now
	skip "... $R s after X's first claim, chip Y is provisioned with the released identity" \
		"the machine took $((R - 1)) s or more before X's second HELLO"
else
check "... $R s after X's first claim, its repeated HELLO notwithstanding, chip Y is provisioned with the released identity (exit $rc)" \
	test "$(tr -d '\n' <"$t/expy/identity" 2>/dev/null)" = "$(head -1 "$t/ids1.txt")"
ky=$(openssl x509 -inform DER -in "$t/expy/device-cert.der" -noout -pubkey 2>/dev/null | sha256sum)
check "... with a fresh key pair: the pair sealed to X was retired, not handed to Y" \
	bash -c "test -s '$t/expx-cert.der' && test '$kx' != '$ky' && test \"\$('$tbin/spp-check' counts 'sqlite:$t/exp.db')\" = '0 0 1 0 0'"
"$abin/chipkey-agent" provision $EST --spp "$EXP" --device "emu:$t/expx.sock" --store "$t/expx2" \
	>/dev/null 2>"$t/expx2.log"
rc=$?
check "... and chip X, back later, gets no identity of another chip (EXHAUSTED, exit $rc)" \
	bash -c "test $rc -eq 20 && grep -q 'SPP refused: EXHAUSTED' '$t/expx2.log'"
fi
kill "$exp_pid"; wait "$exp_pid" 2>/dev/null
"$abin/chipkey-spp" --factory "$t/fac1" --db "sqlite:$t/exp.db" --public-db "sqlite:$t/exp-public.db" \
	--listen 127.0.0.1:0 --session-timeout 60 --reservation-timeout 60 >/dev/null 2>"$t/exp-bad.log"
check "chipkey-spp refuses a reservation timeout not longer than the session timeout (exit $?)" test $? -eq 1

# (bad-version: a version 1 HELLO; there is no fallback to the old protocol)
declare -A fwant=([oversize]=TOO_LARGE [short-hello]=MALFORMED [bad-version]=VERSION [wrong-type]=UNEXPECTED)
for f in oversize short-hello bad-version wrong-type; do
	"$tbin/chipkey-agent-faulty" provision $ST --spp "$SPP" --device "emu:$t/other.sock" \
		--store "$t/x" --fault "$f" >/dev/null 2>"$t/frame-$f.log"
	rc=$?
	check "frame $f: ERROR ${fwant[$f]} reply (exit $rc)" \
		bash -c "test $rc -eq 20 && grep -q 'SPP refused: ${fwant[$f]}' '$t/frame-$f.log'"
done

# ---- the SPP's per-address limit closes a station's surplus connection at
# accept: the agent says so and exits 21 (not killed by SIGPIPE)
start_spp pip "$t/fac" "$db" --max-per-ip 2 --handshake-timeout 20
exec 5<>"/dev/tcp/127.0.0.1/$(cat "$t/pip.port")" 6<>"/dev/tcp/127.0.0.1/$(cat "$t/pip.port")"
sleep 0.3
"$abin/chipkey-agent" provision $ST --spp "127.0.0.1:$(cat "$t/pip.port")" --device "emu:$t/other.sock" \
	--store "$t/pip" >/dev/null 2>"$t/pip-agent.log"
rc=$?
exec 5>&- 6>&-
check "a third connection from one address with --max-per-ip 2: the agent exits 21 with a message (exit $rc)" \
	bash -c "test $rc -eq 21 && test -s '$t/pip-agent.log' && test ! -e '$t/pip/store.json'"
kill "$pip_pid"; wait "$pip_pid" 2>/dev/null

# ---- dead devices do not block others: while two connections that never
# send a byte are still open on the SPP's side (it closes them only when
# their handshake timeout, 5 s by default, has passed), another device is served.
# Not a time measurement: the SPP still holding both connections
# ESTABLISHED (ss) after the device's DONE shows it did not wait for them.
# silent_held: exactly our two silent connections are ESTABLISHED on the SPP's side
silent_held() {
	local l7 l8 held
	l7=$(ss -Htn state established "( dport = :$port )" | awk '{ print $3 }' | sed 's/.*://' | sort)
	held=$(ss -Htn state established "( sport = :$port )" | awk '{ print $4 }' | sed 's/.*://' | sort)
	test "$(echo "$l7" | wc -w)" -eq 2 && test "$l7" = "$held"
}
exec 7<>"/dev/tcp/127.0.0.1/$port" 8<>"/dev/tcp/127.0.0.1/$port"
check "two silent connections are open to the SPP (ss: ESTABLISHED on both sides)" silent_held
"$abin/chipkey-agent" provision $ST --spp "$SPP" --device "emu:$t/other.sock" --store "$t/other" \
	>/dev/null 2>"$t/other.log"
rc=$?
check "with two silent connections open, another device is provisioned (exit $rc)" test $rc -eq 0
check "... while the SPP still holds both silent connections (not served after their timeouts)" silent_held
exec 7>&- 8>&-
check "the SPP daemon is still running" kill -0 "$spp_pid"

# ---- a device whose clock is not set (no RTC: 1970) is still provisioned:
# the SPP certificate's validity is not checked then (with a warning), the
# device certificate's never is; signature, role and handshake still are
# (LD_PRELOAD shim, so the non-ASan agent)
fc=$t/fake-clock.so
if cc -shared -fPIC -O2 -o "$fc" "$(dirname "$0")/../../recovery/tests/fake-clock.c" 2>"$t/fc.log" &&
   [ "$(LD_PRELOAD=$fc date -u +%Y)" = 1970 ]; then
	mkchip noclock "$t/fac"
	LD_PRELOAD=$fc "$bin/chipkey-agent" provision $ST --spp "$SPP" \
		--device "emu:$t/noclock.sock" --store "$t/noclock" >/dev/null 2>"$t/noclock.log"
	rc=$?
	check "clock at 1970: the device is provisioned (exit $rc)" test $rc -eq 0
	check "... and the agent warns that it could not check the SPP certificate's period" \
		grep -q "clock is not set" "$t/noclock.log"
else
	sed 's/^/# /' "$t/fc.log"
	nok "build the fake-clock shim (recovery/tests/fake-clock.c)"
fi
check "nothing secret in the SPP log (no key or PEM material)" \
	bash -c "! grep -qiE 'PRIVATE|BEGIN|channel key *[:=]' '$t/spp.log'"

# ---- only factory stations may connect (mutual TLS): a client without a
# station certificate, with one of another CA, or with a certificate of
# another role gets no OFFER, and nothing is claimed for the chip it names
# mkcert NAME SUBJECT EXTENSIONS: a P-256 certificate issued by the
# issuing CA, made with the openssl tool
mkcert() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$t/$1.key" 2>>"$t/openssl.log" &&
	openssl req -new -key "$t/$1.key" -subj "$2" -out "$t/$1.csr" 2>>"$t/openssl.log" &&
	printf '%b\n' "$3" >"$t/$1.ext" &&
	openssl x509 -req -in "$t/$1.csr" -CA "$t/fac/ica-cert.pem" -CAkey "$t/fac/ica-key.pem" \
		-set_serial "0x$(openssl rand -hex 8)" -days 30 -extfile "$t/$1.ext" -out "$t/$1.pem" 2>>"$t/openssl.log"
}
mkcert devlike "/CN=351234000000019/serialNumber=351234000000019" \
	"basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyAgreement"
mkcert sppou "/O=chipkey/OU=chipkey-spp/CN=not a station" \
	"basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth"
mkcert serverst "/O=chipkey/OU=chipkey-station/CN=server EKU" \
	"basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth"
check "test certificates of the wrong kinds issued by the issuing CA" \
	test -s "$t/devlike.pem" -a -s "$t/sppou.pem" -a -s "$t/serverst.pem"
mkchip intruder "$t/fac"
ihex=$(chip_hex intruder)
c0=$("$tbin/spp-check" counts "$db")
declare -A cred=(
	[none]=""
	[other-ca]="--station-cert $t/rogue/station-cert.pem --station-key $t/rogue/station-key.pem"
	[spp-credential]="--station-cert $t/fac/spp-cert.pem --station-key $t/fac/spp-key.pem"
	[device-like]="--station-cert $t/devlike.pem --station-key $t/devlike.key"
	[spp-ou-client]="--station-cert $t/sppou.pem --station-key $t/sppou.key"
	[station-ou-server-eku]="--station-cert $t/serverst.pem --station-key $t/serverst.key")
declare -A cwhy=([none]="TLS handshake failed" [other-ca]="TLS handshake failed"
	[spp-credential]="TLS handshake failed" [station-ou-server-eku]="TLS handshake failed"
	[device-like]="not a factory station" [spp-ou-client]="not a factory station")
for k in none other-ca spp-credential device-like spp-ou-client station-ou-server-eku; do
	l0=$(wc -l <"$t/spp.log")
	"$abin/chipkey-agent" provision ${cred[$k]} --spp "$SPP" --device "emu:$t/intruder.sock" \
		--store "$t/intruder-$k" >"$t/intruder-$k.out" 2>"$t/intruder-$k.log"
	rc=$?
	# the SPP logs a failed handshake after its alert went out, so perhaps
	# after the agent ended: up to 10 s for the line
	for _ in $(seq 100); do
		tail -n +$((l0 + 1)) "$t/spp.log" | grep -q "${cwhy[$k]}" && break
		sleep 0.1
	done
	tail -n +$((l0 + 1)) "$t/spp.log" >"$t/spp-$k.log"
	check "client with station credential '$k': refused before any OFFER (agent exit $rc, want 21; SPP: ${cwhy[$k]}; no HELLO processed, no store written)" \
		bash -c "test $rc -eq 21 && grep -q '${cwhy[$k]}' '$t/spp-$k.log' && ! grep -q 'chip=$ihex' '$t/spp-$k.log' &&
			test ! -e '$t/intruder-$k/store.json'"
	check "client with station credential '$k': nothing claimed for the chip" \
		"$tbin/spp-check" nothing "$db|$(public_of "$db")" "$ihex"
done
check "after the refused clients: pool counts unchanged ($c0)" \
	test "$("$tbin/spp-check" counts "$db")" = "$c0"
"$abin/chipkey-agent" provision $ST --spp "$SPP" --device "emu:$t/intruder.sock" \
	--store "$t/intruder" >/dev/null 2>"$t/intruder.log"
check "... and the chip they named is then provisioned by a real station (exit $?)" \
	test -s "$t/intruder/store.json"
start_spp badca "$t/fac" "$db" --station-ca "$t/nonexistent.pem"
check "chipkey-spp refuses to start with a station CA file it cannot load" \
	bash -c "! test -s '$t/badca.port' && grep -q 'cannot load the station CA' '$t/badca.log'"
start_spp lab "$t/fac" "$db" --no-station-auth
check "chipkey-spp --no-station-auth starts and warns in its log" \
	bash -c "test -s '$t/lab.port' && grep -q 'WARNING: --no-station-auth' '$t/lab.log'"
mkchip labchip "$t/fac"
"$abin/chipkey-agent" provision --spp "127.0.0.1:$(cat "$t/lab.port")" --device "emu:$t/labchip.sock" \
	--store "$t/labchip" >/dev/null 2>"$t/labchip.log"
check "... and then serves a client without a station credential (lab setup; exit $?)" test -s "$t/labchip/store.json"
kill "$lab_pid"; wait "$lab_pid"
rc=$?
check "... and exits cleanly (ASan/UBSan; exit $rc)" test $rc -eq 0

# ---- a trickling client cannot hold a worker past the session deadline,
# neither in the TLS handshake nor after it (SO_RCVTIMEO is reset by every
# byte; the SPP's watchdog cuts the socket at the deadline)
start_spp slow "$t/fac" "$db" --workers 1 --session-timeout 3 --timeout 10
sport=$(cat "$t/slow.port")
trickle() { # trickle MODE: seconds until the SPP cut the connection
	/usr/bin/python3 - "$sport" "$1" "$t/fac" <<'PY'
import socket, ssl, sys, time
port, mode, fac = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(("127.0.0.1", port))
t0 = time.monotonic()
if mode == "handshake":
    # a TLS handshake record header announcing 512 bytes, then 1 byte/s
    s.sendall(bytes([0x16, 3, 1, 2, 0]))
else:
    # a real station: handshake, then a HELLO frame header, then 1 byte/s
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(fac + "/station-cert.pem", fac + "/station-key.pem")
    s = ctx.wrap_socket(s)
    s.sendall(bytes([0, 0, 0, 117, 0, 1, 0, 2]))
s.settimeout(1.0)
try:
    for i in range(30):
        try:
            if s.recv(1) == b"":
                break
        except socket.timeout:
            pass
        s.send(b"\x01")
except (OSError, ssl.SSLError):
    pass
print("%.1f" % (time.monotonic() - t0))
PY
}
for mode in handshake frame; do
	trickle "$mode" >"$t/trickle-$mode.out" 2>>"$t/trickle.log" &
	tpid=$!
	sleep 0.5
	mkchip "slow-$mode" "$t/fac"
	s0=$(date +%s.%N)
	"$abin/chipkey-agent" provision $ST --spp "127.0.0.1:$sport" --device "emu:$t/slow-$mode.sock" \
		--store "$t/slow-$mode" --timeout 15 >/dev/null 2>"$t/slow-$mode.log"
	rc=$?
	el=$(awk -v a="$s0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	wait $tpid
	cut=$(cat "$t/trickle-$mode.out")
	check "trickling client ($mode, 1 byte/s) is cut at the 3 s session deadline (after ${cut:-?} s)" \
		awk -v c="${cut:-99}" 'BEGIN { exit !(c >= 2.5 && c <= 5.5) }'
	check "... and the one worker then serves a real device (exit $rc after $el s)" \
		bash -c "test $rc -eq 0 && awk -v e=$el 'BEGIN { exit !(e < 8) }'"
done
check "the SPP logged the cuts" test "$(grep -c 'session deadline (3 s) passed' "$t/slow.log")" -ge 2
kill "$slow_pid"; wait "$slow_pid"
rc=$?
check "... and exits cleanly (ASan/UBSan; exit $rc)" test $rc -eq 0

# ---- the device records the generation of the backup it wrapped or
# unwrapped, never the SPP's word for it (crash-test build of the SPP lying
# about the generation: CHIPKEY_SPP_FAULT=wrong-generation)
crashspp=$BUILD/tests/spp/chipkey-spp-crash
if [ -x "$crashspp" ]; then
	CHIPKEY_SPP_FAULT=wrong-generation "$crashspp" --factory "$t/fac" --db "$db" \
		--public-db "$(public_of "$db")" --listen 127.0.0.1:0 \
		--port-file "$t/liar.port" 2>>"$t/liar.log" &
	liar_pid=$!
	pids+=($liar_pid)
	wait_file "$t/liar.port"
	LIAR=127.0.0.1:$(cat "$t/liar.port")
	mkchip genchip "$t/fac"
	"$abin/chipkey-agent" provision $ST --spp "$LIAR" --device "emu:$t/genchip.sock" \
		--store "$t/gen1" >/dev/null 2>"$t/gen1.log"
	rc=$?
	check "DONE naming generation 2 for a generation-1 backup: the device refuses it (exit $rc, want 21), writes no store" \
		bash -c "test $rc -eq 21 && grep -q 'another generation' '$t/gen1.log' && test ! -e '$t/gen1/store.json'"
	"$abin/chipkey-agent" provision $ST --spp "$LIAR" --device "emu:$t/genchip.sock" \
		--store "$t/gen2" >/dev/null 2>"$t/gen2.log"
	rc=$?
	check "ALREADY naming generation 2 for a generation-1 backup: refused too (exit $rc, want 21), no store" \
		bash -c "test $rc -eq 21 && grep -q 'another generation' '$t/gen2.log' && test ! -e '$t/gen2/store.json'"
	"$abin/chipkey-agent" provision $ST --spp "$SPP" --device "emu:$t/genchip.sock" \
		--store "$t/gen3" >"$t/gen3.out" 2>"$t/gen3.log"
	rc=$?
	check "from an honest SPP: ALREADY, and the store records generation 1 (exit $rc)" \
		bash -c "test $rc -eq 0 && grep -q 'already provisioned' '$t/gen3.out' && grep -q '\"generation\": *1\b' '$t/gen3/store.json'"
	kill "$liar_pid"; wait "$liar_pid"
	# an OFFER whose device certificate (right chip, identity and Q) is
	# issued by a look-alike issuing CA the root never signed
	CHIPKEY_SPP_FAULT=foreign-issuing-ca "$crashspp" --factory "$t/fac" --db "$db" \
		--public-db "$(public_of "$db")" --listen 127.0.0.1:0 --port-file "$t/foreign.port" 2>>"$t/foreign-spp.log" &
	foreign_pid=$!
	pids+=($foreign_pid)
	wait_file "$t/foreign.port"
	mkchip foreignchip "$t/fac"
	"$abin/chipkey-agent" provision $ST --spp "127.0.0.1:$(cat "$t/foreign.port")" \
		--device "emu:$t/foreignchip.sock" --store "$t/foreign" >/dev/null 2>"$t/foreign.log"
	rc=$?
	f0=$failed
	check "OFFER with a device certificate of a foreign issuing CA: the device refuses it (exit $rc, want 21), no store" \
		bash -c "test $rc -eq 21 && grep -q 'device certificate refused' '$t/foreign.log' && test ! -e '$t/foreign/store.json'"
	[ "$failed" -eq "$f0" ] || tail -n 5 "$t/foreign.log" "$t/foreign-spp.log" | sed 's/^/# /'
	kill "$foreign_pid"; wait "$foreign_pid"
else
	skip "the device records the generation of the backup itself" "no $crashspp (make crash-tools)"
fi

# ---- revocation checked by the device (--crl): the SPP's TLS certificate
cp "$t/fac/station-crl.pem" "$t/crl-clean.pem"
"$abin/chipkey-agent" provision $ST --spp "$SPP" --device "emu:$t/d1.sock" --store "$t/crl1" \
	--crl "$t/crl-clean.pem" --crl "$t/fac/root-crl.pem" >/dev/null 2>"$t/crl1.log"
check "agent --crl (the factory's CRLs, nothing revoked): provisioned device 1 gets ALREADY (exit $?)" \
	test -s "$t/crl1/store.json"
"$bin/chipkey-factory" revoke "$t/fac" "$t/fac/spp-cert.pem" >/dev/null 2>>"$t/factory.log"
check "chipkey-factory revoke: the SPP's TLS certificate on the issuing CA's CRL" test $? -eq 0
"$abin/chipkey-agent" provision $ST --spp "$SPP" --device "emu:$t/d1.sock" --store "$t/crl2" \
	--crl "$t/fac/station-crl.pem" --crl "$t/fac/root-crl.pem" >/dev/null 2>"$t/crl2.log"
rc=$?
check "agent --crl refuses an SPP whose TLS certificate is revoked (exit $rc, want 19), writes no store" \
	bash -c "test $rc -eq 19 && grep -q 'revoked' '$t/crl2.log' && test ! -e '$t/crl2/store.json'"
"$abin/chipkey-agent" provision $ST --spp "$SPP" --device "emu:$t/d1.sock" --store "$t/crl3" \
	--crl "$t/fac/mfr-ca.pem" >/dev/null 2>"$t/crl3.log"
check "agent --crl with a file that is no CRL: exit $? (want 8)" test $? -eq 8

kill "$spp_pid"
wait "$spp_pid"
rc=$?
check "SPP exits cleanly on SIGTERM (ASan/UBSan found nothing; exit $rc)" test $rc -eq 0

echo "1..$n"
[ "$failed" -eq 0 ]
