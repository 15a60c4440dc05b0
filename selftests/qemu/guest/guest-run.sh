#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the chipkey test VM (started by /init).  Prints TAP result
# lines ("ok - ..."/"not ok - ...", numbered by the host) and '#' comments;
# each kselftest binary's own output is framed by "# BEGIN/END name".
mode=${1:-test}
FW=/lib/firmware/chipkey
# shellcheck source=selftests/qemu/guest/guest-lib.sh
. /guest-lib.sh

load_a() {
	modprobe chipkey_vfuse && modprobe chipkey && wait_for -c /dev/chipkey
}

hex16() { # chip ID of a fuse image, lowercase hex
	dd if="$1" bs=1 skip=8 count=16 2>/dev/null | od -An -tx1 | tr -d ' \n'
}

run_suite_as() { # run_suite_as LABEL NAME [ENV=VALUE...]: results named LABEL
	label=$1 name=$2; shift 2
	echo "# BEGIN $label"
	if [ ! -x "/selftests/$name" ]; then
		echo "# $name: not built"
		echo "# END $label rc=missing"
		return
	fi
	env "$@" "/selftests/$name" 2>&1
	echo "# END $label rc=$?"
}
run_suite() { # run_suite NAME [ENV=VALUE...]
	run_suite_as "$1" "$@"
}

# The implementations the crypto API gave chipkey.ko at its last probe
# (its "crypto: gcm(aes) by DRIVER, hmac(sha256) by DRIVER" line).
gcm_driver() { dmesg | sed -n 's/.*crypto: gcm(aes) by \(.*\), hmac(sha256) by .*/\1/p' | tail -n 1; }
hmac_driver() { dmesg | sed -n 's/.*crypto: .*hmac(sha256) by \(.*\)$/\1/p' | tail -n 1; }
accelerated() { case "$(gcm_driver)" in *aesni*|*-ce*|*neon*) return 0 ;; esac; return 1; }

if [ "$mode" = bench ]; then
	load_a || { nok "load chipkey_vfuse + chipkey"; exit 1; }
	ok "load chipkey_vfuse + chipkey"
	modprobe -a crypto_user af_alg algif_aead 2>/dev/null
	# The baseline of the attestation table: one kernel ECDH, timed by
	# bench/kmod/ck_ecdh_bench.ko in this boot ("ecdh N ops in T ns (X
	# ns/op), by DRIVER" in the kernel log); AF_ALG has no kpp.
	ecdh_ns="" ecdh_drv=""
	if modprobe ck_ecdh_bench iterations=200; then
		line=$(dmesg | grep 'ck_ecdh_bench: ecdh ' | tail -n 1)
		ecdh_ns=$(echo "$line" | sed -n 's/.*(\([0-9]*\) ns\/op).*/\1/p')
		ecdh_drv=$(echo "$line" | sed -n 's/.*, by //p')
		dmesg | grep 'ck_ecdh_bench: ' | sed 's/^/# kernel: /'
		rmmod ck_ecdh_bench
	fi
	if [ -n "$ecdh_ns" ]; then
		ok "kernel ECDH baseline measured (ck_ecdh_bench.ko)"
	else
		nok "kernel ECDH baseline measured (ck_ecdh_bench.ko)"
		dmesg | tail -n 5 | sed 's/^/# kernel: /'
	fi
	/bench/ck_bench_dev "${ecdh_ns:-0}" "${ecdh_drv:-not measured}" 2>&1
	echo "# bench rc=$?"
	exit 0
fi

echo "# modules: $(cd "/lib/modules/$(uname -r)/extra" 2>/dev/null && echo *)"
check "load chipkey_vfuse + chipkey with fuse image A" load_a
check "/dev/chipkey exists and is a character device" test -c /dev/chipkey
a_id=$(hex16 $FW/fuse.bin)
s_id=$(tr -dc '0-9a-fA-F' < /sys/class/misc/chipkey/chip_id 2>/dev/null | tr 'A-F' 'a-f')
check "sysfs chip_id matches fuse image A ($a_id)" test "$s_id" = "$a_id"
echo "# sysfs: $(for f in chip_id key_source state abi_version; do
	printf '%s=%s ' $f "$(cat /sys/class/misc/chipkey/$f 2>/dev/null)"; done)"

