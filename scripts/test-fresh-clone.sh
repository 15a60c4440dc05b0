#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What a newcomer does, from nothing: a fresh clone, plain `make`, then the
# main job.  Proves that plain `make` builds every program README.md names
# (into build/bin/) and the module, that `make demo` then runs (its non-VM
# part: DEMO_NO_VM=1, the VM half is tested by the VM suites), and that a
# change to one header rebuilds exactly what includes it.  TAP output.
#
#   scripts/test-fresh-clone.sh
#
# The clone is `git clone` of this repository when the working tree is
# clean (as in CI); with uncommitted changes, the tracked and untracked
# (not ignored) files of the working tree are copied instead, so that a
# developer tests what they are about to commit.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
n=0 fail=0
tap() {	# tap RC NAME...
	local rc=$1; shift
	n=$((n + 1))
	if [ "$rc" = 0 ]; then echo "ok $n - fresh clone: $*"; else echo "not ok $n - fresh clone: $*"; fail=1; fi
}

tmp=$(mktemp -d /tmp/chipkey-fresh.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
src=$tmp/chipkey

if [ -z "$(git -C "$top" status --porcelain 2>/dev/null)" ]; then
	echo "# git clone $top"
	git clone -q "$top" "$src"
else
	echo "# working tree has uncommitted changes: copying tracked + untracked files"
	mkdir -p "$src"
	(cd "$top" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 -I{} sh -c '[ -e "{}" ] && echo "{}"' | tar -cf - -T -) | tar -C "$src" -xf -
fi
tap $([ -f "$src/Makefile" ] && [ ! -e "$src/build" ]; echo $?) "clone has sources and no build/"

# Plain `make`, exactly as README says, with nothing built before.
if make -C "$src" -j2 >"$tmp/make.log" 2>&1; then rc=0; else rc=1; tail -30 "$tmp/make.log" | sed 's/^/# /'; fi
tap $rc "plain make succeeds"

# Every program README.md names as build/bin/NAME or in its program table.
progs=$(grep -oE 'build/bin/chipkey[a-z-]*' "$src/README.md" | sed 's@build/bin/@@' | sort -u)
for p in chipkey chipkey-emu chipkey-fuse chipkey-agent chipkey-spp chipkey-factory \
	chipkey-pubdb chipkey-pubdb-put $progs; do
	echo "$p"
done | sort -u >"$tmp/progs"
while read -r p; do
	grep -q "\b$p\b" "$src/README.md"
	tap $? "README.md names $p"
	tap $([ -x "$src/build/bin/$p" ]; echo $?) "plain make built build/bin/$p"
done <"$tmp/progs"
tap $([ -f "$src/build/lib/libchipkey.a" ]; echo $?) "plain make built build/lib/libchipkey.a"
tap $([ -f "$src/kmod/chipkey.ko" ] && [ -f "$src/kmod/chipkey_vfuse.ko" ]; echo $?) \
	"plain make built kmod/chipkey.ko and kmod/chipkey_vfuse.ko"

# A second make has nothing to do; touching one header rebuilds exactly
# the objects whose compiler-written dependencies (.d) name it.
make -C "$src/userspace" -n all >"$tmp/again" 2>&1
rc=$?
out=$(grep -c -- ' -c -o ' "$tmp/again")
tap $([ $rc = 0 ] && [ "$out" = 0 ]; echo $?) "a second make compiles nothing ($out compiles, make -n exit $rc)"
touch "$src/userspace/common/identity.h"
make -C "$src/userspace" -n all 2>/dev/null | grep -oE -- '-c -o [^ ]+' | awk '{print $3}' | sort >"$tmp/rebuilt"
grep -l 'common/identity.h' $(find "$src/build/obj" -name '*.d') | sed 's/\.d$/.o/' | sort >"$tmp/want"
grep -q 'common/identity.o$' "$tmp/rebuilt" && ! grep -q 'lib/libchipkey.o$' "$tmp/rebuilt" &&
	cmp -s "$tmp/rebuilt" "$tmp/want"
rc=$?
[ $rc = 0 ] || { echo "# rebuilt:"; sed 's/^/#   /' "$tmp/rebuilt"; echo "# includers:"; sed 's/^/#   /' "$tmp/want"; }
tap $rc "touching common/identity.h rebuilds exactly its $(wc -l <"$tmp/want") includers"

# The main job, its non-VM part, on the fresh build.
if DEMO_NO_VM=1 DEMO_DEVICES=4 DEMO_PARALLEL=2 make -C "$src" demo >"$tmp/demo.log" 2>&1; then
	rc=0
else
	rc=1
	tail -30 "$tmp/demo.log" | sed 's/^/# /'
fi
tap $rc "make demo (steps 1-6) succeeds"
grep -q '^Demo done' "$tmp/demo.log"
tap $? "make demo reports 'Demo done'"
exit $fail
