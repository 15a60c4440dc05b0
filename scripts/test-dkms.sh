#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms.conf: for every kernel whose headers are installed (Debian 12: 6.1,
# and 6.12 with linux-headers-6.12-amd64), none of them the running one,
# dkms add / build / install the module, check that modinfo's vermagic of
# the installed chipkey.ko and chipkey_vfuse.ko is that kernel's release
# (UTS_RELEASE of the headers, not read from the module), then dkms remove.  And the
# module builds warning-free with W=1 against each.  TAP on stdout.
#
# Touches only a temporary DKMS tree and source tree, and
# /lib/modules/VERSION/updates/dkms (removed again; no depmod).  Root only.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
t=$(mktemp -d /tmp/chipkey-test-dkms-XXXXXX)
tap_out=$t/out tap_err=$t/err
. "$TOP/userspace/common/tests/tap.sh"
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$TOP/dkms.conf")
D=(dkms --dkmstree "$t/dkms" --sourcetree "$t/src")
made=()
cleanup() {
	"${D[@]}" remove -m chipkey -v "$ver" --all --no-depmod >/dev/null 2>&1
	for d in "${made[@]}"; do rmdir "$d" 2>/dev/null; done
	rm -rf "$t"
}
trap cleanup EXIT

kernels=()
for b in /lib/modules/*/build; do
	[ -f "$b/Makefile" ] && [ -f "$b/include/generated/utsrelease.h" ] || continue
	k=$(basename "$(dirname "$b")")
	[ "$k" = "$(uname -r)" ] && continue
	kernels+=("$k")
done
if ! command -v dkms >/dev/null || [ "$(id -u)" -ne 0 ] || [ ${#kernels[@]} -eq 0 ]; then
	skip "dkms" "needs root, dkms and kernel headers (scripts/setup-debian.sh)"
	tap_done test-dkms
	exit
fi
echo "# kernels with headers: ${kernels[*]}"
case " ${kernels[*]}" in *" 6.1."*) ;; *) nok "the 6.1 headers are installed" ;; esac
case " ${kernels[*]}" in *" 6.12."*) ;; *) skip "6.12" "no linux-headers-6.12-amd64 (scripts/setup-debian.sh)" ;; esac

# The source tree DKMS gets: the files git knows in Kbuild, dkms.conf,
# kmod/ and include/ (no build products of an in-tree make).
src=$t/src/chipkey-$ver
mkdir -p "$src" "$t/dkms"
(cd "$TOP" && git ls-files --cached --others --exclude-standard Kbuild dkms.conf kmod include |
	while read -r f; do [ -f "$f" ] && install -D -m 0644 "$f" "$src/$f"; done)
check "source tree: Kbuild, dkms.conf, kmod/*.c, include/uapi/linux/chipkey.h" \
	test -f "$src/Kbuild" -a -f "$src/dkms.conf" -a -f "$src/kmod/main.c" -a -f "$src/include/uapi/linux/chipkey.h"
expect_exit 0 "dkms add chipkey/$ver" -- "${D[@]}" add -m chipkey -v "$ver"

for k in "${kernels[@]}"; do
	rel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "/lib/modules/$k/build/include/generated/utsrelease.h")
	for d in /lib/modules/$k/updates /lib/modules/$k/updates/dkms; do [ -d "$d" ] || made=("$d" "${made[@]}"); done
	expect_exit 0 "$k: dkms build" -- "${D[@]}" build -m chipkey -v "$ver" -k "$k"
	log=$(find "$t/dkms/chipkey/$ver/$k" -name make.log 2>/dev/null | head -1)
	check "$k: DKMS's make.log has no compiler warning" bash -c "test -s '$log' && grep -q 'chipkey.ko' '$log' && ! grep -q 'warning:' '$log'"
	expect_exit 0 "$k: dkms install (no depmod)" -- "${D[@]}" install -m chipkey -v "$ver" -k "$k" --no-depmod
	for m in chipkey chipkey_vfuse; do
		f=$(ls /lib/modules/"$k"/updates/dkms/$m.ko* 2>/dev/null | head -1)
		vm=$(modinfo -F vermagic "$f" 2>/dev/null)
		check "$k: $m installed in updates/dkms, vermagic '${vm%% *}' = the headers' release $rel" \
			test -n "$f" -a "${vm%% *}" = "$rel"
	done
	# W=1 (extra warnings) in a copy of the source, as the kernel's own checks
	cp -a "$src" "$t/w1-$k"
	make -C "/lib/modules/$k/build" M="$t/w1-$k" W=1 modules >"$t/w1-$k.log" 2>&1
	if [ $? -eq 0 ] && ! grep -q 'warning:' "$t/w1-$k.log"; then
		ok "$k: builds with W=1 without a warning"
	else
		nok "$k: builds with W=1 without a warning"; grep -A3 'warning:\|error:' "$t/w1-$k.log" | head -20 | sed 's/^/# /'
	fi
done
# the W=1 check can fail: an unused function in the copy is reported
k=${kernels[0]}
printf 'static void ck_w1_unused(void) { }\n' >>"$t/w1-$k/kmod/main.c"
make -C "/lib/modules/$k/build" M="$t/w1-$k" W=1 modules >"$t/w1-attack.log" 2>&1
check "attack: $k: a W=1 build with an unused function shows 'warning:'" grep -q 'ck_w1_unused.*warning:\|warning:.*ck_w1_unused' "$t/w1-attack.log"
# the vermagic check tells kernels apart (each module names its own)
if [ ${#kernels[@]} -ge 2 ]; then
	a=$(modinfo -F vermagic "$(ls /lib/modules/"${kernels[0]}"/updates/dkms/chipkey.ko* | head -1)")
	b=$(modinfo -F vermagic "$(ls /lib/modules/"${kernels[1]}"/updates/dkms/chipkey.ko* | head -1)")
	check "the two kernels' modules carry different vermagics" test "${a%% *}" != "${b%% *}"
fi
expect_exit 0 "dkms remove --all" -- "${D[@]}" remove -m chipkey -v "$ver" --all --no-depmod
for k in "${kernels[@]}"; do
	check "$k: no chipkey module left in updates/dkms" bash -c "! ls /lib/modules/$k/updates/dkms/chipkey*.ko* 2>/dev/null | grep -q ."
done
tap_done test-dkms
