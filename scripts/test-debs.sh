#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages (debian/): dpkg-buildpackage -us -uc -b on a copy of
# the files git knows (a clean checkout: no build products), lintian on
# the result (no error, no warning), every package holds what its
# .install says and no path of the build tree, then the packages unpacked
# into a throwaway root (dpkg -x) are used from there: the installed
# chipkey talks to the installed emulator, a program built with the
# packaged pkg-config file, header and shared library does a wrap/unwrap
# round trip, and chipkey-dkms's source tree builds the module for a
# Debian kernel whose headers are installed (modinfo vermagic).
# TAP on stdout.  Takes about two minutes on two cores.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
t=$(mktemp -d /tmp/chipkey-test-debs-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$t"; }
trap cleanup EXIT
tap_out=$t/out tap_err=$t/err
. "$TOP/userspace/common/tests/tap.sh"

ver=$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version 2>/dev/null)
if ! command -v dpkg-buildpackage >/dev/null || ! command -v lintian >/dev/null ||
	! [ -x /usr/bin/dh ] || [ -z "$ver" ]; then
	skip "debian packages" "needs dpkg-dev, debhelper, dh-dkms and lintian (scripts/setup-debian.sh)"
	tap_done test-debs
	exit
fi
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)

src=$t/chipkey-$ver
mkdir -p "$src"
(cd "$TOP" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 cp -P --parents -t "$src" 2>/dev/null)
check "the copy has debian/ and no build products" bash -c \
	"test -x '$src/debian/rules' && ! test -e '$src/build' && ! ls '$src'/kmod/*.o >/dev/null 2>&1"
if (cd "$src" && DEB_BUILD_OPTIONS="parallel=2" dpkg-buildpackage -us -uc -b) >"$t/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b"
else
	nok "dpkg-buildpackage -us -uc -b"; tail -40 "$t/build.log" | sed 's/^/# /'
	tap_done test-debs
	exit
fi
pkgs=(chipkey chipkey-factory chipkey-enroll libchipkey1 libchipkey-dev chipkey-dkms)
debs=()
for p in "${pkgs[@]}"; do
	a=$arch; [ "$p" = chipkey-dkms ] && a=all
	d=$t/${p}_${ver}_$a.deb
	[ -f "$d" ] || nok "built: ${p}_${ver}_$a.deb"
	debs+=("$d")
done
ok "built: ${pkgs[*]} ($ver)"

lintian -I --fail-on none "$t/chipkey_${ver}_$arch.changes" >"$t/lintian.log" 2>&1
sed 's/^/# lintian: /' "$t/lintian.log"
check "lintian: no error" bash -c "! grep -q '^E:' '$t/lintian.log'"
check "lintian: no warning" bash -c "! grep -q '^W:' '$t/lintian.log'"
# The check can fail: lintian reports an error in a broken package.
mkdir -p "$t/bad/DEBIAN" "$t/bad/usr/bin"
printf 'Package: bad\nVersion: 1\nArchitecture: all\nMaintainer: x <x@localhost>\nDescription: x\n' \
	>"$t/bad/DEBIAN/control"
dpkg-deb -b --root-owner-group "$t/bad" "$t/bad.deb" >/dev/null 2>&1
check "... lintian does report an error in a broken package (the check can fail)" bash -c \
	"lintian --fail-on none '$t/bad.deb' 2>/dev/null | grep -q '^E:'"

root=$t/root
for d in "${debs[@]}"; do dpkg -x "$d" "$root" || nok "dpkg -x $(basename "$d")"; done

check "chipkey: chipkey, chipkey-emu, chipkey-fuse, chipkey-agent, chipkey-boot, chipkey-load, the three units, chipkey(1)" bash -c "
	c=\$(dpkg -c '$t/chipkey_${ver}_$arch.deb'); for f in /usr/bin/chipkey /usr/bin/chipkey-emu /usr/bin/chipkey-fuse \
	/usr/sbin/chipkey-agent /usr/lib/chipkey/chipkey-boot /usr/lib/chipkey/chipkey-load /lib/systemd/system/chipkey-load.service \
	/lib/systemd/system/chipkey-recover.service /lib/systemd/system/chipkey-enroll-device.service /usr/share/man/man1/chipkey.1.gz; do
	echo \"\$c\" | grep -q \" \.\$f\$\" || { echo \"missing \$f\" >&2; exit 1; }; done"
check "chipkey-factory: chipkey-factory, chipkey-spp, chipkey-pubdb, chipkey-pubdb-put, chipkey-service" bash -c "
	c=\$(dpkg -c '$t/chipkey-factory_${ver}_$arch.deb'); for f in chipkey-factory chipkey-spp chipkey-pubdb chipkey-pubdb-put chipkey-service; do
	echo \"\$c\" | grep -q \" \./usr/sbin/\$f\$\" || exit 1; done"
check "chipkey-enroll: chipkey-enroll and chipkey-enroll(8), no factory program" bash -c "
	c=\$(dpkg -c '$t/chipkey-enroll_${ver}_$arch.deb')
	echo \"\$c\" | grep -q ' \./usr/sbin/chipkey-enroll\$' &&
	echo \"\$c\" | grep -q ' \./usr/share/man/man8/chipkey-enroll.8.gz\$' &&
	! echo \"\$c\" | grep -q 'chipkey-\(factory\|spp\|pubdb\)'"
