#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# chipkey-fuse and the start of chipkey-emu: the exit code of every error
# class (userspace/common/exit.h; docs/fuse-image.md, docs/emulator-protocol.md)
# and what chipkey-fuse writes and shows.  TAP on stdout.
#
#   test-fuse.sh BINDIR
set -u
bin=${1:?usage: test-fuse.sh BINDIR}
fuse="$bin/chipkey-fuse"
emu="$bin/chipkey-emu"
t=$(mktemp -d /tmp/chipkey-test-fuse-XXXXXX)
trap 'rm -rf "$t"' EXIT
tap_out=$t/out tap_err=$t/err
. "$(dirname "$0")/../../common/tests/tap.sh"
openssl ecparam -name prime256v1 -genkey -noout -out "$t/rom.pem" 2>/dev/null
openssl pkey -in "$t/rom.pem" -pubout -outform DER -out "$t/rom.der" 2>/dev/null
id=00112233445566778899aabbccddeeff

# ---- chipkey-fuse create
expect_exit 0 "create" -- "$fuse" create "$t/a.bin" --rom-key "$t/rom.pem" --chip-id $id
check "the image is 512 bytes, mode 0600" test "$(stat -c %s:%a "$t/a.bin")" = 512:600
check "magic, chip ID and ROM key at their offsets" bash -c "
	test \"\$(head -c 8 '$t/a.bin')\" = CKFUSE01 &&
	test \"\$(od -An -tx1 -j8 -N16 '$t/a.bin' | tr -d ' \n')\" = $id &&
	cmp -s <(tail -c +65 '$t/a.bin' | head -c $(stat -c %s "$t/rom.der")) '$t/rom.der'"
expect_exit 0 "create --force replaces" -- \
	"$fuse" create "$t/a.bin" --rom-key "$t/rom.der" --chip-id $id --force
expect_exit 22 "create over an existing image without --force: conflict" -- \
	"$fuse" create "$t/a.bin" --rom-key "$t/rom.pem"
expect_exit 1 "create with a bad --chip-id: usage" -- \
	"$fuse" create "$t/x.bin" --rom-key "$t/rom.pem" --chip-id 12zz
expect_exit 1 "create with a bad --unprogrammed: usage" -- \
	"$fuse" create "$t/x.bin" --rom-key "$t/rom.pem" --unprogrammed maybe
expect_exit 1 "create without --rom-key: usage" -- "$fuse" create "$t/x.bin"
expect_exit 9 "create with a missing key file: not-found" -- \
	"$fuse" create "$t/x.bin" --rom-key "$t/none.pem"
expect_exit 6 "create with a key file that is no key: malformed" -- \
	"$fuse" create "$t/x.bin" --rom-key "$t/a.bin"
openssl genrsa 4096 2>/dev/null >"$t/rsa.pem"
expect_exit 7 "create with a ROM key over 448 bytes as DER: too-large" -- \
	"$fuse" create "$t/x.bin" --rom-key "$t/rsa.pem"
check "no image left behind by failed creates" test ! -e "$t/x.bin"
expect_exit 1 "unknown command: usage" -- "$fuse" frobnicate

# ---- chipkey-fuse show
expect_exit 0 "show" -- "$fuse" show "$t/a.bin"
check "show prints the chip ID and says programmed" \
	bash -c "grep -q $id '$t/out' && grep -q 'programmed (secret' '$t/out'"
expect_exit 9 "show a missing file: not-found" -- "$fuse" show "$t/none.bin"
head -c 511 "$t/a.bin" >"$t/short.bin"
expect_exit 6 "show a 511-byte file: malformed" -- "$fuse" show "$t/short.bin"
cp "$t/a.bin" "$t/badrom.bin"
printf '\001' | dd of="$t/badrom.bin" bs=1 seek=511 conv=notrunc 2>/dev/null
expect_exit 6 "show an image with a malformed ROM region: malformed" -- \
	"$fuse" show "$t/badrom.bin"
expect_exit 0 "create --unprogrammed zero" -- \
	"$fuse" create "$t/zero.bin" --rom-key "$t/rom.pem" --unprogrammed zero
expect_exit 0 "show an unprogrammed image" -- "$fuse" show "$t/zero.bin"
check "... says UNPROGRAMMED (all 0x00)" grep -q 'UNPROGRAMMED (all 0x00)' "$t/out"

# ---- chipkey-emu refuses to start
expect_exit 1 "emulator without --socket: usage" -- "$emu" --state "$t/a.bin"
expect_exit 1 "emulator with a bad --max-per-uid: usage" -- \
	"$emu" --state "$t/a.bin" --socket "$t/s" --max-per-uid 0
expect_exit 9 "emulator with a missing state file: not-found" -- \
	"$emu" --state "$t/none.bin" --socket "$t/s" --foreground
expect_exit 6 "emulator with an unprogrammed chip: malformed" -- \
	"$emu" --state "$t/zero.bin" --socket "$t/s" --foreground
expect_exit 6 "emulator with a malformed ROM region: malformed" -- \
	"$emu" --state "$t/badrom.bin" --socket "$t/s" --foreground
# bytes 56..63 are reserved: an image with any of them set is refused
for off in 56 59 63; do
	cp "$t/a.bin" "$t/rsv$off.bin"
	printf '\001' | dd of="$t/rsv$off.bin" bs=1 seek=$off conv=notrunc 2>/dev/null
	expect_exit 6 "show an image with reserved byte $off set: malformed" -- \
		"$fuse" show "$t/rsv$off.bin"
	expect_exit 6 "emulator with reserved byte $off set: malformed" -- \
		timeout 10 "$emu" --state "$t/rsv$off.bin" --socket "$t/s" --foreground
	check "... and it says which bytes" grep -q 'reserved bytes 56..63' "$t/err"
done
chmod 640 "$t/a.bin"
expect_exit 3 "emulator with a group-readable state file: permission" -- \
	"$emu" --state "$t/a.bin" --socket "$t/s" --foreground
chmod 600 "$t/a.bin"
: >"$t/notsock"
expect_exit 8 "emulator asked to replace a file that is not a socket: other" -- \
	"$emu" --state "$t/a.bin" --socket "$t/notsock" --foreground
expect_exit 8 "daemon whose socket cannot be made: the parent exits other" -- \
	"$emu" --state "$t/a.bin" --socket "$t/no/such/dir/s"
check "no socket left behind" test ! -e "$t/s"

tap_done fuse-image
