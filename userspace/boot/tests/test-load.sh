#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# chipkey-load, the loading program of the boot path, against `chipkey
# load` with the real programs and an emulated chip: the same output, the
# same keys directory and the same exit codes for an intact store, a
# corrupt one (15), none (16), another chip's (18), a keys directory that
# cannot be written (17) and bad arguments (1); it does not read
# openssl.cnf (a configuration without the default provider stops
# `chipkey load`, not chipkey-load); the installed chipkey-boot runs it
# (with no chipkey at all).  TAP on stdout.
#
#   test-load.sh             (check-boot; the normal build in build/bin)
set -u
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
B=$TOP/build/bin
t=$(mktemp -d /tmp/chipkey-test-load-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$t"; }
trap cleanup EXIT
tap_out=$t/out tap_err=$t/err
. "$(dirname "$0")/../../common/tests/tap.sh"
. "$(dirname "$0")/../../common/tests/flip.sh"

emu() {	# emu NAME CHIP_ID: a chip under the factory's ROM key, its emulator
	"$B/chipkey-fuse" create "$t/$1.bin" --rom-key "$t/fac/mfr-pubkey.der" --chip-id "$2" >/dev/null 2>&1
	"$B/chipkey-emu" --state "$t/$1.bin" --socket "$t/$1.sock" --foreground 2>"$t/$1.log" &
	pids+=($!)
	for _ in $(seq 100); do [ -S "$t/$1.sock" ] && break; sleep 0.05; done
}
"$B/chipkey-factory" init "$t/fac" >/dev/null 2>&1
emu chip 00112233445566778899aabbccddeeff
emu other ffeeddccbbaa99887766554433221100
dev=emu:$t/chip.sock
id=$("$B/chipkey-factory" identities --prefix 35123400 --count 1)
"$B/chipkey-factory" package "$t/fac" --identity "$id" --chip-id 00112233445566778899aabbccddeeff \
	--out "$t/dp" >/dev/null 2>&1 &&
	"$B/chipkey" --device "$dev" wrap --generation 1 "$t/dp" "$t/backup.pkg" 2>/dev/null
expect_exit 0 "a store from the chip's backup (chipkey recover --from)" -- \
	"$B/chipkey" --device "$dev" recover --from "$t/backup.pkg" --store "$t/store" --no-keys
mkdir -m 0700 "$t/run"

# both PROG...: run chipkey load and chipkey-load with the same arguments
# (--store/--keys appended), keys in $t/run/a and $t/run/b; $t/a.*, $t/b.*
# hold what each printed, $t/rc.a and $t/rc.b the exit codes
both() {
	local store=$1 dv=$2
	"$B/chipkey" --device "$dv" load --store "$store" --keys "$t/run/a" >"$t/a.out" 2>"$t/a.err"
	echo $? >"$t/rc.a"
	"$B/chipkey-load" --device "$dv" --store "$store" --keys "$t/run/b" >"$t/b.out" 2>"$t/b.err"
	echo $? >"$t/rc.b"
	echo "# chipkey load: exit $(cat "$t/rc.a"), chipkey-load: exit $(cat "$t/rc.b")"
}
same_rc() { [ "$(cat "$t/rc.a")" = "$1" ] && [ "$(cat "$t/rc.b")" = "$1" ]; }
# the message after the program's name is the same
same_err() { diff <(sed 's/^chipkey load: //' "$t/a.err") <(sed 's/^chipkey-load: //' "$t/b.err") >/dev/null; }
listing() { (cd "$1" && find . -printf '%p %m %s\n' | sort); }

both "$t/store" "$dev"
check "intact store: both exit 0" same_rc 0
check "... the same line on stdout (but the keys directory)" \
	diff <(sed "s|$t/run/a|KEYS|" "$t/a.out") <(sed "s|$t/run/b|KEYS|" "$t/b.out")
check "... the same keys directory: files, modes, sizes" diff <(listing "$t/run/a") <(listing "$t/run/b")
check "... and contents (identity $id)" bash -c "diff -r '$t/run/a' '$t/run/b' && grep -qx '$id' '$t/run/b/identity'"

rm -rf "$t/run/b"
expect_exit 0 "the device from \$CHIPKEY_DEVICE" -- \
	env CHIPKEY_DEVICE="$dev" "$B/chipkey-load" --store "$t/store" --keys "$t/run/b"
expect_exit 0 "-v: progress lines on stderr" -- \
	"$B/chipkey-load" -v --device "$dev" --store "$t/store" --keys "$t/run/b"
check "... (the unwrap is reported)" grep -q 'unwrapped' "$t/err"

# A configuration that loads only the null provider: libcrypto has no
# SHA-256 then.  chipkey load reads it and fails; chipkey-load never reads
# openssl.cnf.
cat >"$t/null.cnf" <<'EOF'
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
null = null_sect
[null_sect]
activate = 1
EOF
rm -rf "$t/run/b"
expect_exit 0 "OPENSSL_CONF without the default provider: chipkey-load still loads" -- \
	env OPENSSL_CONF="$t/null.cnf" "$B/chipkey-load" --device "$dev" --store "$t/store" --keys "$t/run/b"
env OPENSSL_CONF="$t/null.cnf" "$B/chipkey" --device "$dev" load --store "$t/store" \
	--keys "$t/run/a" >/dev/null 2>&1
check "... which stops chipkey load (the configuration is real)" test $? -ne 0

# Attacks on the store: a flipped byte in the backup, no store, another chip
cp -a "$t/store" "$t/bad"
f=$(find "$t/bad" -name backup.pkg | head -1)
flip_byte "$f" 200
both "$t/bad" "$dev"
check "a byte of the stored backup flipped: both exit 15 (corrupt)" same_rc 15
check "... with the same message" same_err
check "... the keys loaded before are left as they were" grep -qx "$id" "$t/run/b/identity"
both "$t/none" "$dev"
check "no store: both exit 16" same_rc 16
check "... with the same message" same_err
both "$t/store" "emu:$t/other.sock"
check "the store of another chip: both exit 18" same_rc 18
check "... with the same message" same_err
: >"$t/run/file"
"$B/chipkey-load" --device "$dev" --store "$t/store" --keys "$t/run/file" >/dev/null 2>"$t/b.err"
check "a keys directory that is a file: exit 17" test $? -eq 17
both "$t/store" "/nonexistent/chipkey"
check "no device: both exit 2" same_rc 2
expect_exit 1 "an unknown option: exit 1" -- "$B/chipkey-load" --bogus
expect_exit 1 "an argument that is not an option: exit 1" -- "$B/chipkey-load" load
expect_exit 0 "--help" -- "$B/chipkey-load" --help
check "... names every option" bash -c "for o in --device --store --keys --verbose --help; do grep -q -- \"\$o\" '$t/out' || exit 1; done"

# The installed chipkey-boot runs the chipkey-load next to it (else the
# one on the PATH): with no chipkey at all (CHIPKEY_BIN) it still loads.
make -s -C "$TOP/userspace" install-boot DESTDIR="$t/root" PREFIX=/usr >/dev/null
boot() {
	env CHIPKEY_DEVICE="$dev" CHIPKEY_STORE="$t/store" CHIPKEY_KEYS="$t/run/c" \
		CHIPKEY_RECOVERY_CONF=/nonexistent CHIPKEY_BIN=/nonexistent/chipkey "$@" load
}
expect_exit 0 "installed chipkey-boot load, CHIPKEY_BIN=/nonexistent: loads (chipkey-load)" -- \
	boot sh "$t/root/usr/lib/chipkey/chipkey-boot"
check "... the keys are written" grep -qx "$id" "$t/run/c/identity"
rm -rf "$t/run/c"
expect_exit 0 "... CHIPKEY_LOAD_BIN names the program" -- \
	boot env CHIPKEY_LOAD_BIN="$t/root/usr/lib/chipkey/chipkey-load" sh "$TOP/userspace/boot/chipkey-boot"
rm -rf "$t/run/c"
echo "CHIPKEY_LOAD_BIN=/nonexistent/other-loader" >"$t/other.conf"
expect_exit 0 "... a recovery.conf naming another loader does not override the caller's CHIPKEY_LOAD_BIN" -- \
	boot env CHIPKEY_RECOVERY_CONF="$t/other.conf" \
	CHIPKEY_LOAD_BIN="$t/root/usr/lib/chipkey/chipkey-load" sh "$TOP/userspace/boot/chipkey-boot"
rm -rf "$t/run/c"
expect_exit 0 "... chipkey-load on the PATH (busybox: /etc/init.d/S45chipkey)" -- \
	boot env PATH="$B:/usr/bin:/bin" sh "$TOP/userspace/boot/chipkey-boot"
rm -rf "$t/run/c"
expect_exit 127 "... without any chipkey-load the same fails: chipkey is needed" -- \
	boot env PATH=/usr/bin:/bin sh "$TOP/userspace/boot/chipkey-boot"
tap_done test-load
