#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers of the guest scripts of the chipkey test VM (sourced by
# guest-run.sh, guest-provision.sh and guest-recovery.sh).  Output is TAP
# result lines ("ok - ..."/"not ok - ...", numbered by the host; each
# prefixed with "$PREFIX: " when the script sets PREFIX) and '#' comments.
# Besides results the host reads (provisioning and recovery boots):
#   "# ckinfo KEY VALUE"          facts (chip ID, identity, ...)
#   "# ckhash TAG NAME SHA256"    hashes of restored items, compared across
#                                 boots on the host
#   BEGIN-<NAME> / base64 / END-<NAME>   files handed to the host
#
# Disks (QEMU -drive ...,if=virtio,serial=NAME), found by their serial:
#   ckflash    the device's flash: ext4, mounted on /flash, store /flash/chipkey
#   ckfactory  factory + public database (SQLite), mounted on /factory
#   ckmedia    offline archives (a "USB stick"), mounted on /media (boot 3)
FW_IMAGE=fuse-fac.bin
STORE=/flash/chipkey
KEYS=/run/chipkey
FAC=/factory/fac
DB=sqlite:/factory/factory.db
PUBDB=sqlite:/factory/public.db	# the public database, its own file (docs/databases.md)
PREFIX=${PREFIX:-}
PIDS=

ok() { echo "ok - ${PREFIX:+$PREFIX: }$*"; }
nok() { echo "not ok - ${PREFIX:+$PREFIX: }$*"; }
check() { # check DESCRIPTION COMMAND...
	d=$1; shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}
# expect CODE DESCRIPTION COMMAND...: the command exits with CODE; its
# stderr is kept in /tmp/last.err and shown as comments
expect() {
	want=$1 d=$2; shift 2
	"$@" > /tmp/last.out 2> /tmp/last.err
	rc=$?
	sed 's/^/#   /' /tmp/last.err | head -8
	if [ "$rc" -eq "$want" ]; then ok "$d (exit $rc)"; else nok "$d (exit $rc, want $want)"; fi
}
info() { echo "# ckinfo $1 $2"; }
blob() { # blob NAME FILE: hand FILE to the host, base64
	echo "BEGIN-$1"
	base64 "$2"
	echo "END-$1"
}
sha() { if [ -f "$1" ]; then sha256sum "$1" | cut -d' ' -f1; else echo missing; fi; }

# hash_restored TAG: hashes of the store's items and of the keys directory
hash_restored() {
	for _f in backup.pkg device-cert.der identity; do
		echo "# ckhash $1 store/$_f $(sha "$STORE/$_f")"
	done
	for _f in device-key.pem channel.key device-cert.der device-cert.pem mfr-ca.pem identity generation; do
		echo "# ckhash $1 keys/$_f $(sha "$KEYS/$_f")"
	done
}

wait_for() { # wait_for TEST-ARGS...: up to 2 minutes (a debug kernel under TCG is slow)
	_i=0
	while ! test "$@" && [ $_i -lt 2400 ]; do sleep 0.05; _i=$((_i + 1)); done
	test "$@"
}

lo_up() {
	ip link set lo up && ip addr show dev lo | grep -q 'inet 127\.0\.0\.1'
}

# (sh has no local variables: helpers use their own _names, so that they do
# not clobber check's and expect's)
disk_by_serial() { # disk_by_serial SERIAL -> /dev/vdX
	for _ser in /sys/block/vd*/serial; do
		[ -r "$_ser" ] || continue
		if [ "$(cat "$_ser")" = "$1" ]; then
			_blk=${_ser%/serial}
			echo "/dev/${_blk##*/}"
			return 0
		fi
	done
	return 1
}

# mount_disk SERIAL DIR: virtio disk with that serial, ext4
mount_disk() {
	_i=0
	while ! disk_by_serial "$1" > /dev/null && [ $_i -lt 200 ]; do sleep 0.05; _i=$((_i + 1)); done
	_dev=$(disk_by_serial "$1") || return 1
	echo "# disk $1 is $_dev"
	mkdir -p "$2" && mount -t ext4 "$_dev" "$2"
}

load_virtio() {
	modprobe -a virtio_pci virtio_blk ext4
}

# load_chip: chipkey_vfuse with the factory's fuse image (ROM key = the
# factory's manufacturer public key), then chipkey
load_chip() {
	modprobe chipkey_vfuse firmware=chipkey/$FW_IMAGE && modprobe chipkey &&
		wait_for -c /dev/chipkey
}

chip_hex() {
	tr -dc '0-9a-fA-F' < /sys/class/misc/chipkey/chip_id 2>/dev/null | tr 'A-F' 'a-f'
}

# start_daemon PORTFILE LOG COMMAND...: background, waits for its port file
# while the daemon lives, up to 10 minutes (its start on a debug kernel
# under TCG is exec, page faults and SQLite on ext4, all 10-50x slower)
start_daemon() {
	_pf=$1 _log=$2; shift 2
	rm -f "$_pf"
	"$@" 2> "$_log" &
	_dpid=$!
	PIDS="$PIDS $_dpid"
	_i=0
	while ! test -s "$_pf" && kill -0 "$_dpid" 2> /dev/null && [ $_i -lt 6000 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	test -s "$_pf"
}

# start_pubdb: chipkey-pubdb on the factory disk's public database; sets URL
start_pubdb() {
	start_daemon /tmp/pubdb.port /tmp/pubdb.log chipkey-pubdb --db "$PUBDB" \
		--listen 127.0.0.1:0 --writers "$FAC/mfr-ca.pem" --port-file /tmp/pubdb.port &&
		URL=http://127.0.0.1:$(cat /tmp/pubdb.port) && export URL
}

stop_daemons() {
	for _p in $PIDS; do kill "$_p" 2> /dev/null; done
	for _p in $PIDS; do wait "$_p" 2> /dev/null; done
	PIDS=
	for _l in /tmp/spp.log /tmp/pubdb.log /tmp/svc.log /tmp/enroll.log; do
		[ -s "$_l" ] && tail -5 "$_l" | sed "s|^|# ${_l#/tmp/}: |"
	done
	return 0
}

# The state of the store, for "refused and nothing changed": where current
# points plus the hashes of what it holds ("absent" when there is none).
snap() {
	if [ -e "$STORE" ]; then
		{ readlink "$STORE/current"; ls -A "$STORE"; cat "$STORE"/current/* 2> /dev/null; } |
			sha256sum | cut -d' ' -f1
	else
		echo absent
	fi
}

finish_disks() {
	stop_daemons
	sync
	for _m in /media /factory /flash; do
		grep -q " $_m " /proc/mounts && umount "$_m"
	done
	return 0
}
