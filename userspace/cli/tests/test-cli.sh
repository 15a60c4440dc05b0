#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The chipkey and chipkey-fuse command lines against a chipkey-emu:
# exit codes and messages per error class (docs/cli.md), --json, atomic
# output.  TAP on stdout.
#
#   test-cli.sh BINDIR
set -u
bin=${1:?usage: test-cli.sh BINDIR}
# ok, nok, skip, check, expect_exit CODE DESC -- COMMAND..., tap_done
. "$(dirname "$0")/../../common/tests/tap.sh"
. "$(dirname "$0")/../../common/tests/flip.sh"
err_has() { grep -q -- "$1" "$t/err"; }

t=$(mktemp -d /tmp/chipkey-test-cli-XXXXXX)
tap_out=$t/out tap_err=$t/err	# expect_exit keeps the command's output here
chmod 755 "$t"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$t"
}
trap cleanup EXIT

ck="$bin/chipkey"
fuse="$bin/chipkey-fuse"
emu="$bin/chipkey-emu"

# ---- chipkey-fuse
openssl ecparam -name prime256v1 -genkey -noout -out "$t/rom.pem" 2>/dev/null
openssl pkey -in "$t/rom.pem" -pubout -out "$t/rom.pub.pem" 2>/dev/null
openssl pkey -in "$t/rom.pem" -pubout -outform DER -out "$t/rom.pub.der" 2>/dev/null
expect_exit 0 "fuse create from a private key (public half taken)" -- \
	"$fuse" create "$t/chip1.bin" --rom-key "$t/rom.pem" --chip-id 00112233445566778899aabbccddeeff
check "fuse image is 512 bytes, mode 0600" \
	test "$(stat -c %s:%a "$t/chip1.bin")" = 512:600
expect_exit 22 "fuse create refuses to overwrite without --force" -- \
	"$fuse" create "$t/chip1.bin" --rom-key "$t/rom.pub.pem"
check "... and says so" err_has "use --force"
expect_exit 0 "fuse create --force with a PEM public key" -- \
	"$fuse" create "$t/chip1.bin" --rom-key "$t/rom.pub.pem" --chip-id 00112233445566778899aabbccddeeff --force
expect_exit 0 "fuse create with a DER public key, random chip ID" -- \
	"$fuse" create "$t/chip2.bin" --rom-key "$t/rom.pub.der"
expect_exit 1 "fuse create with a bad --chip-id" -- \
	"$fuse" create "$t/x.bin" --rom-key "$t/rom.pem" --chip-id 1234
expect_exit 6 "fuse create with a non-key --rom-key" -- \
	"$fuse" create "$t/x.bin" --rom-key "$t/chip1.bin"
check "no image left behind by failed creates" test ! -e "$t/x.bin"
expect_exit 0 "fuse show" -- "$fuse" show "$t/chip1.bin"
check "show prints the chip ID" grep -q "00112233445566778899aabbccddeeff" "$t/out"
want_fp=$(sha256sum <"$t/rom.pub.der" | cut -d' ' -f1)
check "show prints the ROM key SHA-256 fingerprint" grep -q "$want_fp" "$t/out"
key_hex=$(od -An -tx1 -j24 -N32 "$t/chip1.bin" | tr -d ' \n')
key_hex_half=${key_hex:0:16}
check "show never prints the chip key" \
	bash -c "! grep -qi '$key_hex_half' '$t/out' '$t/err'"
"$fuse" create "$t/unprog.bin" --rom-key "$t/rom.pem" --unprogrammed ones 2>/dev/null
expect_exit 0 "fuse show of an unprogrammed image" -- "$fuse" show "$t/unprog.bin"
check "... says UNPROGRAMMED" grep -q UNPROGRAMMED "$t/out"

# ---- emulators
start_emu() { # start_emu STATE SOCK
	"$emu" --state "$1" --socket "$2" --foreground 2>>"$t/emu.log" &
	pids+=($!)
	for _ in $(seq 500); do [ -S "$2" ] && return 0; sleep 0.02; done
	return 1
}
check "start emulator 1" start_emu "$t/chip1.bin" "$t/s1"
check "start emulator 2" start_emu "$t/chip2.bin" "$t/s2"
d1="emu:$t/s1" d2="emu:$t/s2"