if [ -x /usr/bin/chipkey ]; then
	out=$(chipkey --device /dev/chipkey info 2>&1); rc=$?
	echo "$out" | sed 's/^/# chipkey info: /'
	check "chipkey CLI info through /dev/chipkey" test $rc -eq 0
	# the CLI shows the chip ID (case/separators free)
	norm=$(echo "$out" | tr -dc '0-9a-fA-F\n' | tr 'A-F' 'a-f')
	check "chipkey CLI info shows chip ID of image A" sh -c "echo '$norm' | grep -q '$a_id'"
	head -c 3000 /dev/urandom > /tmp/cli.in
	chipkey --device /dev/chipkey wrap /tmp/cli.in /tmp/cli.pkg &&
		chipkey --device /dev/chipkey unwrap /tmp/cli.pkg /tmp/cli.out
	check "chipkey CLI wrap + unwrap through /dev/chipkey round-trips" cmp -s /tmp/cli.in /tmp/cli.out
else
	nok "chipkey CLI present in the VM"
fi

# The host raised the kernel's watchdog thresholds to their maximum on the
# command line (lib.sh, WATCHDOG_CMDLINE): a vCPU starved by a busy host
# is no lockup of ours.  Each detector this kernel has must be at its
# maximum (the debug kernel, built on tinyconfig, has no soft lockup
# detector); at least one must be there.
watchdogs_at_max() {
	n=0
	for w in /proc/sys/kernel/watchdog_thresh:60 \
		/sys/module/rcupdate/parameters/rcu_cpu_stall_timeout:300 \
		/proc/sys/kernel/hung_task_timeout_secs:600; do
		f=${w%:*}
		if [ ! -e "$f" ]; then
			echo "# $f: not in this kernel (that detector is not built in)"
			continue
		fi
		n=$((n + 1))
		echo "# $f: $(cat "$f")"
		[ "$(cat "$f")" = "${w##*:}" ] || return 1
	done
	[ $n -gt 0 ]
}
check "each kernel watchdog this kernel has at its maximum: soft lockup 60 s, RCU stall 300 s, hung task 600 s" \
	watchdogs_at_max

# Real x86 systems load aesni_intel (udev), whose gcm(aes) is a SIMD
# wrapper over cryptd with its own asynchronous completion path; this
# initramfs has no udev, so the first probe got the generic code.  One
# pass on the generic implementation, then the accelerated one for the
# whole suite.  /proc/crypto says what each name resolves to.
echo "# gcm(aes) by $(gcm_driver), hmac(sha256) by $(hmac_driver)"
grep -A3 '^name *: gcm(aes)' /proc/crypto | sed 's/^/# \/proc\/crypto: /'
if accelerated; then
	ok "generic crypto pass # SKIP this kernel has the accelerated gcm(aes) built in ($(gcm_driver))"
else
	check "first probe: chipkey.ko reports its gcm(aes) implementation (generic: $(gcm_driver))" \
		test -n "$(gcm_driver)"
	run_suite_as chipkey_tamper_test.generic chipkey_tamper_test
	run_suite_as chipkey_vectors_test.generic chipkey_vectors_test \
		CK_VECTORS=/usr/share/chipkey/backup-v1.txt
	if modprobe -a aesni_intel ghash_clmulni_intel sha256_ssse3 2>/dev/null; then
		check "reload chipkey with aesni_intel loaded" sh -c \
			"modprobe -r chipkey && modprobe chipkey && test -c /dev/chipkey"
		grep -A3 '^name *: gcm(aes)' /proc/crypto | sed 's/^/# \/proc\/crypto: /'
		check "gcm(aes) now resolves to the AES-NI implementation ($(gcm_driver)); the suite runs on it" \
			accelerated
	else
		ok "accelerated crypto pass # SKIP aesni_intel does not load here (no AES-NI?)"
	fi
fi

