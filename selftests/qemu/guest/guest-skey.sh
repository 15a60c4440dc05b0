#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The sealed-key boots (docs/sealed-keys.md; host half
# selftests/qemu/sealedkey.sh), fuse image A, the real module, Debian's
# dm-crypt, the chipkey CLI:
#   guest-skey.sh skey1   key new (no overwrite without --force) + key
#                         load over a key planted in @u + dm-crypt on the
#                         data disk, data written; the blob goes to the host
#   guest-skey.sh skey2   with a key planted in @us and @u, the init
#                         fragment of the doc opens the volume with the
#                         same blob: data read back; the key (from the
#                         oracle, media disk) is nowhere in /proc, /sys, the
#                         kernel log or the block devices; tampered and
#                         chip B's blobs refused; the oracle's blob loads
#                         and is the key it says
mode=${1:-skey1}
# shellcheck disable=SC2034 # used by guest-lib.sh
PREFIX=$mode
# shellcheck source=selftests/qemu/guest/guest-lib.sh
. /guest-lib.sh
FW_IMAGE=fuse.bin	# chip A (load_chip)

check "virtio_pci + virtio_blk + ext4 + dm_crypt loaded" modprobe -a virtio_pci virtio_blk ext4 dm_crypt
check "load chipkey_vfuse (fuse image A) + chipkey" load_chip
_i=0
while ! disk_by_serial ckskdata > /dev/null && [ $_i -lt 200 ]; do sleep 0.05; _i=$((_i + 1)); done
check "data disk (virtio, serial ckskdata) present" disk_by_serial ckskdata
dev=$(disk_by_serial ckskdata)
echo "# data disk is $dev"
yes chipkey-sealed-key-data | head -c 65536 > /tmp/plain

if [ "$mode" = skey1 ]; then
	expect 0 "chipkey key new disk: a key made and sealed in the kernel" chipkey key new disk /tmp/disk.blob
	# shellcheck disable=SC2016 # expanded by the inner sh
	check "blob: 112 bytes, magic CKSEALKY" sh -c \
		'[ "$(wc -c < /tmp/disk.blob)" -eq 112 ] && [ "$(head -c 8 /tmp/disk.blob)" = CKSEALKY ]'
	blob SEALED-KEY /tmp/disk.blob
	# key new never replaces an existing blob without --force
	cp /tmp/disk.blob /tmp/disk.copy
	expect 22 "chipkey key new over an existing OUT: refused (conflict)" chipkey key new disk /tmp/disk.blob
	check "... the blob is left as it was" cmp -s /tmp/disk.blob /tmp/disk.copy
	cp /tmp/disk.blob /tmp/other.blob
	expect 0 "chipkey key new --force replaces an existing OUT" chipkey key new disk /tmp/other.blob --force
	check "... with a new blob" sh -c "! cmp -s /tmp/other.blob /tmp/disk.copy"
	# the adversary: root without CAP_SYS_ADMIN puts its own chipkey:disk,
	# everything allowed to everyone, in the keyring the load will use
	planted=$(/selftests/chipkey_keyplant disk @u "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')")
	check "control: a uid-0 process without CAP_SYS_ADMIN planted logon key chipkey:disk in @u ($planted)" \
		test -n "$planted"
	expect 0 "chipkey key load disk (keyring @u): prints the serial" chipkey key load disk /tmp/disk.blob
	serial=$(cat /tmp/last.out)
	echo "# serial $serial; /proc/keys:"
	sed 's/^/#   /' /proc/keys
	check "the loaded key is a new key, not the planted one" \
		sh -c "[ -n '$serial' ] && [ '$serial' != '$planted' ]"
	hexserial=$(printf '%08x' "$serial")
	check "/proc/keys: the loaded key is logon chipkey:disk, 32 bytes, perm 19010000, owner 0:0" \
		grep -qE "^$hexserial .* 19010000 +0 +0 logon +chipkey:disk: 32\$" /proc/keys
	expect 0 "chipkey key find disk: what dm-crypt will get from here" chipkey key find disk
	check "... is the loaded key" test "$(cat /tmp/last.out)" = "$serial"
	size=$(blockdev --getsz "$dev")
	check "dmsetup create: crypt aes-xts-plain64 :32:logon:chipkey:disk on the data disk" \
		dmsetup create ckdata --table "0 $size crypt aes-xts-plain64 :32:logon:chipkey:disk 0 $dev 0"
	dmsetup mknodes ckdata	# no udev here: /dev/mapper/ckdata
	check "dmsetup table --showkeys names the logon key, not its bytes" \
		sh -c "dmsetup table --showkeys ckdata | grep -q ' :32:logon:chipkey:disk '"
	check "64 KiB written through the mapping" sh -c \
		"test -b /dev/mapper/ckdata && dd if=/tmp/plain of=/dev/mapper/ckdata bs=4096 conv=fsync status=none"
	check "the raw disk does not hold the plaintext" sh -c "! grep -q chipkey-sealed-key-data $dev"
	check "dmsetup remove" dmsetup remove ckdata
	sync
	exit 0
