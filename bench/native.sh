#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# native.sh TOP OUT: run chipkey-emu on a throwaway fuse image and
# benchmark it against in-process OpenSSL (bench/ck_bench_emu).
set -eu
TOP=$1 OUT=$2
dir=$(mktemp -d /tmp/ck-bench.XXXXXX)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/m.key" 2>/dev/null
openssl pkey -in "$dir/m.key" -pubout -outform DER -out "$dir/m.der"
"$TOP/selftests/vm/mkfuse.sh" "$dir/state" random "$dir/m.der"
chmod 600 "$dir/state"
"$TOP/build/bin/chipkey-emu" --foreground --state "$dir/state" --socket "$dir/sock" 2>/dev/null &
pid=$!
i=0
while [ ! -S "$dir/sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
"$OUT/ck_bench_emu" "$dir/sock"
