#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The systemd boots of the chipkey test VM (host half: systemd.sh).  The
# installed units chipkey-load.service and chipkey-recover.service (make
# install-boot PREFIX=/usr) run under systemd as PID 1, with the real
# /dev/chipkey, the flash store on a virtio disk and the public database of
# the provision boot on the guest's loopback.
#
#   guest-systemd.sh sd-wiped|sd-intact   exec'd by /init (PID 1): load the
#       modules, mount the disks into a tmpfs root holding the initramfs,
#       the store's directory bind-mounted on /var/lib/chipkey, and
#       switch_root to systemd with the unit chipkey-vm.target
#   guest-systemd.sh report               chipkey-vm-report.service: once
#       systemd has no job left, check what the units did, print the
#       results on the result port, power off
#
#   sd-wiped   the host wiped the flash: chipkey-load.service fails (exit
#              16, no store), OnFailure= starts chipkey-recover.service,
#              which starts only after network-online.target (8 s late
#              here) and restores the store from chipkey-pubdb
#   sd-intact  the store sd-wiped restored: chipkey-load.service loads the
#              keys before network-online.target, recovery never starts
# shellcheck disable=SC2034 # PREFIX is used by guest-lib.sh
PREFIX=${1:-report}
# shellcheck source=selftests/qemu/guest/guest-lib.sh
. /guest-lib.sh

if [ "$1" != report ]; then
	mode=$1
	{
		load_virtio && load_chip && mount -t tmpfs -o mode=0755 tmpfs /newroot &&
		for d in /*; do
			case $d in /proc | /sys | /dev | /run | /tmp | /newroot) ;;
			*) cp -a "$d" /newroot/ || exit 1 ;;
			esac
		done &&
		mkdir -p /newroot/proc /newroot/sys /newroot/dev /newroot/run /newroot/tmp \
			/newroot/flash /newroot/factory /newroot/var/lib/chipkey /newroot/etc/chipkey &&
		mount -t ext4 "$(disk_by_serial ckflash)" /newroot/flash &&
		mount -t ext4 "$(disk_by_serial ckfactory)" /newroot/factory &&
		mkdir -p /newroot/flash/chipkey && chmod 700 /newroot/flash/chipkey &&
		mount --bind /newroot/flash/chipkey /newroot/var/lib/chipkey &&
		# shell syntax, with a trailing comment: read by chipkey-boot
		# itself; a unit with EnvironmentFile= would pass the comment on
		# inside the URL and the recovery would fail
		printf 'CHIPKEY_PUBDB=http://127.0.0.1:8470 # the provision boot'"'"'s database\nCHIPKEY_TIMEOUT=60\n' \
			> /newroot/etc/chipkey/recovery.conf &&
		echo "$mode" > /newroot/etc/chipkey-vm-mode
	} || echo "not ok - $mode: prepare the root for systemd"
	echo "# $mode: switch_root to systemd (chipkey-vm.target)"
	umount /proc /sys /tmp /run 2> /dev/null
	umount /dev 2> /dev/null
	exec switch_root /newroot /lib/systemd/systemd --unit=chipkey-vm.target
fi

# ---- report (a service of systemd)
mode=$(cat /etc/chipkey-vm-mode)
PREFIX=$mode
STORE=/var/lib/chipkey
out=/dev/$(sed -n 's/.* ck_tap=\([^ ]*\).*/\1/p' /proc/cmdline)
exec > "$out" 2>&1
i=0
while [ $i -lt 180 ]; do
	[ -z "$(systemctl list-jobs --no-legend 2> /dev/null | grep -v chipkey-vm-report)" ] && break
	sleep 1
	i=$((i + 1))
done
prop() { systemctl show -P "$2" "$1" 2> /dev/null; }
for u in chipkey-load.service chipkey-recover.service network-online.target; do
	echo "# $u: $(systemctl show -p ActiveState -p Result -p ExecMainStatus \
		-p InactiveExitTimestampMonotonic -p ActiveEnterTimestampMonotonic \
		-p ExecMainExitTimestampMonotonic "$u" 2> /dev/null | tr '\n' ' ')"
done
journalctl -b --no-pager -o cat -u chipkey-load.service -u chipkey-recover.service 2> /dev/null |
	tail -20 | sed 's/^/#   journal: /'
check "systemd is PID 1 ($(readlink /proc/1/exe))" sh -c 'readlink /proc/1/exe | grep -q systemd'
net=$(prop network-online.target ActiveEnterTimestampMonotonic)
check "network-online.target came up (after the 8 s delay)" test "${net:-0}" -gt 0
if [ "$mode" = sd-wiped ]; then
	check "chipkey-load.service failed with exit 16 (no store), not the network" sh -c "
		test '$(prop chipkey-load.service Result)' = exit-code &&
		test '$(prop chipkey-load.service ExecMainStatus)' = 16"
	check "chipkey-recover.service (OnFailure=) ran and succeeded" sh -c "
		test '$(prop chipkey-recover.service ActiveState)' = active &&
		test '$(prop chipkey-recover.service Result)' = success"
	rec=$(prop chipkey-recover.service InactiveExitTimestampMonotonic)
	check "chipkey-recover.service started only after network-online.target ($rec >= $net us)" \
		test "${rec:-0}" -ge "${net:-1}" -a "${net:-0}" -gt 0
else
	ld=$(prop chipkey-load.service ExecMainExitTimestampMonotonic)
	check "chipkey-load.service loaded the intact store (active, success)" sh -c "
		test '$(prop chipkey-load.service ActiveState)' = active &&
		test '$(prop chipkey-load.service Result)' = success"
	check "chipkey-load.service was done before network-online.target ($ld < $net us): it does not wait for the network" \
		test "${ld:-0}" -gt 0 -a "${ld:-0}" -lt "${net:-0}"
	check "chipkey-recover.service never started" test "$(prop chipkey-recover.service InactiveExitTimestampMonotonic)" = 0
fi
check "the keys are in /run/chipkey (device-key.pem, mode 0700 directory)" sh -c "
	test -s /run/chipkey/device-key.pem && test \"\$(stat -c %a /run/chipkey)\" = 700"
expect 0 "chipkey status: healthy, keys loaded" chipkey status --json
check "status --json: healthy" grep -q '"healthy": true' /tmp/last.out
hash_restored "$mode"
echo CHIPKEY-VM-RUN-COMPLETE-5b1e
sync
systemctl poweroff --force --force
