# SPDX-License-Identifier: GPL-2.0
#
# Host half of the sealed-key boots of the chipkey QEMU harness
# (selftests/qemu/run.sh, x86_64, Debian's kernel; sourced by run.sh, not
# run on its own).  Two boots of the same initramfs, same fuses (image A)
# and the same data disk; the guest half is guest/guest-skey.sh:
#   skey1  `chipkey key new` seals a new key in the kernel (and refuses to
#          replace an existing blob without --force), `chipkey key load`
#          adds it as a new logon key chipkey:disk although an adversary
#          (selftests/chipkey_keyplant: uid 0 without CAP_SYS_ADMIN)
#          planted its own chipkey:disk in @u first, dm-crypt opens the
#          data disk with it (:32:logon:chipkey:disk) and data is written
#   skey2  the adversary plants chipkey:disk with another key in @us and
#          @u; the busybox init fragment of docs/sealed-keys.md (a new
#          session keyring) loads the same blob and opens the volume
#          again: the data reads back
# Between them, here: the independent oracle (scripts/ck_sealed_key_oracle.py)
# opens boot 1's blob with fuse image A, checks that the data disk is
# aes-xts-plain64 under exactly that key, and puts on a media disk for
# boot 2 the blob, the key (which boot 2 then searches for in /proc, /sys,
# the kernel log and the block devices), a tampered blob, a blob of
# another chip and a blob the oracle sealed to chip A.
# Disks (build/qemu/x86_64/skey/, virtio): data.img (ckskdata, 4 MiB raw),
# media.img (ckskmedia, ext4).  Host tools: /usr/bin/python3 with
# python3-cryptography, mkfs.ext4, dmsetup (copied into the guest).
# shellcheck shell=bash

SKEY_BOOTS="skey1 skey2"
SKEY_ORACLE=$TOP/scripts/ck_sealed_key_oracle.py

skey_oracle() { /usr/bin/python3 "$SKEY_ORACLE" "$@" 2>> "$BUILDLOG"; }

# skey_prepare: the disks and what the guest needs; without them (a kernel
# without keyrings or the device mapper) the boots are skipped
skey_prepare() {
	local m
	SK=$OUT/skey
	rm -rf "$SK" && mkdir -p "$SK/media" && chmod 700 "$SK"
	for m in dm_crypt xts virtio_blk ext4; do
		if ! modprobe -d "${MODROOT:-/}" -S "$KVER" --show-depends "$m" > /dev/null 2>&1; then
			skey_skip "kernel $KVER has no $m"
			return
		fi
	done
	if ! command -v mkfs.ext4 > /dev/null || [ ! -x /usr/sbin/dmsetup ] ||
	   ! /usr/bin/python3 -c 'import cryptography' 2> /dev/null; then
		skey_skip "host lacks mkfs.ext4, /usr/sbin/dmsetup or /usr/bin/python3 with python3-cryptography"
		return
	fi
	truncate -s 4M "$SK/data.img"
	# what boot 1 writes through dm-crypt (guest-skey.sh makes the same)
	yes chipkey-sealed-key-data | head -c 65536 > "$SK/plain.bin"
}

skey_skip() { # skey_skip WHY: every sealed-key boot of this run, skipped
	local b keep=
	for b in $BOOTS; do
		case " $SKEY_BOOTS " in
		*" $b "*) ok "$b: boot # SKIP $*" ;;
		*) keep="$keep $b" ;;
		esac
	done
	BOOTS=$keep
}

# skey_initramfs: dmsetup and the init fragment, taken from the doc
skey_initramfs() {
	has_boot skey1 || has_boot skey2 || return 0
	cp /usr/sbin/dmsetup "$ROOTFS/usr/sbin/" && initramfs_add_libs "$ROOTFS/usr/sbin/dmsetup"
	sed -n '/^# BEGIN S40chipkey-crypt$/,/^# END S40chipkey-crypt$/{//!p}' "$TOP/docs/sealed-keys.md" \
		> "$ROOTFS/etc/init.d/S40chipkey-crypt"
	chmod 755 "$ROOTFS/etc/init.d/S40chipkey-crypt"
	# the load-latency measurement of boot skey2 (not a test)
	cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I"$TOP/include/uapi" \
		-o "$ROOTFS/usr/bin/ck_bench_skey" "$TOP/bench/ck_bench_skey.c" >> "$BUILDLOG" 2>&1
	check "init fragment S40chipkey-crypt extracted from docs/sealed-keys.md" \
		grep -q 'logon:chipkey:' "$ROOTFS/etc/init.d/S40chipkey-crypt"
}

# skey_disks IMG:SERIAL...: recovery.sh's disks(), for the images in $SK
skey_disks() { REC=$SK disks "$@"; }

prepare_boot_skey1() { skey_disks data.img:ckskdata; }

# check_boot_skey1: the oracle opens the kernel's blob; the disk is
# encrypted under that key; the media disk for boot 2
check_boot_skey1() {
	local key m=$SK/media hostkey
	if ckblob skey1 SEALED-KEY "$SK/disk.blob" && key=$(skey_oracle unseal "$FUSE/fuse.bin" "$SK/disk.blob") &&
	   [ ${#key} -eq 64 ]; then
		ok "skey1: the oracle opens the kernel's sealed blob with fuse image A: a 32-byte key"
	else
		nok "skey1: the oracle opens the kernel's sealed blob with fuse image A"
		key=
	fi
	check "skey1: control: the oracle refuses that blob with chip B's fuse image" \
		bash -c "! /usr/bin/python3 '$SKEY_ORACLE' unseal '$FUSE/fuse-b.bin' '$SK/disk.blob' 2> /dev/null"
	check "skey1: the data disk holds boot 1's data as aes-xts-plain64 under that key (dm-crypt used the sealed key)" \
		skey_oracle dm-crypt-check "${key:-00}" "$SK/data.img" "$SK/plain.bin"
	check "skey1: control: not under another key" \
		bash -c "! /usr/bin/python3 '$SKEY_ORACLE' dm-crypt-check $(openssl rand -hex 32) '$SK/data.img' '$SK/plain.bin' 2> /dev/null"
	hostkey=$(openssl rand -hex 32)
	# flip_byte: userspace/common/tests/flip.sh, sourced by recovery.sh
	cp "$SK/disk.blob" "$m/disk.blob" && cp "$SK/disk.blob" "$m/tampered.blob" &&
		flip_byte "$m/tampered.blob" 100
	echo "$key" > "$m/key.hex"
	echo "$hostkey" > "$m/host.hex"
	if [ -n "$key" ] && skey_oracle seal "$FUSE/fuse-b.bin" "$(openssl rand -hex 32)" "$m/other-chip.blob" &&
	   skey_oracle seal "$FUSE/fuse.bin" "$hostkey" "$m/host.blob" &&
	   mkfs.ext4 -q -F -E root_owner=0:0 -d "$m" "$SK/media.img" 8M >> "$BUILDLOG" 2>&1; then
		ok "skey1: media disk for boot 2: the blob, its key (oracle), a tampered blob, chip B's blob, a blob the oracle sealed to chip A"
	else
		nok "skey1: media disk for boot 2"
	fi
}

prepare_boot_skey2() { skey_disks data.img:ckskdata media.img:ckskmedia; }
