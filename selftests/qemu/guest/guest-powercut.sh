#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The power-cut boots of the chipkey test VM (host half: powercut.sh).  Same
# chip and disks as the recovery boots.  Each boot first judges what the
# previous one left on the flash (the host killed QEMU, without warning,
# while that boot was recovering): no store at all (exit 16) or a healthy
# one that loads, byte for byte boot 1's; never a corrupt or half store.
# Then:
#   guest-powercut.sh cut     remove the store, print CUT-ARMED and recover
#                             from chipkey-pubdb until the host pulls the plug
#   guest-powercut.sh final   recover to the end: the flash is usable again
mode=${1:-cut}
# shellcheck disable=SC2034 # used by guest-lib.sh
PREFIX=$mode
# shellcheck source=selftests/qemu/guest/guest-lib.sh
. /guest-lib.sh

check "loopback up" lo_up
check "virtio_pci + virtio_blk + ext4 loaded" load_virtio
check "flash disk mounted on /flash" mount_disk ckflash /flash
check "factory disk mounted on /factory" mount_disk ckfactory /factory
check "chip loaded" load_chip
chipkey status --store "$STORE" > /tmp/st.out 2> /tmp/st.err
rc=$?
sed 's/^/#   status: /' /tmp/st.err | head -3
info previous-status "$rc"
case $rc in
0)
	expect 0 "after the cut: the store is healthy and loads" chipkey load --store "$STORE" --keys "$KEYS"
	hash_restored cut ;;
16) ok "after the cut: no store at all (exit 16), nothing half written" ;;
*) nok "after the cut: chipkey status exit $rc: neither no store (16) nor a healthy one (0)" ;;
esac
check "chipkey-pubdb listens on 127.0.0.1" start_pubdb
if [ "$mode" = final ]; then
	rm -rf "$STORE" "$KEYS"
	expect 0 "final: recovery runs to the end" chipkey recover --store "$STORE" --keys "$KEYS" --db "$URL"
	hash_restored final
	finish_disks
	ok "final boot done"
	exit 0
fi
rm -rf "$STORE" "$KEYS"
sync
echo "CUT-ARMED"
chipkey recover --store "$STORE" --keys "$KEYS" --db "$URL" > /dev/null 2>&1
echo "# cut: recovery finished before the cut (exit $?)"
sync
# the host kills QEMU: nothing after this line is expected
sleep 600
