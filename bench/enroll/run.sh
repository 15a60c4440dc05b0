#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/enroll/run.sh BUILD: enrollments per second of chipkey-enroll
# (docs/enrollment.md "Benchmark"; a measurement, not a test).
#
# Set-up (not timed): a factory; N emulated chips provisioned as the
# factory does (common/tests/devices.sh provision_device: a device
# certificate naming the chip's attestation key, generation 1 in the flash
# store and in a chipkey-pubdb on 127.0.0.1); a customer node
# (chipkey-enroll init, whitelist of the N, serve on 127.0.0.1).
# Timed: `chipkey enroll` of the N devices, CONC at a time (xargs -P), each
# the whole device side (cacerts, challenge, the chip's proof, simpleenroll,
# generation 2 wrapped and stored, published to the public database, keys
# written); wall time from the first start to the last exit, and the
# node's CPU time (/proc/PID/task/*/schedstat) over the run.  Then, in the
# same run, bench-enroll-floor: the crypto one enrollment costs the node.
#
# Environment: N (devices, default 128), CONC (concurrent devices, 32),
# KEEP=1 keeps the directory.
set -eu
B=${1:?build dir} N=${N:-128} CONC=${CONC:-32}
here=$(cd "$(dirname "$0")" && pwd)
bin=$B/bin
. "$here/../../userspace/common/tests/devices.sh"
t=$(mktemp -d /tmp/chipkey-bench-enroll-XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || :; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || :; done
	if [ -n "${KEEP:-}" ]; then echo "# kept $t"; else rm -rf "$t"; fi
}
trap cleanup EXIT
# cpu_ns PID: CPU time of all threads of PID so far, ns (schedstat: not
# rounded to clock ticks as /proc/PID/stat is)
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { printf "%.0f", s }'; }

"$bin/chipkey-factory" init "$t/fac" >/dev/null 2>>"$t/setup.log"
"$bin/chipkey-pubdb" --db "sqlite:$t/public.db" --listen 127.0.0.1:0 --writers "$t/fac/mfr-ca.pem" \
	--max-per-ip 1000 --port-file "$t/pubdb.port" 2>>"$t/pubdb.log" &
pids+=($!)
PUBDB_PID=$!
wait_file "$t/pubdb.port"
DB=http://127.0.0.1:$(cat "$t/pubdb.port")
cat "$t/fac/record-cert.pem" "$t/fac/ica-cert.pem" >"$t/record-chain.pem"
echo "# set-up: $N emulated devices provisioned, generation 1 published (not timed)"
: >"$t/list"
for i in $(seq "$N"); do
	chip=$(printf 'be%030x' "$i")
	provision_device "d$i" "$t/fac" "$chip" "$i" --attest
	"$bin/chipkey-pubdb-put" --url "$DB" --key "$t/fac/record-key.pem" --cert "$t/record-chain.pem" \
		--chip "$chip" --generation 1 --identity "$DEVICE_ID" --backup "$t/d$i.pkg" \
		--device-cert "$t/d$i.keys/device-cert.der" >/dev/null 2>>"$t/setup.log"
	echo "$DEVICE_ID $chip" >>"$t/list"
done
"$bin/chipkey-enroll" init "$t/node" --org "Bench Customer" --mfr-ca "$t/fac/mfr-ca.pem" \
	>/dev/null 2>>"$t/setup.log"
"$bin/chipkey-enroll" whitelist "$t/node" "$t/list" >/dev/null
start_server node "$t/node.port" "$bin/chipkey-enroll" serve "$t/node" --listen 127.0.0.1:0 \
	--port-file "$t/node.port" --max-conns 1000 --max-per-ip 1000
NODE_PID=$SPID
EST=https://localhost:$PORT

# one_device I: the whole device side of one enrollment; "ok" or "failed RC"
cat >"$t/one.sh" <<EOS
#!/bin/sh
"$bin/chipkey" --device "emu:$t/d\$1.sock" enroll --est "$EST" --store "$t/d\$1.store" \\
	--keys "$t/d\$1.keys" --db "$DB" >/dev/null 2>>"$t/enroll-\$1.log"
rc=\$?
[ \$rc -eq 0 ] && echo ok || echo "failed \$rc"
EOS
chmod +x "$t/one.sh"
c0=$(cpu_ns "$NODE_PID") p0=$(cpu_ns "$PUBDB_PID") s0=$(date +%s.%N)
seq "$N" | xargs -P "$CONC" -n 1 "$t/one.sh" >"$t/results"
s1=$(date +%s.%N) c1=$(cpu_ns "$NODE_PID") p1=$(cpu_ns "$PUBDB_PID")
okn=$(grep -c '^ok' "$t/results" || :)
issued=$("$bin/chipkey-enroll" issuances "$t/node" | wc -l)
echo "# $(nproc) CPUs, load average before the floor: $(cut -d' ' -f1-3 /proc/loadavg); $(openssl version)"
echo "# node, devices (chipkey enroll, emulators), public database and load on the same machine"
"$B/bench/bench-enroll-floor" "$t/node/tls-cert.pem" "$t/node/tls-key.pem" "$t/d1.keys/device-cert.pem" \
	"$t/d1.keys/device-key.pem" "$t/node" >"$t/floor.txt"
sed 's/^/# floor (1 thread, CPU us; fsync wall us): /' "$t/floor.txt"
awk -v n="$N" -v conc="$CONC" -v ok="$okn" -v issued="$issued" -v s0="$s0" -v s1="$s1" \
	-v c="$((c1 - c0))" -v p="$((p1 - p0))" '
	$1 == "floor_us" { f = $2 } $1 == "floor_fsync_us" { ff = $2 }
	END {
		wall = s1 - s0; rate = ok / wall
		if (!ok) { printf "enroll: no device enrolled (%d failed)\n", n; exit }
		cpu_us = c / 1e3 / ok; pub_us = p / 1e3 / ok
		printf "enroll: %d devices, %d concurrent: %d enrolled (%d failed), %d in the ledger, %.2f s wall\n", n, conc, ok, n - ok, issued, wall
		printf "enroll: %.1f enrollments/s (wall, whole device side); node CPU %.0f us/enrollment (%.0f%% of one CPU); public database CPU %.0f us/enrollment\n", rate, cpu_us, 100 * c / 1e9 / wall, pub_us
		printf "floor: %.0f us/enrollment of crypto on the node (%.0f us with the ledger fsync)\n", f, ff
		printf "ratio floor / node CPU per enrollment: %.2f; floor (with fsync) / wall time per enrollment: %.2f\n", f / cpu_us, ff / (1e6 / rate)
	}' "$t/floor.txt"
if [ "$okn" -ne "$N" ]; then
	echo "# failures (exit codes):"; grep -v '^ok' "$t/results" | sort | uniq -c | sed 's/^/# /'
	cat "$t"/enroll-*.log 2>/dev/null | sort | uniq -c | sort -rn | head -5 | sed 's/^/# /'
fi
