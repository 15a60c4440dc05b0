#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Recovery benchmark: factory + SPP + pubdb (SQLite) on 127.0.0.1, one
# emulated chip provisioned by chipkey-agent; then RUNS times: wipe the store
# and time `chipkey recover --db URL` until the store is restored and the
# keys are in place (median, p99, peak RSS).  Targets (issue 4): median
# < 50 ms, peak RSS < 8 MiB.  Then the boot-time cost (issue 14): loading
# the keys of the intact store (chipkey-load, chipkey load), chipkey's
# start-up alone and a plain cp as the floor.
#
#   make -C bench/recovery && bench/recovery/run.sh [RUNS]
#   BENCH_DIR=DIR puts the store there (default: a temporary
#   directory under /tmp; pass a tmpfs or a real flash partition to compare).
set -eu
RUNS=${1:-200}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
bin=$TOP/build/bin
t=$(mktemp -d /tmp/chipkey-bench-recovery-XXXXXX)
d=${BENCH_DIR:-$t}
# The keys directory is /run/chipkey on a device: tmpfs.
k=$(mktemp -d /dev/shm/chipkey-bench-keys-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || :; done; wait 2>/dev/null || :; rm -rf "$t" "$k"; }
trap cleanup EXIT
wait_file() { for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done; return 1; }

db="sqlite:$t/factory.db"
pdb="sqlite:$t/public.db"
"$bin/chipkey-factory" identities --prefix 35123400 --count 2 >"$t/ids.txt" 2>/dev/null
"$bin/chipkey-factory" init "$t/fac" --db "$db" --pool "$t/ids.txt" >/dev/null 2>&1
"$bin/chipkey-spp" --factory "$t/fac" --db "$db" --public-db "$pdb" --listen 127.0.0.1:0 --port-file "$t/spp.port" 2>/dev/null &
pids+=($!)
"$bin/chipkey-pubdb" --db "$pdb" --listen 127.0.0.1:0 --writers "$t/fac/mfr-ca.pem" \
	--port-file "$t/pubdb.port" 2>/dev/null &
pids+=($!)
# the chip, its chip certificate (a chip-vendor CA) and the one-chip batch
# the SPP serves (provisioning protocol 2)
"$bin/chipkey-fuse" ca --out-key "$t/vendor-ca.key" --out-cert "$t/vendor-ca.pem" >/dev/null 2>&1
"$bin/chipkey-fuse" create "$t/chip.bin" --rom-key "$t/fac/mfr-pubkey.der" --cert "$t/chip.pem" \
	--ca-key "$t/vendor-ca.key" --ca-cert "$t/vendor-ca.pem" >/dev/null 2>&1
"$bin/chipkey-factory" load-chips --db "$db" --chip-ca "$t/vendor-ca.pem" "$t/chip.pem" >/dev/null
"$bin/chipkey-emu" --state "$t/chip.bin" --socket "$t/chip.sock" --foreground 2>/dev/null &
pids+=($!)
wait_file "$t/spp.port"; wait_file "$t/pubdb.port"
for _ in $(seq 100); do [ -S "$t/chip.sock" ] && break; sleep 0.05; done
"$bin/chipkey-agent" provision --spp "127.0.0.1:$(cat "$t/spp.port")" --device "emu:$t/chip.sock" \
	--station-cert "$t/fac/station-cert.pem" --station-key "$t/fac/station-key.pem" \
	--store "$t/provisioned" >/dev/null
URL=http://127.0.0.1:$(cat "$t/pubdb.port")
mkdir -p "$d"
echo "# chipkey recover --db $URL, store in $d ($(df -T "$d" | awk 'NR==2 {print $2}')), $RUNS runs"
"$TOP/build/bench/bench-recover" "$RUNS" "$d/store" -- "$bin/chipkey" --device "emu:$t/chip.sock" \
	recover --store "$d/store" --keys "$k/keys" --db "$URL"
cmp -s "$d/store/backup.pkg" "$t/provisioned/backup.pkg" && echo "# restored store is byte-identical to the provisioned one"

# Boot-time cost (issue 14): every boot of a device with an intact store
# loads its keys (chipkey-load.service -> chipkey-boot load -> chipkey-load):
# from start to the keys in the keys directory, for chipkey-load (what
# boot runs), for `chipkey load` (the same in the chipkey program), and for
# `chipkey --help` (the start-up cost of chipkey alone), against the floor
# of a plain cp of the same store files into a fresh directory.  Targets:
# median < 5 ms, peak RSS < 4 MiB.
boot_bench() {	# NAME OUT COMMAND...: one bench-recover run, its numbers in OUT
	local name=$1 out=$2; shift 2
	echo "# $name, $RUNS runs"
	"$TOP/build/bench/bench-recover" "$RUNS" "$k/keys" -- "$@" | tee "$t/$out.txt"
}
echo "# store $d/store, keys directory on tmpfs ($k/keys): an intact store -> keys available"
boot_bench "chipkey-load (the boot path: chipkey-boot load)" load-prog \
	"$bin/chipkey-load" --device "emu:$t/chip.sock" --store "$d/store" --keys "$k/keys"
[ -s "$k/keys/device-key.pem" ] && echo "# the keys directory holds device-key.pem"
boot_bench "chipkey load" load-cli \
	"$bin/chipkey" --device "emu:$t/chip.sock" load --store "$d/store" --keys "$k/keys"
boot_bench "chipkey --help (start-up of chipkey alone)" help "$bin/chipkey" --help
echo "# floor: cp -r of the store ($(du -sk "$d/store" | cut -f1) KiB) to a fresh directory, $RUNS runs"
"$TOP/build/bench/bench-recover" "$RUNS" "$k/copy" -- /bin/cp -r "$d/store" "$k/copy" | tee "$t/cp.txt"
for x in load-prog load-cli help; do
	awk -v n="$x" '/^median/ { m[FILENAME] = $2 } /^peak RSS median/ { r[FILENAME] = $4 }
		END { printf "# %s / cp: median %.1fx, peak RSS %.1fx\n", n, m[ARGV[1]] / m[ARGV[2]], r[ARGV[1]] / r[ARGV[2]] }' \
		"$t/$x.txt" "$t/cp.txt"
done
