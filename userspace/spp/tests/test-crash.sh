#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Crash safety of factory provisioning: kill -9 the SPP at every protocol
# step, the device agent at every step, both at random times, and the pubdb
# server while it serves reads, ROUNDS times each, with emulated devices
# provisioning concurrently.  After every kill the database invariants are
# checked directly in the database (spp-check invariants, see invariants.c):
# no identity issued twice, no device recorded without a restorable backup
# (the devices present unwrap theirs), no pre-generated key lost, every chip
# keeps the identity it was given; and the next round re-runs the chips that
# did not finish, so re-running provisioning after a crash is tested too.
# The kills at protocol steps use the crash-test builds (CHIPKEY_CRASH_AT,
# userspace/common/crashpoint.h).  TAP on stdout.
#
#   BUILD=.../build tests/test-crash.sh
#   CRASH_ROUNDS=20 (per kill point)  CRASH_SLOTS=3 (devices per round)
#   CRASH_DB=URL: run against that (empty) database instead of SQLite
set -u
BUILD=${BUILD:-$(cd "$(dirname "$0")/../../.." && pwd)/build}
ROUNDS=${CRASH_ROUNDS:-20}
SLOTS=${CRASH_SLOTS:-3}
t=$(mktemp -d /tmp/chipkey-test-crash-XXXXXX)
FAC=$t/fac
DBURL=${CRASH_DB:-sqlite:$t/factory.db}
PUBURL=${CRASH_PUBLIC_DB:-${CRASH_DB:-sqlite:$t/public.db}}
. "$(dirname "${BASH_SOURCE[0]}")/lib-provision.sh"

cleanup() {
	kill_bg
	if [ "$failed" -gt 0 ]; then
		for f in "$t"/script.log "$t"/inv.log "$t"/spp*.log "$t"/pubdb.log "$t"/emu.log; do
			[ -f "$f" ] && grep -v '^# invariants:' "$f" | tail -30 |
				sed "s|^|# $(basename "$f"): |"
		done
	fi
	[ -n "${CRASH_KEEP:-}" ] || rm -rf "$t" 2>/dev/null || { sleep 0.3; rm -rf "$t"; }
}
trap cleanup EXIT
# bash reports killed background jobs on stderr: keep that out of the TAP
exec 2>>"$t/script.log"

# ---- factory: a large identity pool, some pre-generated key pairs
"$bin/chipkey-factory" identities --prefix 35777700 --count 1500 >"$t/ids.txt" 2>>"$t/factory.log"
"$bin/chipkey-factory" init "$FAC" --db "$DBURL" --pool "$t/ids.txt" --pregen 40 \
	>>"$t/factory.log" 2>&1 && save_pregen
setup_ok() { [ "$(wc -l <"$t/pregen.txt")" -eq 40 ] && invariants; }
check "factory (1500 identities, 40 pre-generated key pairs) and the initial invariants" setup_ok
check "the invariant checker catches a violation (a secret record without a public record)" \
	bash -c "{ cat '$t/dump.txt'; echo 'S 00112233445566778899aabbccddeeff 357777000000018 1 00'; } >'$t/bad.txt' &&
		! '$tbin/spp-check' invariants '$t/bad.txt' '$FAC' '$t/pregen.txt' >'$t/bad.out' &&
		grep -q 'secret record but no public record' '$t/bad.out'"

# ---- device slots: each holds a chip until it is provisioned, then a new one
nchips=0
mkdir -p "$t/store"
declare -a slot=()
new_chip() { # new_chip SLOT (a few tries: a starting emulator can be slow)
	local try
	for try in 1 2 3; do
		nchips=$((nchips + 1))
		if mkchip "c$nchips"; then slot[$1]=c$nchips; return 0; fi
		echo "# emulator c$nchips did not come up (try $try)" >>"$t/inv.log"
		rmchip "c$nchips"
	done
	return 1
}
for ((i = 1; i <= SLOTS; i++)); do new_chip "$i" || nok "emulator for slot $i starts"; done
declare -a apid=() arc=()
KEEP=	# set: keep provisioned chips in their slots (to hit the ALREADY path)
declare -A everid=()	# chip hex -> identity, from every agent that succeeded
idclash=0

