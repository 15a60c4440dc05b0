#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# SPP availability against trickling clients ("slow loris"): 64 connections
# from 64 loopback addresses (127.0.1.1-64, each bound before connect, so
# the per-address limit does not hide them) each send a real TLS ClientHello
# one byte per 0.25 s and never finish, and 2 "stallers" send a whole
# ClientHello and then nothing.  With 4 workers, real devices must still be
# provisioned (agent exit 0, SPP "provisioned") while all of them stay
# connected; then every trickler and staller is cut at the handshake
# deadline, not before, and logged.  Then 64 stallers from 16 addresses
# that reconnect when cut: devices are still provisioned at once (the TLS
# handshake runs in the gate; no worker waits for an unauthenticated
# client).  Then the per-address limit: 5 connections from one address, the
# 5th closed at once, the other 4 left open; --max-pending.  TAP on stdout.
#
#   BUILD=.../build tests/test-slowloris.sh
set -u
BUILD=${BUILD:-$(cd "$(dirname "$0")/../../.." && pwd)/build}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
t=$(mktemp -d /tmp/chipkey-test-slowloris-XXXXXX)
FAC=$t/fac
DBURL=sqlite:$t/factory.db
PUBURL=sqlite:$t/public.db
. "$here/lib-provision.sh"
. "$here/../../common/tests/tap.sh"	# ok/nok/check of the one TAP library
abin=$BUILD/asan/bin
HS=15		# --handshake-timeout: the devices are done well before
		# (--timeout 30: the step timeout must not cut the stallers first)
NTRICK=64

cleanup() {
	kill_bg
	if [ "$tap_failed" -gt 0 ]; then
		for f in "$t"/spp.log "$t"/dev*.log "$t"/trick*.err; do
			[ -f "$f" ] && tail -25 "$f" | sed "s|^|# $(basename "$f"): |"
		done
	fi
	[ -n "${KEEP:-}" ] || rm -rf "$t" 2>/dev/null || { sleep 0.3; rm -rf "$t"; }
}
trap cleanup EXIT
exec 2>>"$t/script.log"

"$bin/chipkey-factory" identities --prefix 35666600 --count 20 >"$t/ids.txt" 2>>"$t/factory.log"
"$bin/chipkey-factory" init "$FAC" --db "$DBURL" --pool "$t/ids.txt" >>"$t/factory.log" 2>&1
check "factory" test $? -eq 0
# the default --max-per-ip (4)
"$abin/chipkey-spp" --factory "$FAC" --db "$DBURL" --public-db "$PUBURL" --listen 127.0.0.1:0 --port-file "$t/spp.port" \
	--workers 4 --handshake-timeout $HS --timeout 30 2>>"$t/spp.log" &
spp_pid=$!
bg[spp]=$spp_pid
check "chipkey-spp starts with 4 workers, --handshake-timeout $HS" wait_file "$t/spp.port"
port=$(cat "$t/spp.port")
for i in 1 2 3 4 5 6 7 8; do mkchip "dev$i" || nok "emulator dev$i starts"; done

# provision NAME...: one agent per chip, all at once; 0 if every one exits 0
# and names its identity
provision() {
	local d p rc=0
	declare -A ap=()
	for d in "$@"; do
		"$bin/chipkey-agent" provision $(station) --spp "127.0.0.1:$port" \
			--device "emu:$t/chips/$d.sock" --store "$t/store-$d" --timeout 10 \
			>"$t/$d.out" 2>"$t/$d.log" &
		ap[$d]=$!
	done
	for d in "$@"; do
		wait "${ap[$d]}" || { echo "# $d: agent exit $?"; rc=1; }
		[ -n "$(agent_id "$t/$d.out")" ] || rc=1
	done
	return $rc
}
# CPU seconds (user + system) the SPP has used so far
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$spp_pid/stat"; }
trick_state() { cat "$t/${2:-trick}.status" 2>/dev/null; }
wait_open() { # wait_open N [NAME]: the trickler has N connections open
	for ((w = 0; w < 500; w++)); do
		[ "$(trick_state "$@")" = "open=$1 cut=0" ] && return 0
		sleep 0.02
	done
	return 1
}

# ---- 64 tricklers from 64 addresses, then 4 x 2 devices (from 127.0.0.1,
# the default per-address limit of 4 counts a connection until the SPP has
# closed it, perhaps after the agent has exited: 2 at a time never meet it;
# the later rounds also show that the earlier connections were released)
addrs=$(seq -s, -f "127.0.1.%g" 1 $NTRICK)
/usr/bin/python3 "$here/trickler.py" "$port" --addrs "$addrs" --status "$t/trick.status" \
	--duration $((HS + 20)) >"$t/trick.out" 2>"$t/trick.err" &
