#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make install / make uninstall into a throwaway DESTDIR: every file where
# install.mk says, no path of the build tree in any installed file,
# libchipkey.so.1 with its soname and only the chipkey_* API, a program
# outside the tree built with pkg-config chipkey (shared and --static) that
# does a wrap/unwrap round trip on the installed emulator, and an uninstall
# that leaves no file behind.  TAP on stdout.
#
#   test-install.sh          (the userspace Makefile's check-boot; needs the
#                             normal build: make check-build)
set -u
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
here=$(cd "$(dirname "$0")" && pwd)
t=$(mktemp -d /tmp/chipkey-test-install-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$t"; }
trap cleanup EXIT
tap_out=$t/out tap_err=$t/err
. "$(dirname "$0")/../../common/tests/tap.sh"
dest=$t/dest
P=/opt/chipkey		# a prefix pkg-config does not treat as a system directory
root=$dest$P
inst() { make -s -C "$TOP/userspace" "$@" DESTDIR="$dest" PREFIX=$P; }

expect_exit 0 "make install DESTDIR=... PREFIX=$P" -- inst install
for f in bin/chipkey bin/chipkey-emu bin/chipkey-fuse sbin/chipkey-agent sbin/chipkey-spp \
	sbin/chipkey-pubdb sbin/chipkey-pubdb-put sbin/chipkey-factory lib/chipkey/chipkey-boot \
	lib/chipkey/chipkey-load; do
	[ -x "$root/$f" ] || nok "installed and executable: $f"
done
ok "programs: bin/ (chipkey, -emu, -fuse), sbin/ (agent, spp, pubdb, pubdb-put, factory), lib/chipkey/chipkey-boot, chipkey-load"
check "library, headers, pkg-config file, units, docs, man pages" bash -c "cd '$root' && test -f lib/libchipkey.a &&
	test -f lib/libchipkey.so.1.0.0 && test \$(readlink lib/libchipkey.so.1) = libchipkey.so.1.0.0 &&
	test \$(readlink lib/libchipkey.so) = libchipkey.so.1 && test -f include/libchipkey.h &&
	test -f include/linux/chipkey.h && test -f lib/pkgconfig/chipkey.pc &&
	test -f lib/systemd/system/chipkey-load.service && test -f lib/systemd/system/chipkey-recover.service &&
	test -f lib/systemd/system/chipkey-enroll-device.service &&
	test -f share/doc/chipkey/README.md && test -f share/doc/chipkey/recovery.md &&
	test -f share/man/man1/chipkey.1 && test -f share/man/man8/chipkey-boot.8 &&
	test -f share/man/man8/chipkey-load.8"
find "$dest" -type f -o -type l | sort >"$t/installed"
echo "# $(wc -l <"$t/installed") files installed"

# No path of the build tree: the build's own binaries do hold it (debug
# info), so this grep can find it; install strips the debug sections.
check "the check can fail: the build tree's chipkey holds the build path" grep -qF "$TOP" "$TOP/build/bin/chipkey"
if grep -rlF "$TOP" "$dest" >"$t/leaks"; then
	nok "no installed file holds the build tree's path ($TOP)"; sed 's/^/# /' "$t/leaks"
else
	ok "no installed file holds the build tree's path ($TOP)"
fi
check "man finds the installed pages (MANPATH into DESTDIR)" bash -c \
	"MANPATH='$root/share/man' man -w chipkey-boot | grep -qx '$root/share/man/man8/chipkey-boot.8'"
check "units and chipkey.pc name the prefix" bash -c "grep -qx 'prefix=$P' '$root/lib/pkgconfig/chipkey.pc' &&
	grep -qx 'ExecStart=$P/lib/chipkey/chipkey-boot load' '$root/lib/systemd/system/chipkey-load.service'"

so=$root/lib/libchipkey.so.1.0.0
check "readelf -d: SONAME libchipkey.so.1" bash -c "readelf -d '$so' | grep -q 'SONAME.*\[libchipkey.so.1\]'"
check "exported: the chipkey_* API and nothing else" bash -c "
	nm -D --defined-only '$so' | awk '\$2 == \"T\" { print \$3 }' >'$t/syms' && grep -q '^chipkey_wrap@@CHIPKEY_1$' '$t/syms' &&
	! grep -qv '^chipkey_' '$t/syms'"
check "libchipkey.h compiles alone (with only the installed include directory)" \
	cc -std=c11 -Wall -Wextra -Werror -pedantic -fsyntax-only -I"$root/include" -include libchipkey.h -x c /dev/null

# A program outside the tree, through pkg-config.
export PKG_CONFIG_PATH=$root/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest PKG_CONFIG_LIBDIR=$root/lib/pkgconfig
flags=$(echo $(pkg-config --cflags --libs chipkey))
check "pkg-config --cflags --libs chipkey: $flags" test "$flags" = "-I$root/include -L$root/lib -lchipkey"
expect_exit 0 "build against the shared library" -- \
	cc -std=c11 -Wall -Wextra -Werror -o "$t/rt-shared" "$here/roundtrip.c" $flags
check "... it needs libchipkey.so.1" bash -c "readelf -d '$t/rt-shared' | grep -q 'NEEDED.*\[libchipkey.so.1\]'"
sflags=$(pkg-config --cflags --libs --static chipkey)
expect_exit 0 "build static (pkg-config --static: $sflags)" -- \
	cc -std=c11 -Wall -Wextra -Werror -static -o "$t/rt-static" "$here/roundtrip.c" $sflags
check "... it needs no shared library" bash -c "! readelf -d '$t/rt-static' 2>/dev/null | grep -q NEEDED"

# The installed emulator, a chip made by the installed chipkey-fuse.
openssl ecparam -name prime256v1 -genkey -noout -out "$t/rom.pem" 2>/dev/null
expect_exit 0 "installed chipkey-fuse makes a chip" -- \
	"$root/bin/chipkey-fuse" create "$t/chip.bin" --rom-key "$t/rom.pem" --chip-id 00112233445566778899aabbccddeeff
"$root/bin/chipkey-emu" --state "$t/chip.bin" --socket "$t/emu.sock" --foreground 2>"$t/emu.log" &
pids+=($!)
for _ in $(seq 100); do [ -S "$t/emu.sock" ] && break; sleep 0.05; done
expect_exit 0 "the installed chipkey talks to the installed emulator (info)" -- \
	"$root/bin/chipkey" --device "emu:$t/emu.sock" info
check "... and names the chip" grep -q 00112233445566778899aabbccddeeff "$t/out"
expect_exit 0 "shared build: wrap/unwrap round trip (LD_LIBRARY_PATH into DESTDIR)" -- \
	env LD_LIBRARY_PATH="$root/lib" "$t/rt-shared" "emu:$t/emu.sock" 1000
check "... through the emulator backend" grep -qx 'roundtrip ok emulator' "$t/out"
check "... and it loaded the installed library" bash -c \
	"LD_LIBRARY_PATH='$root/lib' ldd '$t/rt-shared' | grep -qF '$root/lib/libchipkey.so.1'"
expect_exit 127 "... without the installed library it does not run" -- "$t/rt-shared" "emu:$t/emu.sock"
expect_exit 0 "static build: wrap/unwrap round trip" -- "$t/rt-static" "emu:$t/emu.sock" 4096
kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null; pids=()
expect_exit 1 "the round trip fails when the emulator is gone (the check can fail)" -- \
	env LD_LIBRARY_PATH="$root/lib" "$t/rt-shared" "emu:$t/emu.sock"

# uninstall removes exactly what install wrote
expect_exit 0 "make uninstall" -- inst uninstall
find "$dest" -type f -o -type l >"$t/left"
if [ -s "$t/left" ]; then
	nok "uninstall leaves no file"; sed 's/^/# left: /' "$t/left" | head
else
	ok "uninstall leaves no file ($(wc -l <"$t/installed") removed)"
fi
mkdir -p "$root/bin" && echo keep >"$root/bin/other-program"
expect_exit 0 "install, then uninstall again with a foreign file in bin/" -- bash -c \
	"make -s -C '$TOP/userspace' install DESTDIR='$dest' PREFIX=$P && make -s -C '$TOP/userspace' uninstall DESTDIR='$dest' PREFIX=$P"
check "... the foreign file is kept" test -f "$root/bin/other-program"
tap_done test-install