# run_agents AGENT SPP_PORT [CRASH_SPEC [PROB]]: one agent per slot, all at
# once; CRASH_SPEC goes to each agent with probability PROB/4 (default 4/4).
start_agents() {
	local agent=$1 port=$2 spec=${3:-} prob=${4:-4} i s
	for ((i = 1; i <= SLOTS; i++)); do
		s=
		[ -n "$spec" ] && [ $((RANDOM % 4)) -lt "$prob" ] && s=$spec
		CHIPKEY_CRASH_AT=$s "$agent" provision $(station) --spp "127.0.0.1:$port" \
			--device "emu:$t/chips/${slot[$i]}.sock" --store "$t/store/${slot[$i]}" \
			--timeout 5 >"$t/a$i.out" 2>"$t/a$i.log" &
		apid[$i]=$!
	done
}
wait_agents() {
	local i
	for ((i = 1; i <= SLOTS; i++)); do wait "${apid[$i]}"; arc[$i]=$?; done
}
# after_round: invariants (devices in the slots unwrap their public backup;
# the agents that succeeded hold the pool's identity), then retire the
# provisioned chips.  Returns 1 on a violation.
after_round() {
	local i args=() id h rc
	for ((i = 1; i <= SLOTS; i++)); do
		h=${chip_hex[${slot[$i]}]}
		args+=(--unwrap "$h=emu:$t/chips/${slot[$i]}.sock")
		if [ "${arc[$i]}" -eq 0 ]; then
			id=$(agent_id "$t/a$i.out")
			args+=(--agent "$h=$id")
			if [ -n "${everid[$h]:-}" ] && [ "${everid[$h]}" != "$id" ]; then
				echo "# chip $h: identity ${everid[$h]}, later $id" >>"$t/inv.log"
				idclash=$((idclash + 1))
			fi
			everid[$h]=$id
		fi
	done
	invariants "${args[@]}"
	rc=$?
	for ((i = 1; i <= SLOTS; i++)); do
		if [ "${arc[$i]}" -eq 0 ] && [ $((RANDOM % 4)) -ne 0 ] && [ -z "$KEEP" ]; then
			rmchip "${slot[$i]}"
			new_chip "$i" || rc=1
		fi
	done
	return $rc
}

# fresh_chips: a new chip in every slot.  Each kill point starts with them
# (except ALREADY, which needs provisioned chips): a chip the previous point
# left committed would answer ALREADY and never reach this point, and with
# few rounds (CRASH_ROUNDS=3 on PostgreSQL) no round might reach it at all.
fresh_chips() {
	local i rc=0
	for ((i = 1; i <= SLOTS; i++)); do
		rmchip "${slot[$i]}"
		new_chip "$i" || rc=1
	done
	return $rc
}

alive() { [ -e "/proc/$1/stat" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat")" != Z ]; }
spp_pid=
start_spp() { # start_spp BINARY [CRASH_SPEC]
	rm -f "$t/spp.port"
	CHIPKEY_CRASH_AT=${2:-} "$1" --factory "$FAC" --db "$DBURL" --public-db "$PUBURL" --listen 127.0.0.1:0 \
		--port-file "$t/spp.port" --workers 4 --timeout 5 --max-per-ip $((2 * SLOTS + 2)) 2>>"$t/spp.log" &
	spp_pid=$!
	wait_file "$t/spp.port" || return 2
	# the outbox was drained before the SPP listened
	published_ok || { pubviol=$((pubviol + 1)); return 1; }
}
pubviol=0
stop_spp() { kill "$spp_pid" 2>/dev/null; wait "$spp_pid" 2>/dev/null; spp_pid=; }