run_suite chipkey_ioctl_test
run_suite chipkey_ioctl_test_32
run_suite chipkey_tamper_test
run_suite chipkey_perm_test
run_suite chipkey_sysfs_test
run_suite chipkey_threads_test
# random and malformed ioctls, mutated packages, unbinding under load,
# unprivileged callers (ck_abuse_n=N on the kernel command line: make stress)
run_suite chipkey_abuse_test CK_ABUSE_N="${ck_abuse_n:-800}"
run_suite chipkey_abuse_test_32 CK_ABUSE_N="${ck_abuse_n:-800}"
# Attestation (ABI v2) against the values the host's oracle prepared in
# /expect/attest (selftests/qemu/attest.sh); the backups SEALED_WRAP made go
# to the host, which checks them and the printed MACs with the oracle.
run_suite chipkey_attest_test CK_ATTEST_OUT=/tmp/attest-out
run_suite chipkey_attest_test_32 CK_ATTEST_OUT=/tmp/attest-out-32
for f in /tmp/attest-out/sw-*.ckb /tmp/attest-out-32/sw-*.ckb; do
	[ -f "$f" ] || continue
	n=${f##*/sw-}
	case $f in */attest-out-32/*) blob "ATTEST32-SW-${n%.ckb}" "$f" ;; *) blob "ATTEST-SW-${n%.ckb}" "$f" ;; esac
done
# libkcapi asks NETLINK_CRYPTO (crypto_user) about algorithms; load AF_ALG
modprobe -a crypto_user af_alg algif_aead algif_hash || echo "# modprobe crypto_user/algif failed"
run_suite chipkey_oracle_test
run_suite chipkey_compat_test CK_EMU=/usr/bin/chipkey-emu
run_suite chipkey_reload_test
run_suite chipkey_vectors_test CK_VECTORS=/usr/share/chipkey/backup-v1.txt
run_suite chipkey_skey_test CK_SKEY_VECTORS=/usr/share/chipkey/sealed-key-v1.txt
run_suite chipkey_skey_test_32 CK_SKEY_VECTORS=/usr/share/chipkey/sealed-key-v1.txt

echo "# after the suites: gcm(aes) by $(gcm_driver), hmac(sha256) by $(hmac_driver)"
# whatever the suites did, image A must be loaded and working at the end
check "chipkey bound to image A after the reload tests" sh -c \
	"test -c /dev/chipkey && test \"\$(tr -dc 0-9a-f < /sys/class/misc/chipkey/chip_id)\" = '$a_id'"
# Debug kernels (CONFIG_DEBUG_KMEMLEAK, DEBUG_KERNEL=yes run.sh): objects
# leaked while the tests ran, then objects leaked by unloading.
kml=/sys/kernel/debug/kmemleak
[ -e $kml ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
# The file also exists when kmemleak is built in but off (Debian's kernel):
# then a scan request fails, and the checks below would prove nothing.
kml_on=
if [ -w $kml ] && echo scan 2>/dev/null > $kml; then
	kml_on=1
else
	echo "# kmemleak is not enabled in this kernel: leak checks only on the debug kernel"
fi
kml_scan() { # objects younger than 5 s are never reported
	sleep 6; echo scan > $kml; echo scan > $kml
	sed 's/^/# kmemleak: /' $kml
}
if [ -n "$kml_on" ]; then
	kml_scan
	check "kmemleak: no leak suspected in chipkey code after the tests" \
		sh -c "! grep -q chipkey $kml"
	echo clear > $kml
fi
check "unload chipkey + chipkey_vfuse" sh -c \
	"modprobe -r chipkey && modprobe -r chipkey_vfuse && ! test -e /dev/chipkey"
# Fuse image bytes 56..63 are reserved and must be zero (docs/fuse-image.md).
cp $FW/fuse.bin $FW/reserved.bin
printf '\001' | dd of=$FW/reserved.bin bs=1 seek=59 conv=notrunc 2>/dev/null
check "the test image differs from image A only in reserved byte 59" sh -c \
	"test \"\$(cmp -l $FW/fuse.bin $FW/reserved.bin | wc -l)\" -eq 1"
check "chipkey_vfuse refuses a fuse image with a reserved byte set" sh -c \
	"! modprobe chipkey_vfuse firmware=chipkey/reserved.bin && ! test -d /sys/module/chipkey_vfuse"
check "... and says which bytes in dmesg" sh -c "dmesg | grep -q 'reserved bytes 56..63 are not zero'"
check "... while image A still loads" sh -c \
	"modprobe chipkey_vfuse && modprobe -r chipkey_vfuse"
rm -f $FW/reserved.bin
if [ -n "$kml_on" ]; then
	kml_scan
	check "kmemleak: no new leak suspected after unloading chipkey" \
		sh -c "! grep -q unreferenced $kml"
fi
