#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The systemd units as installed (make install DESTDIR= PREFIX=/usr):
# systemd-analyze verify clean on both, the load unit early and without the
# network, the recover unit only behind it and after network-online.target,
# the hardening in force (systemd-analyze security --offline).  And that the
# verification can fail: a unit whose ExecStart is missing or that holds a
# setting systemd cannot parse is reported.  TAP on stdout.
#
#   test-units.sh            (the userspace Makefile's check-boot)
set -u
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
t=$(mktemp -d /tmp/chipkey-test-units-XXXXXX)
trap 'rm -rf "$t"' EXIT
tap_out=$t/out tap_err=$t/err
. "$(dirname "$0")/../../common/tests/tap.sh"
root=$t/root
units=$root/usr/lib/systemd/system

if ! command -v systemd-analyze >/dev/null; then
	skip "systemd units" "no systemd-analyze (apt-get install systemd)"
	tap_done test-units
	exit
fi
expect_exit 0 "make install-boot install-man DESTDIR=... PREFIX=/usr" -- \
	make -s -C "$TOP/userspace" install-boot install-man DESTDIR="$root" PREFIX=/usr
check "the three units and chipkey-boot installed" test -f "$units/chipkey-load.service" -a \
	-f "$units/chipkey-recover.service" -a -f "$units/chipkey-enroll-device.service" -a \
	-x "$root/usr/lib/chipkey/chipkey-boot"
check "ExecStart names the installed chipkey-boot, CHIPKEY_BIN the installed chipkey" bash -c "
	grep -qx 'ExecStart=/usr/lib/chipkey/chipkey-boot load' '$units/chipkey-load.service' &&
	grep -qx 'ExecStart=/usr/lib/chipkey/chipkey-boot recover' '$units/chipkey-recover.service' &&
	grep -qx 'ExecStart=/usr/lib/chipkey/chipkey-boot enroll' '$units/chipkey-enroll-device.service' &&
	grep -qx 'Environment=CHIPKEY_BIN=/usr/bin/chipkey' '$units/chipkey-recover.service' &&
	grep -qx 'Environment=CHIPKEY_BIN=/usr/bin/chipkey' '$units/chipkey-enroll-device.service'"
check "both units run the installed chipkey-load (CHIPKEY_LOAD_BIN), and it is there" bash -c "
	grep -qx 'Environment=CHIPKEY_LOAD_BIN=/usr/lib/chipkey/chipkey-load' '$units/chipkey-load.service' &&
	grep -qx 'Environment=CHIPKEY_LOAD_BIN=/usr/lib/chipkey/chipkey-load' '$units/chipkey-recover.service' &&
	test -x '$root/usr/lib/chipkey/chipkey-load'"
check "no @placeholder@ and no build-tree path left in the units" bash -c "
	! grep -q '@[a-z]*@' '$units'/chipkey-* && ! grep -qF '$TOP' '$units'/chipkey-*"

# The rest of systemd's units (targets the units name), as on a real system.
for f in /lib/systemd/system/*; do
	[ -e "$units/${f##*/}" ] || cp -a "$f" "$units/"
done
# verify: clean is exit 0 and not one line of output (a setting systemd
# cannot parse is only a warning, with exit 0); Documentation=man:... is
# looked up by man(1) in the installed pages
verify() { MANPATH=$root/usr/share/man systemd-analyze verify --root="$root" "$@" >"$t/v.out" 2>&1 &&
	! [ -s "$t/v.out" ]; }
verify_fails() { ! verify "$@"; }
if verify chipkey-load.service chipkey-recover.service chipkey-enroll-device.service; then
	ok "systemd-analyze verify: the three units clean"
else
	nok "systemd-analyze verify: the three units clean"; sed 's/^/# /' "$t/v.out"
fi

# The load unit: early (DefaultDependencies=no, before sysinit.target, so
# any service can order after it), never waits for the network, and starts
# the recovery only on failure.
prop() { sed -n "s/^$2=//p" "$units/$1"; }
check "load: DefaultDependencies=no, Before=sysinit.target, WantedBy=sysinit.target" bash -c "
	test '$(prop chipkey-load.service DefaultDependencies)' = no &&
	grep -q '^Before=.*sysinit.target' '$units/chipkey-load.service' &&
	test '$(prop chipkey-load.service WantedBy)' = sysinit.target"
check "load: no dependency on the network (no network*.target anywhere)" \
	bash -c "! grep -q 'network' <(grep -E '^(After|Wants|Requires|BindsTo|Requisite)=' '$units/chipkey-load.service')"
check "load: OnFailure=chipkey-recover.service" bash -c "
	test '$(prop chipkey-load.service OnFailure)' = chipkey-recover.service"
check "recover: Wants and After network-online.target, after the load unit" bash -c "
	grep -q '^Wants=.*network-online.target' '$units/chipkey-recover.service' &&
	grep -q '^After=.*network-online.target' '$units/chipkey-recover.service' &&
	grep -q '^After=.*chipkey-load.service' '$units/chipkey-recover.service'"
check "recover: no [Install] section (never enabled on its own: an intact store never pulls in the network)" \
	bash -c "! grep -q '^\[Install\]' '$units/chipkey-recover.service'"