# ---- kill -9 the SPP at each protocol step
#   recv:HELLO       HELLO received
#   store:claim-mid  inside the claim transaction (identity reserved, key
#                    pair not yet)
#   spp:claimed      identity claimed (reserved)
#   spp:built        key pair claimed, data package and certificate built
#   sent:OFFER       OFFER sent
#   recv:BACKUP      BACKUP received (before the checks and the commit)
#   store:commit-mid the commit transaction written but not committed
#   store:committed  right after the commit (the record in the outbox)
#   store:publish-inserted  the records in the public database, the outbox
#                    not yet marked (the restart finds them there, the same)
#   spp:published    the outbox marked, before DONE
#   send:DONE        before DONE is sent
for point in recv:HELLO store:claim-mid spp:claimed spp:built sent:OFFER recv:BACKUP \
	store:commit-mid store:committed store:publish-inserted spp:published send:DONE; do
	hit=0 viol=0 done_=0
	fresh_chips || viol=$((viol + 1))
	# ROUNDS rounds; more (up to 4 x ROUNDS) while fewer than half of them
	# reached the point: whether a round does is chance (which sessions get
	# there first, chips already provisioned answer ALREADY), and a short
	# run (the PostgreSQL suite: 3 rounds) once reached send:DONE in none
	for ((r = 1; r <= ROUNDS || (hit < ROUNDS / 2 && r <= 4 * ROUNDS); r++)); do
		start_spp "$tbin/chipkey-spp-crash" "$point@$((RANDOM % 2 + 1))"
		rc=$?
		if [ $rc -eq 2 ] && ! alive "$spp_pid"; then
			# killed at the point before it listened (store:publish-inserted:
			# the outbox the last kill left, drained at start): a kill there
			# too; the next start must get through
			wait "$spp_pid"
			[ $? -eq 137 ] && hit=$((hit + 1))
			start_spp "$tbin/chipkey-spp-crash"
			rc=$?
		fi
		[ $rc -eq 0 ] || { viol=$((viol + 1)); continue; }
		start_agents "$bin/chipkey-agent" "$(cat "$t/spp.port")"
		wait_agents
		# killed itself at the point, or (fewer sessions got there than the
		# count) still running: then kill it now
		if alive "$spp_pid"; then kill -9 "$spp_pid"; else hit=$((hit + 1)); fi
		wait "$spp_pid"
		[ $? -eq 137 ] || viol=$((viol + 1))
		for ((i = 1; i <= SLOTS; i++)); do [ "${arc[$i]}" -eq 0 ] && done_=$((done_ + 1)); done
		after_round || viol=$((viol + 1))
	done
	check "SPP kill -9 at $point, $((r - 1)) rounds x $SLOTS devices: invariants held after every kill ($hit killed there, $done_ devices finished)" \
		test $viol -eq 0 -a $hit -ge $((ROUNDS / 2))
done

# ---- kill -9 the device agent at each step (a running SPP)
#   sent:HELLO      after HELLO
#   recv:OFFER      after receiving the OFFER
#   send:BACKUP     after wrapping (and the unwrap check), before sending
#   sent:BACKUP     after sending BACKUP
#   recv:DONE       after DONE, before writing the flash store
#   recv:ALREADY    already provisioned, before rewriting the flash store
start_spp "$bin/chipkey-spp"
port=$(cat "$t/spp.port")
for point in sent:HELLO recv:OFFER send:BACKUP sent:BACKUP recv:DONE recv:ALREADY; do
	hit=0 viol=0 done_=0
	[ "$point" = recv:ALREADY ] && KEEP=1
	[ -z "$KEEP" ] && { fresh_chips || viol=$((viol + 1)); }
	# ROUNDS rounds; more (up to 4 x ROUNDS) while fewer than half of them
	# killed an agent there: each agent is armed 3 times in 4, and chips
	# kept or committed answer ALREADY afterwards, so with the PostgreSQL
	# suite's 3 rounds none might (about 1 in 10,000 per point)
	for ((r = 1; r <= ROUNDS || (hit < ROUNDS / 2 && r <= 4 * ROUNDS); r++)); do
		start_agents "$tbin/chipkey-agent-crash" "$port" "$point" 3
		wait_agents
		for ((i = 1; i <= SLOTS; i++)); do
			[ "${arc[$i]}" -eq 137 ] && hit=$((hit + 1))
			[ "${arc[$i]}" -eq 0 ] && done_=$((done_ + 1))
		done
		after_round || viol=$((viol + 1))
	done
	check "agent kill -9 at $point, $((r - 1)) rounds x $SLOTS devices: invariants held ($hit agents killed there, $done_ finished)" \
		test $viol -eq 0 -a $hit -ge $((ROUNDS / 2))
done
KEEP=
check "the SPP survived all agent kills" alive "$spp_pid"
stop_spp

# ---- kill -9 at random times
viol=0
for ((r = 1; r <= ROUNDS; r++)); do
	start_spp "$bin/chipkey-spp" || { viol=$((viol + 1)); continue; }
	start_agents "$bin/chipkey-agent" "$(cat "$t/spp.port")"
	sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
	kill -9 "$spp_pid"
	wait_agents
	wait "$spp_pid" 2>/dev/null
	after_round || viol=$((viol + 1))
