#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Provisioning throughput benchmark (a measurement, not a test).
#
#   OUT=build/bench/provision ./run.sh      (make -C bench/provision does this)
#
# Environment:  N        devices to provision           (default 1000)
#               CONC     concurrent emulated devices    (default 32)
#               WORKERS  chipkey-spp --workers          (default 32)
#               PREGEN   pre-generated key pairs        (default 0: keygen inline)
#               DBDIR    where the SQLite file lives    (default: a temp dir
#                        under /var/tmp, i.e. the real disk, so fsync costs)
#
# Method (see README.md): a fresh factory (chipkey-factory init, SQLite, an
# identity pool of N), N fuse images with their chip certificates
# (chipkey-fuse, a chip-vendor CA) loaded as the chip batch
# (chipkey-factory load-chips), one chipkey-spp (provisioning protocol 2).
# ck_prov_load spawns one chipkey-emu per image before the clock starts and
# then drives CONC devices at a time through the whole protocol; a device
# counts once DONE arrives, which the SPP sends only after its durable
# commit (WAL, synchronous=FULL).  In the same run ck_prov_stages times each
# SPP stage in-process with the same library calls (one thread), and the
# crypto-only floor with plain OpenSSL.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$here/../../build/bench/provision}
bin=$OUT/deps/bin
N=${N:-1000} CONC=${CONC:-32} WORKERS=${WORKERS:-32} PREGEN=${PREGEN:-0}
DBDIR=${DBDIR:-/var/tmp}

t=$(mktemp -d /tmp/ck-bench-prov.XXXXXX)
dbd=$(mktemp -d "$DBDIR/ck-bench-prov-db.XXXXXX")
spp_pid= emu_pid=
cleanup() {
	[ -n "$spp_pid" ] && kill "$spp_pid" 2>/dev/null && wait "$spp_pid" 2>/dev/null
	[ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null
	rm -rf "$t" "$dbd"
}
trap cleanup EXIT

echo "# provisioning benchmark: N=$N devices, $CONC concurrent, chipkey-spp --workers $WORKERS, SQLite in $DBDIR, pregen=$PREGEN, $(nproc) CPUs"
db="sqlite:$dbd/factory.db"
"$bin/chipkey-factory" identities --prefix 35123400 --count "$N" >"$t/ids.txt"
"$bin/chipkey-factory" init "$t/fac" --db "$db" --pool "$t/ids.txt" --pregen "$PREGEN" >"$t/factory.log" 2>&1
# the chips: a chip-vendor CA, N fuse images, each with its chip certificate
# (before the clock: chips arrive made); the batch is loaded into each
# database before its run (chipkey-factory load-chips)
mkdir "$t/chips"
"$bin/chipkey-fuse" ca --out-key "$t/vendor-ca.key" --out-cert "$t/vendor-ca.pem" >/dev/null
seq 0 $((N - 1)) | xargs -P "$(nproc)" -I{} "$bin/chipkey-fuse" create "$t/chips/{}.bin" \
	--rom-key "$t/fac/mfr-pubkey.der" --cert "$t/chips/{}.pem" \
	--ca-key "$t/vendor-ca.key" --ca-cert "$t/vendor-ca.pem" >/dev/null
load_batch() { # load_batch DBURL
	"$bin/chipkey-factory" load-chips --db "$1" --chip-ca "$t/vendor-ca.pem" "$t"/chips/*.pem \
		>>"$t/load-chips.log" 2>&1 || { echo "# load-chips failed:"; sed 's/^/# /' "$t/load-chips.log"; exit 1; }
}
load_batch "$db"

# ---- stages + crypto floor (in-process, one thread); its own database
sdb="sqlite:$dbd/stages.db"
"$bin/chipkey-factory" identities --prefix 35999900 --count 400 >"$t/ids2.txt"
"$bin/chipkey-factory" load-pool --db "$sdb" "$t/ids2.txt" >/dev/null 2>&1
"$bin/chipkey-fuse" create "$t/stage.bin" --rom-key "$t/fac/mfr-pubkey.der" >/dev/null
"$bin/chipkey-emu" --foreground --state "$t/stage.bin" --socket "$t/stage.sock" 2>/dev/null &
emu_pid=$!
for _ in $(seq 100); do [ -S "$t/stage.sock" ] && break; sleep 0.05; done
"$OUT/ck_prov_stages" --factory "$t/fac" --db "$sdb" --device "emu:$t/stage.sock" \
	--iterations 300 >"$t/stages.txt"
kill "$emu_pid"; wait "$emu_pid" 2>/dev/null || true; emu_pid=

# ---- end to end: run_e2e NAME DBURL
run_e2e() {
	local name=$1 url=$2 rc=0
	rm -f "$t/port"
	"$bin/chipkey-spp" --factory "$t/fac" --db "$url" --public-db "${url%.db}-public.db" \
		--listen 127.0.0.1:0 --port-file "$t/port" \
		--workers "$WORKERS" --max-per-ip $((2 * CONC)) 2>"$t/spp-$name.log" &
	spp_pid=$!
	for _ in $(seq 100); do [ -s "$t/port" ] && break; sleep 0.05; done
	"$OUT/ck_prov_load" --spp "127.0.0.1:$(cat "$t/port")" --emu "$bin/chipkey-emu" \
		--chips "$t/chips" --count "$N" --concurrency "$CONC" --spp-pid "$spp_pid" \
		--station-cert "$t/fac/station-cert.pem" --station-key "$t/fac/station-key.pem" \
		>"$t/load-$name.txt" 2>"$t/load-$name.err" || rc=$?
	[ $rc -eq 0 ] || { echo "# $name: some devices failed (ck_prov_load exit $rc):"
			   sed 's/^/# /' "$t/load-$name.err" | sort | uniq -c | head; }
	kill "$spp_pid"; wait "$spp_pid" 2>/dev/null || true; spp_pid=
}
run_e2e disk "$db"
# the floor again right after the run: on a shared machine the speed can
# change between the floor above and the run (report.py shows both)
"$OUT/ck_prov_stages" --floor-only "$(sed -n 's/^size_data_package=//p' "$t/stages.txt")" \
	--iterations 300 >"$t/floor-after.txt"
issued=$(sqlite3 "$dbd/factory.db" "SELECT count(*) FROM identity_pool WHERE state = 2" 2>/dev/null || echo "?")

# the same chips again against a fresh pool on tmpfs: fsync is nearly free
# there (a reference for what the disk costs; NOT durable against power loss)
shm=$(mktemp -d /dev/shm/ck-bench-prov.XXXXXX)
"$bin/chipkey-factory" load-pool --db "sqlite:$shm/factory.db" "$t/ids.txt" >/dev/null 2>&1
load_batch "sqlite:$shm/factory.db"
run_e2e tmpfs "sqlite:$shm/factory.db"
rm -rf "$shm"

/usr/bin/python3 "$here/report.py" "$t/load-disk.txt" "$t/stages.txt" "$issued" "$(nproc)" \
	"$t/load-tmpfs.txt" "$t/floor-after.txt"
