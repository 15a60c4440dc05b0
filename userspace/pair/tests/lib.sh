# SPDX-License-Identifier: GPL-2.0
#
# Set-up shared by the pairing tests (run.sh, test-channel.sh,
# test-rollback.sh, test-directory.sh), sourced after tap.sh once the
# script has set bin (native programs), ck (the chipkey under test) and
# records; the script then calls make_test_dir NAME ($t, pids):
# emulated chips provisioned as the factory does (common/tests/devices.sh),
# a public database, pairing two devices with a person answering on each
# side's stdin.
. "$(dirname "${BASH_SOURCE[0]}")/../../common/tests/devices.sh"
# cleanup: the exit trap; on a failure the last 8 lines of the logs and
# of the saved stderr of each side
cleanup() { clean_up_at_exit 8 log err; }
trap cleanup EXIT
# wait_for FILE PATTERN: until FILE holds a line matching PATTERN (devices.sh)

# chip NAME FACTORY CHIP-ID: a fuse image and its emulator on $t/NAME.sock
chip() { emulate "$@"; }
# provision NAME FACTORY CHIP-ID N: chip NAME, its keys directory $t/NAME.keys;
# its device certificate names the chip's attestation key (unless NO_Q is set);
# generation 1 in the public database $DB
provision() {
	local q=--attest
	[ "${NO_Q:-}" ] && q=
	provision_device "$1" "$2" "$3" "$4" $q &&
	"$bin/chipkey-pubdb-put" --url "$DB" --key "$2/record-key.pem" --cert "$2/record-chain.pem" \
		--chip "$3" --generation 1 --identity "$DEVICE_ID" --backup "$t/$1.pkg" \
		--device-cert "$t/$1.keys/device-cert.der" >/dev/null 2>>"$t/setup.log"
}
# gen NAME: the generation of NAME's flash store; gens: of every device
gen() { readlink "$t/$1.store/current" 2>/dev/null | sed -n 's/^store-\([0-9]*\)-.*/\1/p'; }
gens() { for n in a b m x n clone; do printf '%s=%s ' "$n" "$(gen $n)"; done; }
# dp NAME: NAME's current data package, unwrapped by its chip, in $t/NAME.dp
dp() { "$bin/chipkey" --device "emu:$t/$1.sock" unwrap "$t/$1.store/backup.pkg" "$t/$1.cur.dp" 2>>"$t/setup.log"; }
# rec NAME WHAT [IDENTITY]: records.py on NAME's current data package
rec() { local n=$1; shift; dp "$n" && "$records" "$t/$n.cur.dp" "$@"; }
# published NAME: the public database's latest generation of NAME is the store's, byte for byte
published() {
	curl -sf "$DB/v1/chips/$(cat "$t/$1.chipid")/generations/$(gen "$1")/backup" |
		cmp -s - "$t/$1.store/backup.pkg"
}

# pair RUN LISTENER CONNECTOR [listen options] -- [connect options]:
# `pair listen` on LISTENER's chip and keys, `pair connect` from
# CONNECTOR's, flash stores $t/NAME.store; each reads its answer from the FIFO
# $t/RUN.l.in / $t/RUN.c.in (write with answer RUN l|c TEXT); output in
# $t/RUN.l.out/.err, $t/RUN.c.out/.err; pids in $lpid $cpid.
pair_start() {
	local run=$1 l=$2 c=$3 lo=() co=()
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do lo+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	co=("$@")
	rm -f "$t/$run.port" "$t/$run.l.in" "$t/$run.c.in"
	mkfifo "$t/$run.l.in" "$t/$run.c.in"
	"${lck[@]}" --device "emu:$t/$l.sock" pair listen --port 0 --bind 127.0.0.1 \
		--port-file "$t/$run.port" --keys "$t/$l.keys" --store "$t/$l.store" --timeout 60 \
		"${lo[@]}" <"$t/$run.l.in" >"$t/$run.l.out" 2>"$t/$run.l.err" &
	lpid=$!
	exec 7>"$t/$run.l.in"
	wait_for "$t/$run.port" . || return 1
	"${cck[@]}" --device "emu:$t/$c.sock" pair connect "127.0.0.1:$(cat "$t/$run.port")" \
		--keys "$t/$c.keys" --store "$t/$c.store" --timeout 60 \
		"${co[@]}" <"$t/$run.c.in" >"$t/$run.c.out" 2>"$t/$run.c.err" &
	cpid=$!
	exec 8>"$t/$run.c.in"
}
lck=("$ck")	# the listener's program (a test build below)
cck=("$ck")	# the connector's
# (a listener or connector that already exited: the write fails, the script goes on)
answer() { if [ "$2" = l ]; then echo "$3" >&7; else echo "$3" >&8; fi; } 2>/dev/null
trap '' PIPE
close_answers() { exec 7>&- 8>&-; }
code_of() { sed -n 's/^code: \([0-9]\{6\}\)$/\1/p' "$t/$1.out"; }
# pair_wait: exit codes of both sides in $lrc $crc
pair_wait() {
	close_answers
	{ wait "$lpid"; lrc=$?; wait "$cpid"; crc=$?; } 2>/dev/null	# no "Killed" notices
}
# same_store A B: two flash stores byte for byte the same (diff -r; the
# empty update lock file a refused change may have created aside)
same_store() { diff -r -x .update.lock "$1" "$2" >"$t/diff.log" 2>&1 || { sed 's/^/# /' "$t/diff.log" | head -5; false; }; }
# pair_ok RUN L C: pair L (listen) and C (connect), both persons accept
pair_ok() {
	pair_start "$@"
	wait_for "$t/$1.l.out" '^code:' && wait_for "$t/$1.c.out" '^code:'
	answer "$1" l y; answer "$1" c y
	pair_wait
}
# unchanged: no device's generation moved since the last `G0=$(gens)`
unchanged() { [ "$(gens)" = "$G0" ]; }
# both COND: the test COND holds and no device kept anything
both() { eval "$1" && unchanged; }

# factory NAME [chipkey-factory init options]: a factory in $t/NAME, with
# its record signer's chain $t/NAME/record-chain.pem
factory() {
	local f=$1
	shift
	"$bin/chipkey-factory" init "$t/$f" "$@" >/dev/null 2>>"$t/setup.log" &&
		cat "$t/$f/record-cert.pem" "$t/$f/ica-cert.pem" >"$t/$f/record-chain.pem"
}
# pubdb_start FACTORY...: chipkey-pubdb on 127.0.0.1 accepting those
# factories' writers; $DB and $CHIPKEY_PUBDB its URL
pubdb_start() {
	local f PORT SPID	# start_server's, not the caller's
	for f in "$@"; do cat "$t/$f/mfr-ca.pem"; done >"$t/writers.pem"
	wait_steps=600 start_server pubdb "$t/pubdb.port" "$bin/chipkey-pubdb" --db "sqlite:$t/public.db" \
		--listen 127.0.0.1:0 --writers "$t/writers.pem" --port-file "$t/pubdb.port" || return 1
	DB=http://127.0.0.1:$PORT
	export CHIPKEY_PUBDB=$DB
}
