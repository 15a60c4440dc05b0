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
#   guest-powercut.sh pcut I  judge chip I-1's store (provisioning cut by the
#                             host: none, or healthy and agreeing with the
#                             SPP and the public database), complete it,
#                             then provision chip I (fuse-pc-I.bin) from
#                             scratch until the host pulls the plug; with
#                             no chip I, print the last result and stop
mode=${1:-cut}
# shellcheck disable=SC2034 # used by guest-lib.sh
PREFIX=$mode
# shellcheck source=selftests/qemu/guest/guest-lib.sh
. /guest-lib.sh

check "loopback up" lo_up
check "virtio_pci + virtio_blk + ext4 loaded" load_virtio
check "flash disk mounted on /flash" mount_disk ckflash /flash
check "factory disk mounted on /factory" mount_disk ckfactory /factory

# provision_chip STORE [--timeout N]: chipkey-agent against the SPP of this guest
provision_chip() {
	st=$1; shift
	chipkey-agent provision --spp "$SPP" --station-cert "$FAC/station-cert.pem" \
		--station-key "$FAC/station-key.pem" --device /dev/chipkey --store "$st" "$@"
}
start_factory() {
	start_daemon /tmp/spp.port /tmp/spp.log chipkey-spp --factory "$FAC" --db "$DB" \
		--public-db "$PUBDB" --listen 127.0.0.1:0 --port-file /tmp/spp.port &&
		SPP=127.0.0.1:$(cat /tmp/spp.port) && start_pubdb
}
# pcut_judge P: chip P's store after the cut, then its provisioning completed
pcut_judge() {
	st=/flash/pc-$1 left=
	FW_IMAGE=fuse-pc-$1.bin
	check "chip $1 loaded" load_chip
	hex=$(chip_hex)
	chipkey status --store "$st" > /tmp/st.out 2> /tmp/st.err
	cutrc=$?
	sed 's/^/#   status: /' /tmp/st.err | head -3
	case $cutrc in
	0) expect 0 "chip $1 after the cut: the store is healthy and loads" \
		chipkey load --store "$st" --keys "/tmp/keys-$1"
	   left="$(sha "$st/backup.pkg") $(sha "$st/identity") $(sha "$st/device-cert.der")" ;;
	16) ok "chip $1 after the cut: no store at all (exit 16), nothing half written" ;;
	*) nok "chip $1 after the cut: chipkey status exit $cutrc: neither no store (16) nor a healthy one (0)" ;;
	esac
	check "chip $1: chipkey-spp and chipkey-pubdb start on the databases the cut left" start_factory
	read -r a _ < /proc/uptime
	expect 0 "chip $1: rerunning chipkey-agent provision completes it" provision_chip "$st" --timeout 60
	read -r b _ < /proc/uptime
	# how long a whole provisioning takes in this VM (the cut left nothing
	# on the device): the host cuts the next chip within that window
	[ "$cutrc" -eq 16 ] && echo "# pcut-window $(( (${b%.*}${b#*.} - ${a%.*}${a#*.}) * 10 ))"
	sed 's/^/#   /' /tmp/last.out
	expect 0 "chip $1: chipkey status: store healthy" chipkey status --store "$st" --json
	wget -q -O /tmp/pub.json "$URL/v1/chips/$hex" 2> /dev/null
	wget -q -O /tmp/pub.pkg "$URL/v1/chips/$hex/backup" 2> /dev/null
	id=$(cat "$st/identity" 2> /dev/null)
	check "chip $1: the public database names this identity ($id) at generation 1" sh -c "
		echo '$id' | grep -qE '^[0-9]{15}\$' && grep -q '\"identity\": *\"$id\"' /tmp/pub.json &&
		grep -q '\"generation\": *1' /tmp/pub.json"
	check "chip $1: its backup is the one in the flash store" cmp -s /tmp/pub.pkg "$st/backup.pkg"
	[ "$cutrc" -eq 0 ] && check "chip $1: the healthy store the cut left was already that one" test \
		"$left" = "$(sha "$st/backup.pkg") $(sha "$st/identity") $(sha "$st/device-cert.der")"
	expect 0 "chip $1: provisioning again gives the same identity (ALREADY)" \
		provision_chip /tmp/again --timeout 60
	check "... the same identity and certificate" sh -c "
		cmp -s /tmp/again/identity '$st/identity' && cmp -s /tmp/again/device-cert.der '$st/device-cert.der'"
	rm -rf /tmp/again
	stop_daemons
	rmmod chipkey && rmmod chipkey_vfuse
}
if [ "$mode" = pcut ]; then
	i=$2
	[ "$i" -gt 1 ] && pcut_judge $((i - 1))
	if [ ! -f "/lib/firmware/chipkey/fuse-pc-$i.bin" ]; then
		finish_disks
		ok "last chip judged and completed"
		exit 0
	fi
	FW_IMAGE=fuse-pc-$i.bin
	check "chip $i loaded" load_chip
	check "chip $i: no store yet" test ! -e "/flash/pc-$i"
	check "chipkey-spp and chipkey-pubdb listen on 127.0.0.1" start_factory
	sync
	read -r t0 _ < /proc/uptime
	echo "CUT-ARMED"
	provision_chip "/flash/pc-$i" --timeout 60 > /dev/null 2>&1
	rc=$?
	read -r t1 _ < /proc/uptime
	echo "# pcut: provisioning finished before the cut (exit $rc, $t0 -> $t1 s uptime)"
	sync
	sleep 600
fi

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
