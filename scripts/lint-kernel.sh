#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Kernel-side static checks, as TAP:
#   - scripts/checkpatch.pl --strict on every kernel source and shared header
#   - sparse (make C=2) over the module: no warnings
#   - a W=1 build of the module: no warnings
#
# KSRC: kernel source tree with scripts/checkpatch.pl (linux-source-6.1).
# KDIR: kernel build tree to build against (default: top-level Makefile's).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
KSRC=${KSRC:-/usr/src/linux-source-6.1}
KDIR=${KDIR:-$(make -s -C "$top" --no-print-directory print-kdir 2>/dev/null)}
out=build/lint
mkdir -p "$out"
n=0 fails=0

result() { # result OK|FAIL name [detail-file]
	n=$((n + 1))
	if [ "$1" = OK ]; then
		echo "ok $n - $2"
	else
		fails=$((fails + 1))
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && sed 's/^/#   /' "$3" | head -n 40
	fi
}

# Kernel sources and the headers the kernel includes (not kbuild's *.mod.c).
files=(include/uapi/linux/chipkey.h include/chipkey/backup_package.h
	include/chipkey/fuse_image.h include/chipkey/byteorder.h include/chipkey/attest.h)
for f in kmod/*.c kmod/*.h bench/kmod/*.c; do
	case "$f" in *.mod.c) ;; *) files+=("$f") ;; esac
done
if [ ! -x "$KSRC/scripts/checkpatch.pl" ] && [ ! -f "$KSRC/scripts/checkpatch.pl" ]; then
	n=$((n + 1))
	echo "not ok $n - checkpatch.pl not found in $KSRC (install linux-source-6.1)"
	fails=$((fails + 1))
else
	for f in "${files[@]}"; do
		[ -f "$f" ] || continue
		log="$out/checkpatch-$(echo "$f" | tr / _).log"
		perl "$KSRC/scripts/checkpatch.pl" --strict --no-tree --no-summary \
			--terse --show-types -f "$f" >"$log" 2>&1
		if [ -s "$log" ]; then
			result FAIL "checkpatch --strict $f" "$log"
		else
			result OK "checkpatch --strict $f"
		fi
	done
fi

# sparse and W=1: a fresh build of every object, in a copy of the module's
# sources (build/lint/src): `make M=... clean` in the repository itself
# would delete every object and archive below it, build/ included.
src=$top/$out/src
rm -rf "$src"
mkdir -p "$src"
cp -a Kbuild kmod include "$src/"
mkdir -p "$src/bench" && cp -a bench/kmod "$src/bench/"
find "$src" \( -name '*.o' -o -name '*.ko' -o -name '*.mod*' -o -name '.*.cmd' \
	-o -name modules.order -o -name Module.symvers \) -delete
for kind in sparse w1; do
	log="$out/$kind.log"
	if [ -z "$KDIR" ] || [ ! -d "$KDIR" ]; then
		result FAIL "$kind: no kernel build tree (KDIR)"
		continue
	fi
	if [ $kind = sparse ]; then
		args=(C=2)
		name="sparse (make C=2) clean"
	else
		args=(W=1)
		name="W=1 build without warnings"
	fi
	make -C "$KDIR" M="$src" clean >/dev/null 2>&1
	make -C "$KDIR" M="$src/bench/kmod" clean >/dev/null 2>&1
	if make -C "$KDIR" M="$src" "${args[@]}" modules >"$log" 2>&1 &&
	   make -C "$KDIR" M="$src/bench/kmod" "${args[@]}" modules >>"$log" 2>&1 &&
	   ! grep -E 'warning:|error:' "$log" >"$log.bad"; then
		result OK "$name"
	else
		grep -E 'warning:|error:' "$log" >"$log.bad" || tail -n 20 "$log" >"$log.bad"
		result FAIL "$name" "$log.bad"
	fi
done
rm -rf "$src"

[ $fails -eq 0 ]
