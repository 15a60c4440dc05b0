#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs every fuzz target for SECONDS each on its committed seed corpus
# (fuzz/corpus/TARGET, read only; new inputs go to build/fuzz/corpus/TARGET)
# and prints TAP: "ok N - fuzz TARGET: R runs, no crash".  A crash, leak,
# sanitizer report or timeout fails the target; its input is saved as
# build/fuzz/crashes/TARGET-*, the log as build/fuzz/log/TARGET.log.
#
#   fuzz/run.sh BINDIR SECONDS [TARGET...]
#
# FUZZ_TIMEOUT (default 10): seconds one input may take before it counts as
# a hang.  libFuzzer measures it on the wall clock: raise it when the
# machine is shared (a niced long run beside other work).
set -u
bindir=${1:?usage: run.sh BINDIR SECONDS [TARGET...]}
secs=${2:?usage: run.sh BINDIR SECONDS [TARGET...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
work=$(cd "$bindir/.." && pwd)
mkdir -p "$work/corpus" "$work/crashes" "$work/log"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for s in "$here"/*.c; do targets+=("$(basename "$s" .c)"); done
fi

echo "# ${#targets[@]} fuzz targets, $secs s each"
n=0 rc=0
for t in "${targets[@]}"; do
	n=$((n + 1))
	seeds="$here/corpus/$t"
	mkdir -p "$work/corpus/$t"
	nseeds=0
	if [ -d "$seeds" ]; then nseeds=$(ls "$seeds" | wc -l); else seeds=; fi	# none yet
	log="$work/log/$t.log"
	# -max_len: room for the largest inputs of the protocols (a sealed
	# wrap request is at most 65 KiB + headers).
	"$bindir/$t" -max_total_time="$secs" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 \
		-max_len=70000 -print_final_stats=1 \
		-artifact_prefix="$work/crashes/$t-" \
		"$work/corpus/$t" ${seeds:+"$seeds"} >"$log" 2>&1
	st=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
	if [ $st -eq 0 ] && [ -n "$runs" ] &&
	   ! grep -qE '^(==[0-9]+==ERROR|SUMMARY: |.*runtime error:)' "$log"; then
		echo "ok $n - fuzz $t: $runs runs, no crash"
		echo "#   $rate runs/s, $cov, corpus $(ls "$work/corpus/$t" | wc -l) + $nseeds seeds"
	else
		rc=1
		echo "not ok $n - fuzz $t: exit $st after ${runs:-?} runs (build/fuzz/log/$t.log)"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -5 | sed 's/^/#   /'
	fi
done
exit $rc