expect_exit 0 "info" -- "$ck" --device "$d1" info
check "info shows the chip ID" grep -q "00112233445566778899aabbccddeeff" "$t/out"
expect_exit 0 "info --json" -- "$ck" --device "$d1" info --json
check "info --json is valid JSON" python3 -m json.tool "$t/out" /dev/null
check "info --json fields" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["chip_id"] == "00112233445566778899aabbccddeeff", j
assert j["abi_version"] == 2 and j["key_source"] == "emulator", j
assert j["max_payload"] == 65536 and j["pkg_overhead"] == 88, j
assert j["rom_key_len"] == int(sys.argv[2]), j
' "$t/out" "$(stat -c %s "$t/rom.pub.der")"
check "info --json: the documented keys, in order, with their JSON types" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
keys = ["device", "backend", "abi_version", "chip_id", "key_source", "key_source_id",
        "max_payload", "max_package", "pkg_overhead", "rom_key_len"]
assert list(j) == keys, list(j)
for k in keys:
    assert type(j[k]) is (str if k in ("device", "backend", "chip_id", "key_source") else int), k
' "$t/out"
expect_exit 16 "status --json with no store" -- "$ck" --device "$d1" status --store "$t/nostore" --keys "$t/nokeys" --json
check "status --json: types, and null for what is not known" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["provisioned"] is False and j["healthy"] is False and j["exit"] == 16, j
assert j["chip_id"] == "00112233445566778899aabbccddeeff" and j["device_error"] is None, j
assert j["store"]["state"] == "missing" and j["store"]["chip_id"] is None, j
assert j["identity"] is None and j["generation"] is None, j
assert j["certificate"] == {"valid": None, "not_before": None, "not_after": None,
                            "validity": None, "error": None}, j
assert j["keys"]["loaded"] is False and j["keys"]["path"].endswith("/nokeys"), j
' "$t/out"
expect_exit 16 "status --json with no device and no store" -- \
	"$ck" --device "emu:$t/nosuch" status --store "$t/nostore" --keys "$t/nokeys" --json
check "... device_error says why, chip_id is null" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["device_error"] and j["chip_id"] is None, j
' "$t/out"
expect_exit 16 "status --json with a store path that is not UTF-8: still no-store" -- \
	"$ck" --device "$d1" status --store "$t/no"$'\xff\xfe'"store" --keys "$t/nokeys" --json
check "... and still a JSON document, the bad bytes as '?'" python3 -c '
import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
assert j["exit"] == 16 and j["store"]["path"].endswith("/no??store"), j
' "$t/out"
CHIPKEY_DEVICE="$d1" expect_exit 0 "\$CHIPKEY_DEVICE selects the device" -- "$ck" info

# ---- round trips
head -c 1000 /dev/urandom >"$t/data"
expect_exit 0 "wrap file -> file" -- "$ck" -d "$d1" wrap --generation 42 "$t/data" "$t/pkg"
check "package is input + 88 bytes and starts with CKBACKUP" \
	test "$(stat -c %s "$t/pkg")" = 1088 -a "$(head -c 8 "$t/pkg")" = CKBACKUP
expect_exit 0 "unwrap -v file -> file" -- "$ck" -d "$d1" -v unwrap "$t/pkg" "$t/back"
check "unwrap gives the input back" cmp -s "$t/data" "$t/back"
check "unwrap -v prints the generation" err_has "generation 42"
"$ck" -d "$d1" wrap - - <"$t/data" | "$ck" -d "$d1" unwrap - - >"$t/back2"
check "wrap/unwrap through stdin/stdout" cmp -s "$t/data" "$t/back2"
: >"$t/empty"
expect_exit 0 "wrap an empty file" -- "$ck" -d "$d1" wrap "$t/empty" "$t/pkg0"
check "empty package is 88 bytes" test "$(stat -c %s "$t/pkg0")" = 88

# ---- rom-key
expect_exit 0 "rom-key (DER) to a file" -- "$ck" -d "$d1" rom-key "$t/rk.der"
check "rom-key DER equals the manufacturer public key" cmp -s "$t/rk.der" "$t/rom.pub.der"
expect_exit 0 "rom-key --pem" -- "$ck" -d "$d1" rom-key --pem
check "rom-key --pem is a PEM public key OpenSSL reads" \
	bash -c "openssl pkey -pubin -in '$t/out' -outform DER | cmp -s - '$t/rom.pub.der'"
check "rom-key --pem is byte-identical to OpenSSL's PEM of the key" cmp -s "$t/out" "$t/rom.pub.pem"

# ---- error classes
expect_exit 1 "usage: unknown command" -- "$ck" -d "$d1" frobnicate
expect_exit 1 "usage: wrap without OUT" -- "$ck" -d "$d1" wrap "$t/data"
expect_exit 1 "usage: bad --generation" -- "$ck" -d "$d1" wrap --generation x "$t/data" "$t/o"
expect_exit 2 "missing kernel device" -- "$ck" -d /nonexistent/chipkey info
check "... message names the device" err_has "/nonexistent/chipkey"
expect_exit 2 "missing emulator socket" -- "$ck" -d "emu:$t/nosuch" info
check "... message names the socket and the cause" \
	bash -c "grep -q 'emu:$t/nosuch' '$t/err' && grep -qi 'no such' '$t/err'"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	cp "$t/data" "$t/data.pub"; chmod 644 "$t/data.pub"
	expect_exit 3 "unprivileged wrap -> permission denied" -- \
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$ck" -d "$d1" wrap "$t/data.pub" -
	check "... message says not permitted" err_has "not permitted"
	expect_exit 0 "unprivileged info works" -- \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$ck" -d "$d1" info
