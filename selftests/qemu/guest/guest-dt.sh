#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest half of the arm64 devicetree boot (ck_mode=dt; host half
# selftests/qemu/devicetree.sh, board in selftests/qemu/arch/arm64.sh).
# Loads modules for the devicetree's platform devices the way udev's
# coldplug would, checks that chipkey bound from its node, then runs
# /bin/ckdt_test.  Result lines are "ok - ..." / "not ok - ..."; the host
# numbers them.

check() { # check NAME COMMAND...
	name=$1
	shift
	if "$@"; then echo "ok - $name"; else echo "not ok - $name"; fi
}

echo "# guest: $(uname -r) $(uname -m), $(grep -c ^processor /proc/cpuinfo) cpu(s)"

compat=$(tr -d '\000' < /proc/device-tree/chipkey/compatible 2>/dev/null)
check "devicetree has /chipkey with compatible chipkey,device-key" \
	[ "$compat" = chipkey,device-key ]

# Coldplug: modprobe every platform device's "of:" modalias.
for m in /sys/bus/platform/devices/*/modalias; do
	a=$(cat "$m")
	case $a in of:*) modprobe -q "$a" 2>/dev/null ;; esac
done
check "nvmem_qfprom.ko loaded by the OTP node's modalias" [ -d /sys/module/nvmem_qfprom ]
check "chipkey.ko loaded by the chipkey node's modalias" [ -d /sys/module/chipkey ]

# The driver may have deferred its probe until the OTP provider was up.
i=0
while [ ! -e /sys/class/misc/chipkey/state ] && [ $i -lt 50 ]; do
	sleep 0.2
	i=$((i + 1))
done
drv=$(readlink /sys/bus/platform/devices/chipkey/driver 2>/dev/null)
check "platform device chipkey bound to driver chipkey" [ "${drv##*/}" = chipkey ]
nv=$(cd /sys/bus/nvmem/devices 2>/dev/null && echo *)
echo "# nvmem devices: $nv"
check "/dev/chipkey is a character device" [ -c /dev/chipkey ]
check "sysfs state == ready" [ "$(cat /sys/class/misc/chipkey/state 2>/dev/null)" = ready ]
ks=$(cat /sys/class/misc/chipkey/key_source 2>/dev/null)
check "sysfs key_source == otp (got '$ks')" [ "$ks" = otp ]
id=$(cat /sys/class/misc/chipkey/chip_id 2>/dev/null)
check "sysfs chip_id == fuse image chip ID" [ "$id" = "$(cat /expect/chip_id.hex)" ]

# The gcm(aes) implementation chipkey.ko got at probe (its dmesg line).
gcm_driver() { dmesg | sed -n 's/.*crypto: gcm(aes) by \(.*\), hmac(sha256) by .*/\1/p' | tail -n 1; }

if [ -c /dev/chipkey ]; then
	echo "# gcm(aes) by $(gcm_driver)"
	/bin/ckdt_test /expect
	rc=$?
	check "ckdt_test ran to the end (exit status $rc; gcm(aes) by $(gcm_driver))" [ $rc -eq 0 ]
	# What Debian's arm64 kernel provides for the Cortex-A57's crypto
	# extensions (gcm-aes-ce), as a real board loads it; then again.
	case "$(gcm_driver)" in
	*-ce*) echo "ok - ckdt_test ran on the crypto-extension gcm(aes) ($(gcm_driver)) that request_module loaded" ;;
	*)
		if modprobe ghash-ce 2>/dev/null && modprobe aes-ce-blk 2>/dev/null; then
			modprobe sha2-ce 2>/dev/null
			modprobe -r chipkey && modprobe chipkey
			i=0
			while [ ! -c /dev/chipkey ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
			check "chipkey rebound with the arm64 crypto-extension modules loaded" [ -c /dev/chipkey ]
			case "$(gcm_driver)" in *-ce*) ce=0 ;; *) ce=1 ;; esac
			check "gcm(aes) now by the crypto-extension implementation ($(gcm_driver))" [ $ce -eq 0 ]
			/bin/ckdt_test /expect
			rc=$?
			check "ckdt_test on the crypto-extension gcm(aes) (exit status $rc)" [ $rc -eq 0 ]
		else
			echo "ok - arm64 crypto extensions pass # SKIP ghash-ce/aes-ce-blk do not load here"
		fi
		;;
	esac
else
	echo "not ok - ckdt_test: no /dev/chipkey, not run"
fi

