#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# native.sh TOP OUT: run chipkey-emu on a throwaway fuse image and
# benchmark it against in-process OpenSSL (bench/ck_bench_emu).
#
# Each request is a round trip to another process, so the result depends on
# how fast the scheduler wakes the other side.  On an idle virtual machine a
# wake-up on the other vCPU costs tens of microseconds (the idle vCPU has
# halted and needs an IPI), which dominates small requests.  The benchmark is
# therefore run twice: free scheduling, and with the emulator and the client
# pinned to one CPU (taskset), where the wake-up is a plain context switch.
set -eu
TOP=$1 OUT=$2
dir=$(mktemp -d /tmp/ck-bench.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/m.key" 2>/dev/null
"$TOP/build/bin/chipkey-fuse" create "$dir/state" --rom-key "$dir/m.key"

run() { # run LABEL [taskset -c N]
	label=$1
	shift
	rm -f "$dir/sock"
	"$@" "$TOP/build/bin/chipkey-emu" --foreground --state "$dir/state" \
		--socket "$dir/sock" 2>/dev/null &
	pid=$!
	i=0
	while [ ! -S "$dir/sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	echo "# == $label"
	"$@" "$OUT/ck_bench_emu" "$dir/sock"
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null || true
	pid=
}
run "free scheduling (emulator and client on any CPU)"
if command -v taskset >/dev/null 2>&1; then
	run "emulator and client pinned to CPU 0 (no cross-CPU wake-ups)" taskset -c 0
fi