else
	skip "unprivileged wrap -> 3" "needs root and setpriv"
	skip "... message" "needs root"
	skip "unprivileged info" "needs root"
fi
expect_exit 4 "another chip's package -> not ours" -- "$ck" -d "$d2" unwrap "$t/pkg" "$t/o4"
check "... message says another chip" err_has "another chip"
cp "$t/pkg" "$t/tampered"
flip_byte "$t/tampered" 500
expect_exit 5 "tampered package" -- "$ck" -d "$d1" unwrap "$t/tampered" "$t/o5"
check "... message says tampered" err_has "tampered"
head -c 300 /dev/urandom >"$t/junk"
expect_exit 6 "not a backup package -> malformed" -- "$ck" -d "$d1" unwrap "$t/junk" "$t/o6"
head -c 65537 /dev/zero >"$t/big"
expect_exit 7 "input over the chip's limit -> too large" -- "$ck" -d "$d1" wrap "$t/big" "$t/o7"
check "... message gives the limit" err_has "65536"
expect_exit 8 "unreadable input -> I/O" -- "$ck" -d "$d1" wrap "$t/nonexistent" "$t/o8"
check "... message names the file" err_has "$t/nonexistent"
expect_exit 8 "output into a missing directory -> I/O" -- "$ck" -d "$d1" wrap "$t/data" "$t/nodir/out"

# ---- attestation (round trips against the oracle: test-attest.sh)
expect_exit 0 "--help lists the attestation commands" -- "$ck" --help
check "... attest-key, attest, seal, sealed-wrap, mac" bash -c "
	for c in attest-key attest seal sealed-wrap mac; do
		grep -q \"chipkey \$c \" '$t/out' || exit 1; done"
expect_exit 0 "attest-key" -- "$ck" -d "$d1" attest-key
check "... 130 lowercase hex digits and a newline" \
	bash -c "[ \"\$(wc -c <'$t/out')\" = 131 ] && grep -qx '04[0-9a-f]\{128\}' '$t/out'"
cp "$t/out" "$t/q1"
expect_exit 0 "attest-key --pem" -- "$ck" -d "$d1" attest-key --pem
check "... openssl reads it, same point" bash -c "
	openssl pkey -pubin -in '$t/out' -outform DER 2>/dev/null | tail -c 65 | od -An -tx1 |
	tr -d ' \n' | grep -qx \"\$(cat '$t/q1')\""
openssl ecparam -name prime256v1 -genkey -noout -out "$t/v.pem" 2>/dev/null
openssl pkey -in "$t/v.pem" -pubout -out "$t/v.pub" 2>/dev/null
printf 'challenge' >"$t/ctx"
expect_exit 0 "attest --peer PEM --context" -- "$ck" -d "$d1" attest --peer "$t/v.pub" --context "$t/ctx"
check "... 64 hex digits and a newline" grep -qx '[0-9a-f]\{64\}' "$t/out"
cp "$t/out" "$t/m1"
expect_exit 0 "attest again: same MAC" -- "$ck" -d "$d1" attest --context "$t/ctx" --peer "$t/v.pub"
check "... deterministic" cmp -s "$t/out" "$t/m1"
expect_exit 1 "usage: attest without --peer" -- "$ck" -d "$d1" attest
expect_exit 1 "usage: attest-key with an operand" -- "$ck" -d "$d1" attest-key x
expect_exit 6 "attest --peer with a file that is no key -> malformed" -- \
	"$ck" -d "$d1" attest --peer "$t/ctx"
head -c 257 /dev/zero >"$t/ctx257"
expect_exit 7 "attest with a 257-byte context -> too large" -- \
	"$ck" -d "$d1" attest --peer "$t/v.pub" --context "$t/ctx257"
id1=00112233445566778899aabbccddeeff
expect_exit 0 "seal (no device) with the hex key" -- \
	"$ck" -d /nonexistent seal --chip-key "$(cat "$t/q1")" --chip-id $id1 "$t/data" "$t/sealed" --eph-key-out "$t/eph.pem"