check "libchipkey1: only the shared library (soname libchipkey.so.1)" bash -c "
	contents() { dpkg -c \"\$1\" | awk '{ print \$6 }' | grep -v '/\$'; }
	contents '$t/libchipkey1_${ver}_$arch.deb' | grep -v '^\./usr/share/\(doc\|lintian\)/' | sort >'$t/lib1' &&
	printf './usr/lib/$ma/libchipkey.so.1\n./usr/lib/$ma/libchipkey.so.1.0.0\n' | diff - '$t/lib1'"
check "libchipkey-dev: headers, static library, .so link, chipkey.pc" bash -c "cd '$root' &&
	test -f usr/include/libchipkey.h -a -f usr/include/linux/chipkey.h -a -f usr/lib/$ma/libchipkey.a &&
	test -L usr/lib/$ma/libchipkey.so -a -f usr/lib/$ma/pkgconfig/chipkey.pc"
check "chipkey-dkms: dkms.conf and the module source under /usr/src/chipkey-$ver" bash -c "cd '$root/usr/src/chipkey-$ver' &&
	test -f dkms.conf -a -f Kbuild -a -f kmod/Kbuild -a -f kmod/main.c -a -f include/uapi/linux/chipkey.h"
check "no file of any package names the build directory ($src)" bash -c "! grep -rlF '$src' '$root'"
check "... and the check can fail: the build log does" grep -qF "$src" "$t/build.log"
check "the units name the installed paths" grep -qx 'ExecStart=/usr/lib/chipkey/chipkey-boot load' \
	"$root/lib/systemd/system/chipkey-load.service"
check "the postinst enables chipkey-load.service and starts nothing" bash -c "
	dpkg-deb -e '$t/chipkey_${ver}_$arch.deb' '$t/ctl' && grep -q 'chipkey-load.service' '$t/ctl/postinst' &&
	! grep -q 'deb-systemd-invoke start' '$t/ctl/postinst'"

# Use the unpacked packages.
expect_exit 0 "unpacked chipkey --help" -- "$root/usr/bin/chipkey" --help
expect_exit 0 "unpacked chipkey-load --help" -- "$root/usr/lib/chipkey/chipkey-load" --help
check "... it uses the shared libcrypto (debian/rules: LOAD_STATIC=0)" bash -c \
	"ldd '$root/usr/lib/chipkey/chipkey-load' | grep -q 'libcrypto\.so\.3'"
openssl ecparam -name prime256v1 -genkey -noout -out "$t/rom.pem" 2>/dev/null
expect_exit 0 "unpacked chipkey-fuse makes a chip" -- \
	"$root/usr/bin/chipkey-fuse" create "$t/chip.bin" --rom-key "$t/rom.pem" --chip-id 00112233445566778899aabbccddeeff
"$root/usr/bin/chipkey-emu" --state "$t/chip.bin" --socket "$t/emu.sock" --foreground 2>"$t/emu.log" &
pids+=($!)
for _ in $(seq 100); do [ -S "$t/emu.sock" ] && break; sleep 0.05; done
head -c 3000 /dev/urandom >"$t/plain"
expect_exit 0 "unpacked chipkey: wrap on the unpacked emulator" -- \
	"$root/usr/bin/chipkey" --device "emu:$t/emu.sock" wrap "$t/plain" "$t/pkg"
expect_exit 0 "... unwrap" -- "$root/usr/bin/chipkey" --device "emu:$t/emu.sock" unwrap "$t/pkg" "$t/back"
check "... the round trip gives the same bytes" cmp "$t/plain" "$t/back"
export PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$root/usr/lib/$ma/pkgconfig
expect_exit 0 "a program built with the packaged pkg-config file, header and library" -- \
	cc -std=c11 -Wall -Wextra -Werror -o "$t/rt" "$TOP/userspace/boot/tests/roundtrip.c" \
	$(pkg-config --cflags --libs chipkey)
expect_exit 0 "... does a wrap/unwrap round trip with the packaged libchipkey.so.1" -- \
	env LD_LIBRARY_PATH="$root/usr/lib/$ma" "$t/rt" "emu:$t/emu.sock" 4096
check "... loaded from the unpacked package" bash -c \
	"LD_LIBRARY_PATH='$root/usr/lib/$ma' ldd '$t/rt' | grep -qF '$root/usr/lib/$ma/libchipkey.so.1'"

kdir=$(ls -d /lib/modules/6.1.*/build 2>/dev/null | head -1)
if [ -n "$kdir" ] && [ -f "$kdir/Makefile" ]; then
	k=$(basename "$(dirname "$kdir")")
	cp -a "$root/usr/src/chipkey-$ver" "$t/kbuild"
	expect_exit 0 "chipkey-dkms's source builds the module for $k" -- \
		make -s -C "$kdir" M="$t/kbuild" -j2 modules
	check "... modinfo vermagic of chipkey.ko starts with $k" bash -c \
		"modinfo -F vermagic '$t/kbuild/kmod/chipkey.ko' | grep -q '^$k '"
else
	skip "chipkey-dkms's source builds the module" "no Debian 6.1 kernel headers (scripts/setup-debian.sh)"
fi
tap_done test-debs