tpid=$!
bg[trick]=$tpid
/usr/bin/python3 "$here/trickler.py" "$port" --addrs 127.0.3.1,127.0.3.2 --partial -1 \
	--status "$t/stall.status" --duration $((HS + 20)) >"$t/stall.out" 2>"$t/stall.err" &
spid=$!
bg[stall]=$spid
check "$NTRICK trickling connections from $NTRICK addresses are open" wait_open $NTRICK
check "2 stalled handshakes are open" wait_open 2 stall
check "2 devices are provisioned while they trickle (agent exit 0)" provision dev1 dev2
check "2 more devices are provisioned (exit 0)" provision dev3 dev4
check "2 more (exit 0)" provision dev5 dev6
check "2 more (exit 0)" provision dev7 dev8
during=$(trick_state)
check "... all before any trickler was cut ($during)" test "$during" = "open=$NTRICK cut=0"
during=$(trick_state 2 stall)
check "... or any staller ($during)" test "$during" = "open=2 cut=0"
check "the SPP sent DONE to the 8 devices" test "$(grep -c ': provisioned$' "$t/spp.log")" -eq 8
cpu0=$(cpu_s)
wait "$tpid"
unset "bg[trick]"
# waiting connections are polled, not spun on (each has bytes unread)
cpu=$(awk -v a="$cpu0" -v b="$(cpu_s)" 'BEGIN { printf "%.2f", b - a }')
check "the SPP used $cpu s of CPU while only the tricklers were connected (< 3)" \
	awk -v c="$cpu" 'BEGIN { exit !(c < 3) }'
check "every trickler was cut" test "$(grep -c ' cut ' "$t/trick.out")" -eq $NTRICK
early=$(awk -v hs=$HS '$2 == "cut" && $3 < hs - 0.05' "$t/trick.out" | wc -l)
check "... none before the $HS s handshake deadline ($early early)" test "$early" -eq 0
check "... each logged by the SPP" \
	test "$(grep -c "127\.0\.1\.[0-9]*: TLS handshake deadline ($HS s) passed before the ClientHello: connection cut" \
		"$t/spp.log")" -eq $NTRICK
wait "$spid"
unset "bg[stall]"
early=$(awk -v hs=$HS '$2 == "cut" && $3 >= hs - 0.05' "$t/stall.out" | wc -l)
check "both stallers were cut at the handshake deadline ($early of 2)" \
	test "$early" -eq 2 -a "$(grep -c "127\.0\.3\.[12]: TLS handshake deadline ($HS s) passed: connection cut" \
		"$t/spp.log")" -eq 2

# ---- 64 stallers from 16 addresses (4 each: the per-address limit), each
# sending a whole ClientHello, then nothing, and reconnecting at once when
# cut: with 4 workers, real devices are still provisioned at once (exit 0),
# before and after the stallers' first cut.  The TLS handshake runs in the
# gate, so a staller never holds a worker; waiting costs no CPU.
for i in 9 10 11 12 13 14; do mkchip "dev$i" || nok "emulator dev$i starts"; done
saddrs=$(for i in $(seq 1 16); do printf "127.0.4.$i,%.0s" 1 2 3 4; done | sed "s/,$//")
/usr/bin/python3 "$here/trickler.py" "$port" --addrs "$saddrs" --partial -1 --reconnect \
	--status "$t/stall64.status" --duration $((3 * HS)) >"$t/stall64.out" 2>"$t/stall64.err" &
bg[stall64]=$!
check "64 stalled handshakes from 16 addresses are open" wait_open 64 stall64
check "2 devices are provisioned while 64 stall (agent exit 0)" provision dev9 dev10
check "2 more (exit 0)" provision dev11 dev12
cpu0=$(cpu_s)
sleep 2
cpu=$(awk -v a="$cpu0" -v b="$(cpu_s)" 'BEGIN { printf "%.2f", b - a }')
check "the SPP used $cpu s of CPU in 2 s with 64 stalled handshakes (< 0.5)" \
	awk -v c="$cpu" 'BEGIN { exit !(c < 0.5) }'
cuts() { sed -n 's/.* cut=\([0-9]*\)$/\1/p' "$t/stall64.status"; }
for ((w = 0; w < 1500; w++)); do [ "$(cuts)" -ge 64 ] && break; sleep 0.02; done
check "the 64 were cut at the handshake deadline ($(cuts) cuts) and reconnected" \
	test "$(cuts)" -ge 64 -a "$(grep -c "127\.0\.4\.[0-9]*: TLS handshake deadline ($HS s) passed: connection cut" \
		"$t/spp.log")" -ge 64
check "... 2 more devices are provisioned while the reconnected ones stall (exit 0)" provision dev13 dev14
kill -TERM "${bg[stall64]}"
wait "${bg[stall64]}"
unset "bg[stall64]"
check "... which were still open" test "$(grep -c ' open$' "$t/stall64.out")" -eq 64
check "the SPP sent DONE to the 14 devices" test "$(grep -c ': provisioned$' "$t/spp.log")" -eq 14

