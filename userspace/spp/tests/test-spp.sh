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

# mkchip NAME FACTORY: fuse image with the factory's ROM key + emulator
mkchip() {
	"$bin/chipkey-fuse" create "$t/$1.bin" --rom-key "$2/mfr-pubkey.der" >/dev/null 2>>"$t/fuse.log" || return 1
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

start_spp() { # start_spp NAME FACTORY DB [extra args]
	local name=$1 fac=$2 db=$3; shift 3
	"$abin/chipkey-spp" --factory "$fac" --db "$db" --listen 127.0.0.1:0 \
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
check "spp starts on a random loopback port" start_spp spp "$t/fac" "$db" --workers 8 --timeout 3
port=$(cat "$t/spp.port")
SPP=127.0.0.1:$port

pubdb_url=
if [ -x "$bin/chipkey-pubdb" ]; then
	"$bin/chipkey-pubdb" --db "$db" --listen 127.0.0.1:0 --writers "$t/fac/mfr-ca.pem" \
		--port-file "$t/pubdb.port" 2>>"$t/pubdb.log" &
	pids+=($!)
	wait_file "$t/pubdb.port" && pubdb_url=http://127.0.0.1:$(cat "$t/pubdb.port")
fi

# ---- 10 devices at once
for i in $(seq $NDEV); do mkchip "d$i" "$t/fac" || nok "emulator d$i starts"; done
apids=()
for i in $(seq $NDEV); do
	"$abin/chipkey-agent" provision --spp "$SPP" --device "emu:$t/d$i.sock" \
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
		bash -c "openssl verify -CAfile '$t/fac/mfr-ca.pem' '$t/cert$i.pem' >/dev/null 2>&1"
	hex=$(chip_hex "d$i")
	id=$(tr -d '\n' <"$t/store$i/identity")
	check "device $i: certificate text shows identity and chip ID" \
		bash -c "openssl x509 -in '$t/cert$i.pem' -noout -text | grep -q 'CN *= *$id' &&
			 openssl x509 -in '$t/cert$i.pem' -noout -text | grep -q 'chip-id:$hex'"
	other=$((i % NDEV + 1))
	check "device $i: backup unwraps on its own device to the data package (store, public and secret records agree), not on d$other" \
		"$tbin/spp-check" device "$db" "$t/fac" "$t/store$i" "emu:$t/d$i.sock" "emu:$t/d$other.sock"
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
else
	skip "pubdb serves device 1's backup" "chipkey-pubdb not built"
fi

# ---- re-provisioning an already provisioned chip
"$abin/chipkey-agent" provision --spp "$SPP" --device "emu:$t/d1.sock" --store "$t/again1" \
	>"$t/again.out" 2>"$t/again.log"
check "re-provisioning device 1 succeeds (exit 0)" test $? -eq 0
check "... answered ALREADY with the same identity" \
	bash -c "grep -q 'already provisioned' '$t/again.out' && cmp -s '$t/again1/identity' '$t/store1/identity'"
check "... and the same backup, no new identity issued" \
	bash -c "cmp -s '$t/again1/backup.pkg' '$t/store1/backup.pkg' && test \"\$('$tbin/spp-check' counts '$db')\" = '30 0 10 0 0'"

# ---- an SPP not chained to the ROM key
"$bin/chipkey-factory" init "$t/rogue" --db "sqlite:$t/rogue.db" --pool "$t/ids.txt" >>"$t/factory.log" 2>&1
start_spp rogue "$t/rogue" "sqlite:$t/rogue.db"
mkchip victim "$t/fac"
"$abin/chipkey-agent" provision --spp "127.0.0.1:$(cat "$t/rogue.port")" --device "emu:$t/victim.sock" \
	--store "$t/victim" >/dev/null 2>"$t/victim.log"
rc=$?
check "device refuses an SPP whose credential does not chain to its ROM key (exit $rc, want 3)" test $rc -eq 3
check "... says why" grep -q "does not chain to the manufacturer key" "$t/victim.log"
check "... and sent nothing: the rogue SPP saw no HELLO, wrote no store" \
	bash -c "! grep -q 'chip=[0-9a-f]' '$t/rogue.log' && test ! -e '$t/victim/store.json' && test \"\$('$tbin/spp-check' counts 'sqlite:$t/rogue.db')\" = '40 0 0 0 0'"

# ---- devices misbehaving after the OFFER
mkchip other "$t/fac"
declare -A want=([other-chip]=WRONG_CHIP [truncate]=BAD_BACKUP [tamper]=BAD_PROOF [bad-proof]=BAD_PROOF)
for f in other-chip truncate tamper bad-proof; do
	mkchip "bad-$f" "$t/fac"
	"$tbin/chipkey-agent-faulty" provision --spp "$SPP" --device "emu:$t/bad-$f.sock" \
		--store "$t/bad-$f" --fault "$f" --other-device "emu:$t/other.sock" >/dev/null 2>"$t/bad-$f.log"
	rc=$?
	check "fault $f: SPP refuses with ${want[$f]} (exit $rc)" \
		bash -c "test $rc -eq 4 && grep -q 'SPP refused: ${want[$f]}' '$t/bad-$f.log'"
	check "fault $f: nothing committed for that chip" \
		"$tbin/spp-check" nothing "$db" "$(chip_hex "bad-$f")"
	check "fault $f: the other chip has nothing either" \
		"$tbin/spp-check" nothing "$db" "$(chip_hex other)"
done
c=$("$tbin/spp-check" counts "$db")
check "after the faults: still 10 issued, 4 reserved (counts: $c)" test "$c" = "26 4 10 0 0"
"$abin/chipkey-agent" provision --spp "$SPP" --device "emu:$t/bad-tamper.sock" --store "$t/retry" \
	>/dev/null 2>"$t/retry.log"
check "an honest retry of a refused chip completes" test $? -eq 0
check "... and gets the identity reserved for it (no second identity)" \
	test "$("$tbin/spp-check" counts "$db")" = "26 3 11 0 0"

# ---- malformed frames
declare -A fwant=([oversize]=TOO_LARGE [short-hello]=MALFORMED [bad-version]=VERSION [wrong-type]=UNEXPECTED)
for f in oversize short-hello bad-version wrong-type; do
	"$tbin/chipkey-agent-faulty" provision --spp "$SPP" --device "emu:$t/other.sock" \
		--store "$t/x" --fault "$f" >/dev/null 2>"$t/frame-$f.log"
	rc=$?
	check "frame $f: ERROR ${fwant[$f]} reply (exit $rc)" \
		bash -c "test $rc -eq 4 && grep -q 'SPP refused: ${fwant[$f]}' '$t/frame-$f.log'"
done

# ---- dead devices do not block others
exec 7<>"/dev/tcp/127.0.0.1/$port" 8<>"/dev/tcp/127.0.0.1/$port"
start=$(date +%s)
"$abin/chipkey-agent" provision --spp "$SPP" --device "emu:$t/other.sock" --store "$t/other" \
	>/dev/null 2>"$t/other.log"
rc=$?
check "with two silent connections open, another device is provisioned (exit $rc)" test $rc -eq 0
check "... without waiting for their timeouts" test $(($(date +%s) - start)) -lt 3
exec 7>&- 8>&-
check "the SPP daemon is still running" kill -0 "$spp_pid"
check "nothing secret in the SPP log (no key or PEM material)" \
	bash -c "! grep -qiE 'PRIVATE|BEGIN|channel key *[:=]' '$t/spp.log'"

kill "$spp_pid"
wait "$spp_pid"
rc=$?
check "SPP exits cleanly on SIGTERM (ASan/UBSan found nothing; exit $rc)" test $rc -eq 0

echo "1..$n"
[ "$failed" -eq 0 ]