done
check "SPP kill -9 at random times, $ROUNDS rounds: invariants held" test $viol -eq 0
viol=0
start_spp "$bin/chipkey-spp"
port=$(cat "$t/spp.port")
for ((r = 1; r <= ROUNDS; r++)); do
	start_agents "$bin/chipkey-agent" "$port"
	kp=()
	for ((i = 1; i <= SLOTS; i++)); do
		( sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"; kill -9 "${apid[$i]}" 2>/dev/null ) &
		kp+=($!)
	done
	wait_agents
	wait "${kp[@]}"
	after_round || viol=$((viol + 1))
done
check "agent kill -9 at random times, $ROUNDS rounds: invariants held" test $viol -eq 0

# ---- kill -9 the pubdb while it serves reads (and the SPP keeps writing)
viol=0 served=0 badread=0 reads=0
reader() { # reader URL CHIPS...: GET loop until killed
	local u=$1 c; shift
	while :; do
		for c in "$@"; do
			curl -s -o /dev/null -w '%{http_code}\n' "$u/v1/chips/$c/backup"
			curl -s -o /dev/null -w '%{http_code}\n' "$u/v1/chips/$c/generations"
		done
	done
}
for ((r = 1; r <= ROUNDS; r++)); do
	rm -f "$t/pubdb.port"
	"$bin/chipkey-pubdb" --db "$PUBURL" --listen 127.0.0.1:0 --writers "$FAC/mfr-ca.pem" \
		--port-file "$t/pubdb.port" 2>>"$t/pubdb.log" &
	ppid=$!
	wait_file "$t/pubdb.port" || { viol=$((viol + 1)); kill -9 $ppid; wait $ppid; continue; }
	url=http://127.0.0.1:$(cat "$t/pubdb.port")
	# a committed chip: its backup must come back byte-identical
	line=$(awk '$1 == "P"' "$t/dump.txt" | shuf -n 1)
	if [ -n "$line" ]; then
		set -- $line
		curl -sf "$url/v1/chips/$2/backup" | od -An -v -tx1 | tr -d ' \n' >"$t/got.hex"
		[ "$(cat "$t/got.hex")" = "$5" ] && served=$((served + 1)) || badread=$((badread + 1))
	fi
	chips=$(awk '$1 == "P" { print $2 }' "$t/dump.txt" | shuf -n 5)
	reader "$url" $chips 00000000000000000000000000000000 >"$t/reads$r.txt" 2>/dev/null &
	rpid1=$!
	reader "$url" $chips >>"$t/reads$r.b.txt" 2>/dev/null &
	rpid2=$!
	start_agents "$bin/chipkey-agent" "$port"
	sleep "0.$((RANDOM % 2))$((RANDOM % 10))"
	kill -9 $ppid
	wait $ppid 2>/dev/null
	kill $rpid1 $rpid2 2>/dev/null
	wait $rpid1 $rpid2 2>/dev/null
	wait_agents
	# readers saw only 200 (present) / 404 (absent) / 000 (server gone)
	grep -qvE '^(200|404|000)$' "$t/reads$r.txt" "$t/reads$r.b.txt" 2>/dev/null && badread=$((badread + 1))
	reads=$((reads + $(cat "$t/reads$r.txt" "$t/reads$r.b.txt" | grep -c '^200$')))
	after_round || viol=$((viol + 1))
done
check "pubdb kill -9 while serving reads, $ROUNDS rounds: invariants held, every restart served a committed backup byte-identically ($served checked; $reads reads answered 200 before the kills)" \
	test $viol -eq 0 -a $badread -eq 0 -a $served -ge $((ROUNDS - 1)) -a $reads -gt 0
if [ "${DBURL#sqlite:}" != "$DBURL" ]; then
	check "SQLite integrity_check after all the kills" \
		test "$(sqlite3 "${DBURL#sqlite:}" 'PRAGMA integrity_check')" = ok
fi

# ---- afterwards: every unfinished chip completes, with the identity it held
for ((i = 1; i <= SLOTS; i++)); do arc[$i]=1; done
start_agents "$bin/chipkey-agent" "$port"
wait_agents
allok=1
for ((i = 1; i <= SLOTS; i++)); do [ "${arc[$i]}" -eq 0 ] || allok=0; done
check "re-running provisioning on the chips left over completes (all $SLOTS exit 0)" test $allok -eq 1
check "... with the identity each chip held, invariants hold" after_round
# some chips provisioned earlier, their emulators restarted: ALREADY, same identity
viol=0
for name in $(ls "$t/chips" | sed -n 's/\.bin$//p' | shuf -n 4); do
	[ -n "${emu_pid[$name]:-}" ] && continue
	mkchip "$name" || { viol=$((viol + 1)); continue; }
	"$bin/chipkey-agent" provision $(station) --spp "127.0.0.1:$port" --device "emu:$t/chips/$name.sock" \
		--store "$t/store/again-$name" --timeout 5 >"$t/again.out" 2>>"$t/again.log"
	rc=$?
	h=${chip_hex[$name]}
	want=$(awk -v h="$h" '$1 == "I" && $4 == h { print $2 }' "$t/dump.txt")
	got=$(agent_id "$t/again.out")
	if [ -n "$want" ] && { [ $rc -ne 0 ] || [ "$got" != "$want" ]; }; then
		echo "# chip $h: re-run exit $rc identity '$got', pool says '$want'" >>"$t/inv.log"
		viol=$((viol + 1))
	fi
	[ -z "$want" ] && [ $rc -eq 0 ] && [ -z "$got" ] && viol=$((viol + 1))
	rmchip "$name"
done
check "re-running chips finished in earlier rounds: same identity again" test $viol -eq 0
stop_spp
dump_db "$t/dump.txt"
pub_all_ok() { [ "$pubviol" -eq 0 ] && published_ok; }
check "after every restart of the SPP ($pubviol violations) and after its last stop: the outbox empty, every issued record in the public database byte for byte and nothing else there (sqlite3 / psql)" \
	pub_all_ok
if [ "${DBURL#sqlite:}" != "$DBURL" ]; then
	# the check must be able to fail: a record the factory never issued
	cp "${PUBURL#sqlite:}" "$t/pub-copy.db"
	sqlite3 -batch "$t/pub-copy.db" "INSERT INTO public_records (chip_id, generation, identity, created, backup, cert)
		VALUES (x'00112233445566778899aabbccddeeff', 1, '357777000000018', 0, x'00', x'00')"
	pub_neg() { local PUBURL=sqlite:$t/pub-copy.db; ! published_ok; }
	check "... the publication check notices a public record the factory never issued" pub_neg
fi
check "no identity handed to two chips by any agent in $nchips chips ($idclash clashes)" \
	bash -c "test $idclash -eq 0 && test \$(awk '\$1 == \"I\" && \$3 == 2' '$t/dump.txt' | wc -l) -eq \$(awk '\$1 == \"P\" { print \$4 }' '$t/dump.txt' | sort -u | wc -l)"
# the checker must be able to fail on the real data too
neg() { # neg WANT_MESSAGE [PREGEN]: the doctored $t/bad.txt must be refused with it
	! "$tbin/spp-check" invariants "$t/bad.txt" "$FAC" "${2:-$t/pregen.txt}" >"$t/bad.out" &&
		grep -q "$1" "$t/bad.out"
}
# a key pair that was loaded but is neither in the pool nor any device's
cp "$t/dump.txt" "$t/bad.txt"
{ cat "$t/pregen.txt"; echo 3059deadbeef; } >"$t/pregen-bad.txt"
check "the checker notices a lost pre-generated key" neg "0 rows in the pool, used by 0" "$t/pregen-bad.txt"
awk '$1 == "P" { n++; if (n == 1) id = $4; if (n == 2) $4 = id } { print }' "$t/dump.txt" >"$t/bad.txt"
check "the checker notices an identity recorded for two chips" neg "recorded for chips"
awk '$1 == "I" && $3 == 0 && !done { done = 1; $3 = 2; $4 = "00112233445566778899aabbccddeeff" } { print }' "$t/dump.txt" >"$t/bad.txt"
check "the checker notices an identity issued without public and secret records" neg "without public and secret records"
echo "# $nchips emulated chips; $(grep -c '^# invariants:' "$t/inv.log") invariant checks"

echo "1..$n"
[ "$failed" -eq 0 ]