fi

check "media disk (ext4, serial ckskmedia) mounted on /media" mount_disk ckskmedia /media
key=$(cat /media/key.hex)
check "the oracle's key of boot 1's blob is 32 bytes" test ${#key} -eq 64
hostkey=$(cat /media/host.hex)
# the adversary of the init fragment: a uid-0 process without CAP_SYS_ADMIN
# plants chipkey:disk holding another key (the oracle's host key) in the
# user session keyring (@us) and the user keyring (@u), which a process
# without a session keyring (this script, like a busybox init) searches
shadow=$(/selftests/chipkey_keyplant disk @us "$hostkey")
/selftests/chipkey_keyplant disk @u "$hostkey" > /dev/null
check "control: a uid-0 process without CAP_SYS_ADMIN planted chipkey:disk in @us and @u" \
	test -n "$shadow"
expect 0 "control: a search from here (no session keyring) finds the planted key" \
	chipkey key find disk
check "... (serial $shadow)" test "$(cat /tmp/last.out)" = "$shadow"
# the fragment of docs/sealed-keys.md, as a busybox init would run it
read -r t0 _ < /proc/uptime
check "init fragment S40chipkey-crypt (docs/sealed-keys.md) loads the key and opens the volume" \
	env CK_KEY_NAME=disk CK_BLOB=/media/disk.blob CK_DEV="$dev" CK_MAP=ckdata /etc/init.d/S40chipkey-crypt
read -r t1 _ < /proc/uptime
# a measurement, not a test (TCG): seconds since boot, and the fragment's time
echo "# ckinfo volume-open-uptime $t1 (init fragment: key load + dmsetup create took $t0 -> $t1 s)"
check "boot 1's data reads back through the mapping (dm-crypt used the sealed key, not the planted one)" sh -c \
	"dd if=/dev/mapper/ckdata bs=65536 count=1 status=none > /tmp/back && cmp -s /tmp/plain /tmp/back"

expect 5 "tampered blob refused (EBADMSG)" chipkey key load tampered /media/tampered.blob
expect 4 "chip B's blob refused (ENOKEY)" chipkey key load other /media/other-chip.blob
check "no key loaded from them" sh -c "! grep -qE 'chipkey:(tampered|other)' /proc/keys"

# a blob the oracle sealed to this chip holds the key the oracle says: data
# written through the logon key reads back through the oracle's key
expect 0 "the oracle's blob for chip A loads (logon key chipkey:host)" chipkey key load host /media/host.blob
check "dm-crypt with :32:logon:chipkey:host (1 MiB into the disk)" \
	dmsetup create ckhost --table "0 2048 crypt aes-xts-plain64 :32:logon:chipkey:host 0 $dev 2048"
dmsetup mknodes ckhost
check "written through the logon key" sh -c \
	"test -b /dev/mapper/ckhost && dd if=/tmp/plain of=/dev/mapper/ckhost bs=4096 conv=fsync status=none"
dmsetup remove ckhost
check "dm-crypt with the oracle's key in hex" \
	dmsetup create ckhex --table "0 2048 crypt aes-xts-plain64 $hostkey 0 $dev 2048"
dmsetup mknodes ckhex
check "... reads the same data: the kernel unsealed the oracle's key" sh -c \
	"dd if=/dev/mapper/ckhex bs=65536 count=1 status=none > /tmp/back2 && cmp -s /tmp/plain /tmp/back2"
dmsetup remove ckhex

# the key of boot 1, while its volume is open: nowhere to be read (it goes
# to chipkey_findbytes on stdin: in its argv it would be in /proc/PID/cmdline)
cp /media/key.hex /tmp/planted.hex
check "control: chipkey_findbytes finds the key's hex text in a planted file" \
	sh -c "/selftests/chipkey_findbytes -x - /tmp/planted.hex < /media/key.hex > /dev/null; [ \$? -eq 1 ]"
rm -f /tmp/planted.hex
check "the key (bytes or hex) is nowhere in /proc, /sys or the kernel log" \
	sh -c "/selftests/chipkey_findbytes -x - /proc /sys dmesg < /media/key.hex"
check "the key's bytes are on no block device (data disk, mapping)" \
	sh -c "/selftests/chipkey_findbytes - $dev /dev/mapper < /media/key.hex"
check "dmsetup remove" dmsetup remove ckdata
umount /media
# a measurement, not a test (TCG): KEY_LOAD next to add_key(2) from userspace
[ -x /usr/bin/ck_bench_skey ] && ck_bench_skey 200 2>&1 | sed 's/^/# bench: /'
exit 0
