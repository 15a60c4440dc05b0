# SPDX-License-Identifier: GPL-2.0
#
# The set-up the end-to-end shell tests share (service, enroll, pair): a
# temporary directory cleaned at exit, programs in the background, waiting
# for files, emulated chips provisioned as the factory does.  Sourced after
# tap.sh:  . "$here/../../common/tests/devices.sh"
# It uses $t (the test's directory), $bin (the native programs) and the
# array pids (background programs to stop at exit).

# make_test_dir NAME: ASan leak checks on (unless ASAN_OPTIONS is set), no
# CHIPKEY_DEVICE from outside, $t a new /tmp/chipkey-test-NAME-XXXXXX
# holding tap.sh's $tap_out/$tap_err, no background programs yet
make_test_dir() {
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
	unset CHIPKEY_DEVICE
	t=$(mktemp -d "/tmp/chipkey-test-$1-XXXXXX")
	tap_out=$t/out tap_err=$t/err
	pids=()
}

# clean_up_at_exit LINES EXT...: the exit trap, trap 'clean_up_at_exit 15 log'
# EXIT: stop the programs in pids; if a test failed, the last LINES lines of
# each $t/*.EXT as comments; remove $t (kept, and named, with KEEP=1)
clean_up_at_exit() {
	local n=$1 e f p
	shift
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	if [ "$tap_failed" -gt 0 ]; then
		for e in "$@"; do
			for f in "$t"/*."$e"; do
				[ -f "$f" ] && sed "s|^|# $(basename "$f"): |" "$f" | tail -"$n"
			done
		done
	fi
	if [ -n "${KEEP:-}" ]; then echo "# kept $t"; else rm -rf "$t"; fi
}

# wait_until STEPS COMMAND...: try COMMAND every 0.05 s, at most STEPS
# times; status 0 as soon as it succeeds (a bound, not a timed assertion)
wait_until() {
	local n=$1 _
	shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.05; done
	return 1
}
# wait_file FILE: until FILE is not empty (at most $wait_steps tries, 200)
wait_file() { wait_until "${wait_steps:-200}" test -s "$1"; }
# wait_for FILE PATTERN [STEPS]: until FILE holds a line matching PATTERN
# (at most STEPS tries, 600)
wait_for() { wait_until "${3:-600}" grep -qs "$2" "$1"; }

# start_server LOG PORT-FILE COMMAND...: COMMAND (which writes its port to
# PORT-FILE) in the background, stderr appended to $t/LOG.log; its pid in
# $SPID and pids; once PORT-FILE is written, the port in $PORT
start_server() {
	local log=$1 pf=$2
	shift 2
	rm -f "$pf"
	"$@" 2>>"$t/$log.log" &
	SPID=$!
	pids+=("$SPID")
	wait_file "$pf" && PORT=$(cat "$pf")
}

# emulate NAME FACTORY CHIP-ID: a fuse image $t/NAME.bin for that chip ID
# and FACTORY's ROM key, its emulator on $t/NAME.sock (status 0 once the
# socket is there)
emulate() {
	"$bin/chipkey-fuse" create "$t/$1.bin" --rom-key "$2/mfr-pubkey.der" --chip-id "$3" \
		>/dev/null 2>>"$t/setup.log" || return 1
	"$bin/chipkey-emu" --state "$t/$1.bin" --socket "$t/$1.sock" --foreground 2>>"$t/emu.log" &
	pids+=($!)
	wait_until 200 test -S "$t/$1.sock"
}

# provision_device NAME FACTORY CHIP-ID N [--attest]: as the factory does:
# the emulated chip NAME (emulate), identity number N (in $DEVICE_ID), its
# data package $t/NAME.dp (with --attest: the device certificate names the
# chip's attestation key, $t/NAME.q.pem), wrapped by the chip into
# $t/NAME.pkg, recovered into the flash store $t/NAME.store and the keys
# directory $t/NAME.keys (generation 1)
provision_device() {
	local name=$1 fac=$2 chip=$3 q=()
	DEVICE_ID=$("$bin/chipkey-factory" identities --prefix 35123400 --start "$4" --count 1)
	emulate "$name" "$fac" "$chip" || return 1
	if [ "${5:-}" = --attest ]; then
		"$bin/chipkey" --device "emu:$t/$name.sock" attest-key --pem >"$t/$name.q.pem" \
			2>>"$t/setup.log" || return 1
		q=(--attest-key "$t/$name.q.pem")
	fi
	"$bin/chipkey-factory" package "$fac" --identity "$DEVICE_ID" --chip-id "$chip" \
		"${q[@]}" --out "$t/$name.dp" >/dev/null 2>>"$t/setup.log" &&
	"$bin/chipkey" --device "emu:$t/$name.sock" wrap --generation 1 "$t/$name.dp" "$t/$name.pkg" \
		2>>"$t/setup.log" &&
	"$bin/chipkey" --device "emu:$t/$name.sock" recover --from "$t/$name.pkg" \
		--store "$t/$name.store" --keys "$t/$name.keys" >/dev/null 2>>"$t/setup.log"
}
