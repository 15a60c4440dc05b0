#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Software install benchmark (docs/software-update.md): `chipkey update
# install` of an image of SIZE MiB (licence verification, copy into the
# inactive slot while hashing, fsync, state commit) against the floor of
# the same work without the copy: `sha256sum` (and `openssl dgst -sha256`)
# of the image plus `openssl cms -verify` of its licence.  Best of RUNS, MB/s (10^6 bytes).
#
#   make -C userspace && bench/update/run.sh [SIZE_MIB [RUNS]]
#   BENCH_DIR=DIR puts image and slots there (default: a directory under
#   /tmp; pass a tmpfs or a real flash partition to compare).
set -eu
SIZE=${1:-256} RUNS=${2:-3}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
bin=$TOP/build/bin
t=$(mktemp -d "${BENCH_DIR:-/tmp}/chipkey-bench-update-XXXXXX")
trap 'rm -rf "$t"' EXIT
ns() { date +%s%N; }
mbs() { awk -v b=$((SIZE * 1048576)) -v ns="$1" 'BEGIN { printf "%.0f", b / (ns / 1e9) / 1e6 }'; }

"$bin/chipkey-factory" init "$t/fac" >/dev/null
"$bin/chipkey-factory" licence-cred "$t/fac" >/dev/null
mkdir "$t/keys" && echo 350000000000006 >"$t/keys/identity"
head -c $((SIZE * 1048576)) /dev/urandom >"$t/img"
best_i=0 best_f=0 best_o=0
for r in $(seq "$RUNS"); do
	"$bin/chipkey-factory" licence "$t/fac" --image "$t/img" --sequence "$r" --class bench \
		--not-after "$(date -u -d "+1 year" +%Y-%m-%dT%H:%M:%SZ)" --out "$t/lic$r" >/dev/null
	a=$(ns)
	"$bin/chipkey" update install --image "$t/img" --licence "$t/lic$r" --slot-dir "$t/slots" \
		--keys "$t/keys" --rom-key "$t/fac/mfr-pubkey.der" --class bench >/dev/null
	b=$(ns)
	sha256sum "$t/img" >/dev/null
	openssl cms -verify -inform DER -binary -in "$t/lic$r" -CAfile "$t/fac/mfr-ca.pem" \
		-out /dev/null 2>/dev/null
	c=$(ns)
	openssl dgst -sha256 "$t/img" >/dev/null
	openssl cms -verify -inform DER -binary -in "$t/lic$r" -CAfile "$t/fac/mfr-ca.pem" \
		-out /dev/null 2>/dev/null
	d=$(ns)
	i=$((b - a)) f=$((c - b)) o=$((d - c))
	{ [ $best_o -eq 0 ] || [ $o -lt $best_o ]; } && best_o=$o
	{ [ $best_i -eq 0 ] || [ $i -lt $best_i ]; } && best_i=$i
	{ [ $best_f -eq 0 ] || [ $f -lt $best_f ]; } && best_f=$f
done
echo "image: $SIZE MiB, best of $RUNS, in $t"
echo "chipkey update install:                  $((best_i / 1000000)) ms  $(mbs $best_i) MB/s"
echo "floor (sha256sum + openssl cms -verify): $((best_f / 1000000)) ms  $(mbs $best_f) MB/s"
echo "floor (openssl dgst -sha256 + cms -verify): $((best_o / 1000000)) ms  $(mbs $best_o) MB/s"
