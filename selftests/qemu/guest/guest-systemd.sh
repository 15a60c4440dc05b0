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
#              keys before network-online.target, recovery never starts;
#              then chipkey-enroll-device.service (enabled here, with
#              guest/systemd-enroll/) enrolls the device with a customer
#              node on the loopback: its first attempt finds no node (exit
#              10), systemd restarts it (RestartForceExitStatus=10,
#              RestartSec=3 by a drop-in), the node comes up once that
#              first failure is logged, the second attempt enrolls
#   guest-systemd.sh hash                 chipkey-vm-hash.service (sd-intact):
#       hashes of what chipkey-load.service loaded, before the enrollment
# shellcheck disable=SC2034 # PREFIX is used by guest-lib.sh
PREFIX=${1:-report}
# shellcheck source=selftests/qemu/guest/guest-lib.sh
. /guest-lib.sh
# shellcheck source=selftests/qemu/guest/guest-enroll.sh
. /guest-enroll.sh
VMSTATE=/var/lib/chipkey-vm	# sd-intact: the node and the copied public database

# sd_enroll_prepare ROOT: sd-intact's enrollment, before switch_root: the
# test's units and drop-ins, a customer node whitelisting this device (its
# CA the anchor of two-way mode), a copy of the public database for the
# enrollment to publish to, and the settings of chipkey-boot enroll
sd_enroll_prepare() {
	cp -a /usr/share/chipkey/vm-enroll/. "$1/etc/systemd/system/" &&
	mkdir -p "$1$VMSTATE" && chmod 700 "$1$VMSTATE" &&
	NODE=$1$VMSTATE/node FAC=$1/factory/fac node_init &&
	NODE=$1$VMSTATE/node whitelist_device "$(cat "$1/flash/chipkey/identity")" "$(chip_hex)" > /dev/null &&
	cp "$1$VMSTATE/node/ca-cert.pem" "$1/etc/chipkey/customer-ca.pem" &&
	cp "$1/factory/public.db" "$1$VMSTATE/public.db" &&
	printf 'CHIPKEY_EST=https://localhost:8471 # the node of chipkey-vm-node.service\nCHIPKEY_EST_ANCHOR=/etc/chipkey/customer-ca.pem\n' \
		>> "$1/etc/chipkey/recovery.conf"
}

if [ "$1" = hash ]; then
	STORE=/var/lib/chipkey
	hash_restored "$(cat /etc/chipkey-vm-mode)" > /run/chipkey-vm-hashes
	exit 0
fi

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
	if [ "$mode" = sd-intact ]; then
		check "enable chipkey-enroll-device.service (a customer node whitelisting the device, CHIPKEY_EST, CHIPKEY_EST_ANCHOR)" \
			sd_enroll_prepare /newroot
	fi
	echo "# $mode: switch_root to systemd (chipkey-vm.target)"
	umount /proc /sys /tmp /run 2> /dev/null
	umount /dev 2> /dev/null
	exec switch_root /newroot /lib/systemd/systemd --unit=chipkey-vm.target
fi

# sd_enroll_report: what chipkey-enroll-device.service did in sd-intact
sd_enroll_report() {
	_u=chipkey-enroll-device.service
	echo "# $_u: $(systemctl show -p ActiveState -p Result -p ExecMainStatus -p NRestarts \
		-p InactiveExitTimestampMonotonic "$_u" 2> /dev/null | tr '\n' ' ')"
	journalctl -b --no-pager -o cat -u "$_u" -u chipkey-vm-node.service 2> /dev/null |
		tail -12 | sed 's/^/#   journal: /'
	journalctl -b --no-pager -o cat -u "$_u" > /tmp/enroll-unit.log 2> /dev/null
	_st=$(prop "$_u" InactiveExitTimestampMonotonic)
	check "$_u (enabled) started after chipkey-load.service had loaded the keys and after network-online.target ($_st us)" \
		test "${_st:-0}" -gt "${ld:-0}" -a "${_st:-0}" -ge "${net:-1}" -a "${ld:-0}" -gt 0
	check "... its first attempt found no node: chipkey-boot enroll exit 10, logged 'to be retried'" \
		grep -q 'not reachable (exit 10), to be retried' /tmp/enroll-unit.log
	check "... systemd restarted it (RestartForceExitStatus=10; NRestarts=$(prop "$_u" NRestarts))" \
		test "$(prop "$_u" NRestarts)" -ge 1
	check "... the last attempt enrolled: exit 0, result success, logged 'enrolled: identity ...'" sh -c "
		test '$(prop "$_u" ExecMainStatus)' = 0 && test '$(prop "$_u" Result)' = success &&
		grep -q 'enrolled: identity $(cat "$STORE/identity" 2> /dev/null)' /tmp/enroll-unit.log"
	NODE=$VMSTATE/node hex=$(chip_hex)
	chipkey-enroll issuances "$NODE" > /tmp/issuances.txt 2> /dev/null
	sed 's/^/#   issuance: /' /tmp/issuances.txt
	check "the node's ledger: one issuance, for this identity and chip" sh -c "
		test \$(wc -l < /tmp/issuances.txt) = 1 &&
		grep -q '^$(cat "$STORE/identity" 2> /dev/null) $hex .* simpleenroll\$' /tmp/issuances.txt"
	check "the flash store is at generation 2 (the customer set)" test "$(enr_gen "$STORE")" = 2
	expect 0 "openssl verify -CAfile <customer CA> accepts /run/chipkey/customer-cert.pem" \
		openssl verify -CAfile "$NODE/ca-cert.pem" "$KEYS/customer-cert.pem"
	chipkey-enroll issuances "$NODE" --json > /tmp/ledger.json 2> /dev/null
	blob ENROLL-LEDGER /tmp/ledger.json
	blob ENROLL-CERT "$KEYS/customer-cert.pem"
	blob ENROLL-CA "$NODE/ca-cert.pem"
	info enroll-identity "$(cat "$STORE/identity" 2> /dev/null)"
	info chip "$hex"
}

# ---- report (a service of systemd)
mode=$(cat /etc/chipkey-vm-mode)
PREFIX=$mode
STORE=/var/lib/chipkey
out=/dev/$(sed -n 's/.* ck_tap=\([^ ]*\).*/\1/p' /proc/cmdline)
exec > "$out" 2>&1
i=0
# (and until chipkey-enroll-device.service is inactive or failed: between
# its attempts it has no job, only a restart timer, and as Type=exec it is
# active, without a job, while chipkey enroll runs)
while [ $i -lt 300 ]; do
	[ -z "$(systemctl list-jobs --no-legend 2> /dev/null | grep -v chipkey-vm-report)" ] &&
		case $(systemctl show -P ActiveState chipkey-enroll-device.service 2> /dev/null) in
		inactive | failed) true ;;
		*) false ;;
		esac && break
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
if [ "$mode" = sd-intact ]; then
	sd_enroll_report
	# what chipkey-load.service loaded, hashed before the enrollment
	cat /run/chipkey-vm-hashes
else
	hash_restored "$mode"
fi
echo CHIPKEY-VM-RUN-COMPLETE-5b1e
sync
systemctl poweroff --force --force