check "... sealed package is data + 136 bytes, key file 0600" bash -c "
	[ \$(stat -c %s '$t/sealed') = \$(( \$(stat -c %s '$t/data') + 136 )) ] &&
	[ \$(stat -c %a '$t/eph.pem') = 600 ] && openssl pkey -in '$t/eph.pem' -noout"
expect_exit 1 "usage: seal with a short chip ID" -- \
	"$ck" seal --chip-key "$t/v.pub" --chip-id 1234 "$t/data" "$t/x"
expect_exit 1 "usage: sealed-wrap without --generation" -- "$ck" -d "$d1" sealed-wrap "$t/sealed" "$t/x"
expect_exit 0 "sealed-wrap" -- "$ck" -d "$d1" sealed-wrap "$t/sealed" "$t/sw.pkg" --generation 3
check "... MAC printed, backup unwraps to the data" bash -c "
	grep -qx '[0-9a-f]\{64\}' '$t/out' && '$ck' -d '$d1' unwrap '$t/sw.pkg' - | cmp -s - '$t/data'"
expect_exit 4 "sealed-wrap on another chip -> not ours" -- \
	"$ck" -d "$d2" sealed-wrap "$t/sealed" "$t/x" --generation 3
cp "$t/sealed" "$t/sealed.bad"
flip_byte "$t/sealed.bad" 130
expect_exit 5 "sealed-wrap of a flipped package -> tampered" -- \
	"$ck" -d "$d1" sealed-wrap "$t/sealed.bad" "$t/x" --generation 3
expect_exit 6 "sealed-wrap of a backup package -> malformed" -- \
	"$ck" -d "$d1" sealed-wrap "$t/pkg" "$t/x" --generation 3
check "no output left by failed sealed-wraps" test ! -e "$t/x"
expect_exit 0 "mac --purpose flash-manifest" -- "$ck" -d "$d1" mac --purpose flash-manifest "$t/data"
check "... 64 hex digits" grep -qx '[0-9a-f]\{64\}' "$t/out"
expect_exit 1 "usage: mac with an unknown purpose name" -- "$ck" -d "$d1" mac --purpose nope "$t/data"
expect_exit 6 "mac with an unknown purpose number -> malformed" -- "$ck" -d "$d1" mac --purpose 2 "$t/data"
expect_exit 7 "mac of 65537 bytes -> too large" -- "$ck" -d "$d1" mac --purpose flash-manifest "$t/big"

# ---- atomic output
check "failed unwraps created no output files" \
	bash -c "! ls '$t'/o4 '$t'/o5 '$t'/o6 '$t'/o7 '$t'/o8 2>/dev/null"
echo "previous contents" >"$t/keep"
cp "$t/keep" "$t/keep.orig"
expect_exit 5 "tampered unwrap onto an existing file" -- "$ck" -d "$d1" unwrap "$t/tampered" "$t/keep"
check "... existing file untouched" cmp -s "$t/keep" "$t/keep.orig"
check "no temporary files left behind" bash -c "! ls -a '$t' | grep -q '^\\..*\\.[A-Za-z0-9]\\{6\\}\$'"
expect_exit 0 "unwrap replaces an existing file" -- "$ck" -d "$d1" unwrap "$t/pkg" "$t/keep"
check "... with the new contents, mode 0600" \
	bash -c "cmp -s '$t/keep' '$t/data' && test \$(stat -c %a '$t/keep') = 600"

# ---- emulator refuses bad state files
"$fuse" create "$t/zero.bin" --rom-key "$t/rom.pem" --unprogrammed zero 2>/dev/null
expect_exit 6 "emulator refuses an unprogrammed (all-zero) chip" -- \
	"$emu" --state "$t/zero.bin" --socket "$t/s3" --foreground
check "... message says unprogrammed" err_has "unprogrammed"
chmod 644 "$t/chip2.bin"
expect_exit 3 "emulator refuses a world-readable state file" -- \
	"$emu" --state "$t/chip2.bin" --socket "$t/s3" --foreground
check "... message asks for 0600" err_has "0600"
chmod 600 "$t/chip2.bin"
expect_exit 0 "emulator daemonises (no --foreground) once the socket is ready" -- \
	"$emu" --state "$t/chip2.bin" --socket "$t/s4"
dpid=$(sed -n 's/.*serving .* (pid \([0-9]*\)).*/\1/p' "$t/err" | head -1)
expect_exit 0 "the daemon answers" -- "$ck" -d "emu:$t/s4" info
if [ -n "$dpid" ]; then
	kill "$dpid"
	for _ in $(seq 200); do [ -S "$t/s4" ] || break; sleep 0.02; done
	check "SIGTERM removes the daemon's socket" test ! -e "$t/s4"
else
	nok "daemon pid not found in its log"
fi

tap_done cli