# The enrollment unit (claim 9: as soon as the device is on the network):
# after the network and after the keys are loaded or recovered; only exit
# 10 (node or database unreachable) is retried, a refusal never; installed
# but enabled only by the operator who configures CHIPKEY_EST.
check "enroll-device: Wants and After network-online.target, after the load and recover units" bash -c "
	grep -q '^Wants=.*network-online.target' '$units/chipkey-enroll-device.service' &&
	grep -q '^After=.*network-online.target' '$units/chipkey-enroll-device.service' &&
	grep -q '^After=.*chipkey-load.service' '$units/chipkey-enroll-device.service' &&
	grep -q '^After=.*chipkey-recover.service' '$units/chipkey-enroll-device.service'"
check "enroll-device: Restart=no but RestartForceExitStatus=10 (only 'unreachable' is retried), RestartSec=60" bash -c "
	test '$(prop chipkey-enroll-device.service Restart)' = no &&
	test '$(prop chipkey-enroll-device.service RestartForceExitStatus)' = 10 &&
	test '$(prop chipkey-enroll-device.service RestartSec)' = 60"
check "no unit has EnvironmentFile= (chipkey-boot reads recovery.conf itself, in shell syntax)" \
	bash -c "! grep -q '^EnvironmentFile' '$units'/chipkey-*.service"
check "enroll-device: WantedBy=multi-user.target, StateDirectory=chipkey" bash -c "
	test '$(prop chipkey-enroll-device.service WantedBy)' = multi-user.target &&
	test '$(prop chipkey-enroll-device.service StateDirectory)' = chipkey"

# Hardening, as systemd itself scores it (0 = locked down, 10 = exposed).
for u in chipkey-load.service chipkey-recover.service chipkey-enroll-device.service; do
	systemd-analyze security --offline=yes --root="$root" --no-pager "$u" >"$t/sec" 2>&1
	score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$t/sec")
	check "$u: exposure $score <= 3.0 (ProtectSystem=strict, NoNewPrivileges, DeviceAllow, ...)" \
		awk -v s="${score:-99}" 'BEGIN { exit !(s <= 3.0) }'
	check "$u: ProtectSystem=strict, CapabilityBoundingSet=CAP_SYS_ADMIN, DevicePolicy=closed" bash -c "
		test '$(prop $u ProtectSystem)' = strict && test '$(prop $u CapabilityBoundingSet)' = CAP_SYS_ADMIN &&
		test '$(prop $u DevicePolicy)' = closed && test '$(prop $u DeviceAllow)' = '/dev/chipkey rw'"
done
# The keys directory is replaced as a whole through its parent /run (a
# sibling .chipkey.new-* and renameat2): /run writable, and /run/chipkey
# not a mount point, which RuntimeDirectory= under ProtectSystem=strict makes.
for u in chipkey-load.service chipkey-recover.service chipkey-enroll-device.service; do
	check "$u: ReadWritePaths=/run, no RuntimeDirectory= (the keys directory is swapped in /run)" bash -c "
		test '$(prop $u ReadWritePaths)' = /run && ! grep -q '^RuntimeDirectory' '$units/$u'"
done
check "recover: StateDirectory=chipkey (the store, written inside /var/lib/chipkey)" \
	test "$(prop chipkey-recover.service StateDirectory)" = chipkey
check "load: only AF_UNIX (the emulator's socket), no IP at all" bash -c "
	test '$(prop chipkey-load.service RestrictAddressFamilies)' = AF_UNIX &&
	test '$(prop chipkey-load.service IPAddressDeny)' = any"

# The check can fail: a unit whose program or man page is missing, and one
# with a setting systemd cannot parse, are all reported.
mv "$root/usr/lib/chipkey/chipkey-boot" "$t/cb"
check "attack: ExecStart program missing -> verify reports it" verify_fails chipkey-load.service
mv "$t/cb" "$root/usr/lib/chipkey/chipkey-boot"
mv "$root/usr/share/man/man8/chipkey-boot.8" "$t/"
check "attack: the man page of Documentation= missing -> verify reports it" verify_fails chipkey-load.service
mv "$t/chipkey-boot.8" "$root/usr/share/man/man8/"
sed -i 's/^ProtectSystem=strict/ProtectSystem=stric/' "$units/chipkey-load.service"
check "attack: an unparsable setting -> verify reports it" verify_fails chipkey-load.service
sed -i 's/^ProtectSystem=.*/ProtectSystem=full/' "$units/chipkey-load.service"
check "attack: a weakened unit (ProtectSystem=full) -> the property check catches it" \
	test "$(prop chipkey-load.service ProtectSystem)" != strict

# chipkey-boot: the actions it accepts
expect_exit 1 "chipkey-boot: an unknown action is refused" -- sh "$root/usr/lib/chipkey/chipkey-boot" bogus
check "... with a usage line naming load, recover and enroll" grep -q 'start|load|recover|enroll|stop' "$t/err"
expect_exit 0 "chipkey-boot stop: nothing to do" -- sh "$root/usr/lib/chipkey/chipkey-boot" stop
tap_done test-units
