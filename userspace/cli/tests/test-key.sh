#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# chipkey key new|load (docs/sealed-keys.md) against a chipkey-emu: the
# emulator cannot feed a kernel keyring, and says so; the argument checks
# happen before any device is touched.  The real path (the kernel module,
# the keyring, dm-crypt) is tested in the VM (selftests/qemu/sealedkey.sh,
# selftests/chipkey_skey_test.c).  TAP on stdout.
#
#   test-key.sh BINDIR
set -u
bin=${1:?usage: test-key.sh BINDIR}
# ok, nok, skip, check, expect_exit CODE DESC -- COMMAND..., tap_done
. "$(dirname "$0")/../../common/tests/tap.sh"
err_has() { grep -q -- "$1" "$t/err"; }

t=$(mktemp -d /tmp/chipkey-test-key-XXXXXX)
# shellcheck disable=SC2034 # read by tap.sh's expect_exit
tap_out=$t/out tap_err=$t/err
pid=
cleanup() {
	[ -n "$pid" ] && { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
	rm -rf "$t"
}
trap cleanup EXIT
ck="$bin/chipkey"

openssl ecparam -name prime256v1 -genkey -noout -out "$t/rom.pem" 2>/dev/null
"$bin/chipkey-fuse" create "$t/chip.bin" --rom-key "$t/rom.pem" > /dev/null 2>&1
"$bin/chipkey-emu" --state "$t/chip.bin" --socket "$t/s" --foreground 2>>"$t/emu.log" &
pid=$!
for _ in $(seq 100); do [ -S "$t/s" ] && break; sleep 0.05; done
check "emulator started" test -S "$t/s"
d="emu:$t/s"
# a blob the emulator would have to open: any bytes do, it must not try
head -c 112 /dev/urandom > "$t/blob"

expect_exit 8 "key new on the emulator: refused" -- "$ck" -d "$d" key new disk "$t/new.blob"
check "... saying the emulator cannot feed a kernel keyring" err_has "the emulator cannot feed a kernel keyring"
check "... and writing no blob" test ! -e "$t/new.blob"
expect_exit 8 "key load on the emulator: refused" -- "$ck" -d "$d" key load disk "$t/blob"
check "... saying the emulator cannot feed a kernel keyring" err_has "the emulator cannot feed a kernel keyring"
check "... and printing no serial" test ! -s "$t/out"
expect_exit 0 "the emulator still answers afterwards" -- "$ck" -d "$d" info

# argument checks (no device needed)
expect_exit 1 "key without a subcommand" -- "$ck" -d "$d" key
expect_exit 1 "key with an unknown subcommand" -- "$ck" -d "$d" key show disk
expect_exit 1 "key new: NAME with ':' refused" -- "$ck" -d "$d" key new a:b "$t/x"
check "... saying what a NAME may hold" err_has "A-Za-z0-9._-"
expect_exit 1 "key new: NAME of 33 bytes refused" -- "$ck" -d "$d" key new 123456789012345678901234567890123 "$t/x"
expect_exit 1 "key new: --size 15 refused" -- "$ck" -d "$d" key new disk "$t/x" --size 15
expect_exit 1 "key new: --size 65 refused" -- "$ck" -d "$d" key new disk "$t/x" --size 65
expect_exit 1 "key load: --keyring @x refused" -- "$ck" -d "$d" key load disk "$t/blob" --keyring @x
# the keyrings of no use (the process's own, @g) or searched before @u (@us)
for k in @t @p @g @us; do
	expect_exit 1 "key load: --keyring $k refused" -- "$ck" -d "$d" key load disk "$t/blob" --keyring "$k"
	check "... saying which keyrings are accepted" err_has "not @u, @s or a serial"
done
expect_exit 1 "key load: --keyring 0 refused" -- "$ck" -d "$d" key load disk "$t/blob" --keyring 0
expect_exit 8 "key load: missing IN" -- "$ck" -d "$d" key load disk "$t/nosuch"
check "no output file left by any refused command" test ! -e "$t/x"

# an existing OUT is never replaced without --force, and refused before the
# device is asked for a key (the emulator would refuse key new, exit 8)
printf 'the only blob of a volume' > "$t/vol.blob"
cp "$t/vol.blob" "$t/vol.copy"
expect_exit 22 "key new: an existing OUT refused (exit 22, conflict)" -- "$ck" -d "$d" key new disk "$t/vol.blob"
check "... saying that it exists and what --force does" err_has "exists.*--force replaces it"
check "... leaving it as it was" cmp -s "$t/vol.blob" "$t/vol.copy"
ln -s vol.blob "$t/vol.link"
expect_exit 22 "key new: a symlink to an existing OUT refused too" -- "$ck" -d "$d" key new disk "$t/vol.link"
ln -s nosuch "$t/dangling"
expect_exit 22 "key new: a dangling symlink as OUT refused (never written through)" -- \
	"$ck" -d "$d" key new disk "$t/dangling"
check "... and nothing made at its target" test ! -e "$t/nosuch"
expect_exit 8 "key new --force: goes on to the device (the emulator refuses)" -- \
	"$ck" -d "$d" key new disk "$t/vol.blob" --force
check "... saying the emulator cannot feed a kernel keyring" err_has "the emulator cannot feed a kernel keyring"
check "... and leaving OUT as it was" cmp -s "$t/vol.blob" "$t/vol.copy"
check "no temporary file left beside OUT" sh -c "! ls -A '$t' | grep -q '^\.vol'"

# key session / key find: keyring system calls only (tested for real in the
# VM: the host's may be blocked by a container's seccomp policy)
expect_exit 1 "key session with an operand refused" -- "$ck" key session x
expect_exit 1 "key find without NAME refused" -- "$ck" key find
expect_exit 1 "key find: NAME with ':' refused" -- "$ck" key find a:b
expect_exit 1 "key find: Latin-1 NAME refused" -- "$ck" key find "$(printf 'caf\351')"
expect_exit 2 "key new on a missing device" -- "$ck" -d /dev/nonexistent-chipkey key new disk "$t/x"
tap_done cli-key
