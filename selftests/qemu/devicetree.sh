# SPDX-License-Identifier: GPL-2.0
#
# Host half of the "dt" boot of the chipkey QEMU harness (ARCH=arm64
# selftests/qemu/run.sh; sourced by run.sh, not run on its own).  The
# guest half, guest/guest-dt.sh and guest/ckdt_test.c, checks that
# chipkey.ko bound from the devicetree node of arch/arm64.sh's board and
# works, including on a backup package made here by an independent
# implementation of the format (guest/ckpkg.py, python3-cryptography);
# afterwards the package the guest's chipkey.ko wrapped is opened here.
# shellcheck shell=bash

PY=/usr/bin/python3

# dt_prepare: the expected values for the guest (initramfs /expect) and
# the packages made on the host
dt_prepare() {
	local exp=$OUT/expect other_id
	rm -rf "$exp"
	mkdir -p "$exp"
	chip_id_hex "$FUSE/fuse.bin" > "$exp/chip_id.hex"
	note "chip ID $(cat "$exp/chip_id.hex")"
	cp "$FUSE/manufacturer.pub.der" "$exp/rom_key.der"
	head -c 300 /dev/urandom > "$exp/host.plain"
	head -c 123 /dev/urandom > "$exp/guest.plain"
	echo $((RANDOM * 65536 + RANDOM + 2)) > "$exp/host.gen"
	echo $((RANDOM * 65536 + RANDOM + 2)) > "$exp/guest.gen"
	other_id=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
	[ "$other_id" != "$(cat "$exp/chip_id.hex")" ] || die "random other chip ID"
	{ $PY "$HERE/guest/ckpkg.py" wrap "$FUSE/fuse.bin" "$exp/host.plain" "$(cat "$exp/host.gen")" \
		"$exp/host.pkg" >> "$BUILDLOG" 2>&1 &&
	  $PY "$HERE/guest/ckpkg.py" wrap "$FUSE/fuse.bin" "$exp/host.plain" 1 "$exp/other.pkg" \
		"$other_id" >> "$BUILDLOG" 2>&1; } ||
		die "make backup packages on the host (ckpkg.py, python3-cryptography)"
	ok "make backup packages on the host (ckpkg.py, python3-cryptography)"
}

dt_initramfs() {
	cp -r "$OUT/expect" "$ROOTFS/expect"
}

# check_boot_dt: the package wrapped in the guest opens on the host
check_boot_dt() {
	local pkg_hex
	pkg_hex=$(sed -n 's/^pkg-hex: \([0-9a-f]*\)$/\1/p' "$TAP_LOG" | head -1)
	if [ -n "$pkg_hex" ] &&
	   $PY "$HERE/guest/ckpkg.py" unwrap "$FUSE/fuse.bin" "$pkg_hex" "$(cat "$OUT/expect/guest.gen")" \
		"$OUT/expect/guest.plain" >> "$BUILDLOG" 2>&1; then
		ok "package wrapped in the guest opens on the host (python3-cryptography)"
	else
		[ -n "$pkg_hex" ] || note "no pkg-hex line from the guest"
		nok "package wrapped in the guest opens on the host (python3-cryptography)"
		buildlog_tail 5
	fi
}
