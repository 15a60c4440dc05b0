# SPDX-License-Identifier: GPL-2.0
#
# Host half of the systemd boots of the chipkey QEMU harness (x86_64;
# sourced by run.sh, not run on its own; guest half guest/guest-systemd.sh).
# The units as make install-boot PREFIX=/usr writes them, under systemd
# 252 as PID 1 (the host's own systemd, copied into the initramfs with its
# libraries and units), on the disks of the recovery boots (recovery.sh):
#   sd-wiped   flash wiped here: chipkey-load.service fails, OnFailure=
#              starts chipkey-recover.service, which waits for
#              network-online.target and restores the store from the
#              provision boot's public database; what it restored is
#              compared with boot 1's, byte for byte
#   sd-intact  the store sd-wiped restored: the keys are loaded before
#              network-online.target; recovery never starts
# Both need the provision boot of the same run.
# shellcheck shell=bash

SYSTEMD_BOOTS="sd-wiped sd-intact"

# sd_initramfs: systemd (PID 1 binary, systemctl, journalctl, its helpers,
# libraries and units), the installed chipkey units, the test's own units
sd_initramfs() {
	has_boot sd-wiped || has_boot sd-intact || return 0
	local f bins=()
	if [ ! -x /lib/systemd/systemd ]; then
		sd_skip "the host has no systemd (apt-get install systemd)"
		return 0
	fi
	mkdir -p "$ROOTFS/usr/lib" "$ROOTFS/etc/systemd/system" "$ROOTFS/newroot" "$ROOTFS/var/tmp"
	cp -a /usr/lib/systemd "$ROOTFS/usr/lib/" || die "copy /usr/lib/systemd"
	ln -sfn ../usr/lib/systemd "$ROOTFS/lib/systemd"	# Debian 12: /lib is usr/lib
	for f in /usr/bin/systemctl /usr/bin/journalctl; do cp "$f" "$ROOTFS/usr/bin/" && bins+=("$f"); done
	while read -r f; do bins+=("$f"); done < <(find /usr/lib/systemd -maxdepth 1 -type f -perm -u+x)
	initramfs_add_libs "${bins[@]}"
	cp /etc/os-release "$ROOTFS/etc/" 2> /dev/null || cp /usr/lib/os-release "$ROOTFS/etc/os-release"
	: > "$ROOTFS/etc/machine-id"
	printf 'systemd-journal:x:101:\n' >> "$ROOTFS/etc/group"
	# the units under test, installed as a package would
	make -s -C "$TOP/userspace" install-boot DESTDIR="$ROOTFS" PREFIX=/usr >> "$BUILDLOG" 2>&1 ||
		die "make install-boot DESTDIR=initramfs PREFIX=/usr"
	cp -a "$HERE"/guest/systemd/. "$ROOTFS/etc/systemd/system/"
	# sd-intact's enrollment: copied into /etc/systemd/system by the guest
	mkdir -p "$ROOTFS/usr/share/chipkey/vm-enroll"
	cp -a "$HERE"/guest/systemd-enroll/. "$ROOTFS/usr/share/chipkey/vm-enroll/"
	check "initramfs: systemd $(/lib/systemd/systemd --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p'), the installed chipkey units and the test's units" \
		test -x "$ROOTFS/usr/lib/systemd/systemd" -a -f "$ROOTFS/usr/lib/systemd/system/chipkey-load.service" \
		-a -f "$ROOTFS/etc/systemd/system/chipkey-vm.target"
}

sd_skip() { # sd_skip WHY: every systemd boot of this run, skipped
	local b keep=
	for b in $BOOTS; do
		case " $SYSTEMD_BOOTS " in
		*" $b "*) ok "$b: boot # SKIP $*" ;;
		*) keep="$keep $b" ;;
		esac
	done
	BOOTS=$keep
}

prepare_boot_sd-wiped() {
	wipe_flash sd-wiped
	disks flash.img:ckflash factory.img:ckfactory
}
check_boot_sd-wiped() { compare_hashes sd-wiped sd-wiped; }

prepare_boot_sd-intact() { disks flash.img:ckflash factory.img:ckfactory; }
check_boot_sd-intact() {
	compare_hashes sd-intact sd-intact
	check_enroll sd-intact
}