# ---- the per-address limit: 7, then 5 stalled connections from one
# address: the 5th and later are closed at once (well before the handshake
# deadline), the first 4 stay open; the second round shows that the first
# 4 were released when they closed.  The log lines are rate-limited.
one=127.0.2.1
limit_round() { # limit_round ROUND N
	/usr/bin/python3 "$here/trickler.py" "$port" --addrs "$(printf "$one,%.0s" $(seq "$2") | sed "s/,$//")" --partial 3 \
		--duration 3 >"$t/one$1.out" 2>"$t/one$1.err"
	# the SPP sees the 4 close before the next round
	for ((w = 0; w < 200; w++)); do
		[ "$(grep -c "$one: connection closed before the ClientHello" "$t/spp.log")" -ge $((4 * $1)) ] &&
			break
		sleep 0.02
	done
	test "$(awk '{ printf "%s ", $2 }' "$t/one$1.out")" = "$3"
}
check "7 connections from one address: the first 4 stay open, the others are closed at once" \
	limit_round 1 7 "open open open open cut cut cut "
check "5 more: again the first 4 stay open, the 5th is closed at once" \
	limit_round 2 5 "open open open open cut "
grep "$one: per-address limit (4 connections) reached: connection closed" "$t/spp.log" >"$t/limit.log"
closed=$(sed -n 's/.*(\([0-9]*\) such closed since the last line)$/\1/p' "$t/limit.log" | paste -sd+ | bc)
check "the SPP logged the 4 closed in fewer lines ($(wc -l <"$t/limit.log")), counting them all (${closed:-0})" \
	test "$(wc -l <"$t/limit.log")" -lt 4 -a "${closed:-0}" -eq 4

# ---- what is not a ClientHello is closed at once, logged
probe() { # probe ADDR HEX: the SPP closed the connection at once
	/usr/bin/python3 "$here/trickler.py" "$port" --addrs "$1" --raw "$2" --duration 3 >"$t/probe.out" &&
		grep -q "^$1 cut" "$t/probe.out"
}
check "not TLS (an HTTP request): closed at once" probe 127.0.5.1 474554202f20485454502f312e300d0a0d0a
check "... and logged" grep -q '127.0.5.1: not a TLS handshake: connection closed' "$t/spp.log"
check "a ClientHello announcing 65536 bytes: closed at once" probe 127.0.5.2 16030100080101000000000000
check "... and logged" grep -q '127.0.5.2: ClientHello too large: connection closed' "$t/spp.log"

# ---- --max-pending 3: a 4th waiting connection cuts the oldest at once
"$abin/chipkey-spp" --factory "$FAC" --db "$DBURL" --public-db "$PUBURL" --listen 127.0.0.1:0 --port-file "$t/small.port" \
	--workers 1 --handshake-timeout $HS --max-pending 3 2>>"$t/small.log" &
bg[small]=$!
if wait_file "$t/small.port"; then
	/usr/bin/python3 "$here/trickler.py" "$(cat "$t/small.port")" --partial 3 --duration 3 \
		--addrs 127.0.6.1,127.0.6.2,127.0.6.3,127.0.6.4 >"$t/pending.out" 2>>"$t/pending.err"
fi
check "--max-pending 3: the 4th waiting connection cuts the oldest, the others stay open" \
	test "$(awk '{ printf "%s:%s ", $1, $2 }' "$t/pending.out")" = \
		"127.0.6.1:cut 127.0.6.2:open 127.0.6.3:open 127.0.6.4:open "
check "... logged" grep -q '127.0.6.1: 3 connections wait for their ClientHello: the oldest cut' "$t/small.log"
if wait_file "$t/small.port"; then
	/usr/bin/python3 "$here/trickler.py" "$(cat "$t/small.port")" --partial -1 --await-reply --duration 3 \
		--addrs 127.0.6.5,127.0.6.6,127.0.6.7,127.0.6.8 >"$t/pending2.out" 2>>"$t/pending.err"
fi
check "--max-pending 3: a 4th connection cuts the oldest in its TLS handshake (after its ClientHello)" \
	test "$(awk '{ printf "%s:%s ", $1, $2 }' "$t/pending2.out")" = \
		"127.0.6.5:cut 127.0.6.6:open 127.0.6.7:open 127.0.6.8:open "
check "... logged" grep -q '127.0.6.5: 3 connections wait for their TLS handshake: the oldest cut' "$t/small.log"

kill "$spp_pid"
wait "$spp_pid"
rc=$?
unset "bg[spp]"
check "chipkey-spp exits cleanly (ASan/UBSan; exit $rc)" test $rc -eq 0
echo "1..$tap_n"
tap_done test-slowloris.sh
