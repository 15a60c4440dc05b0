#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The man pages: one per program of BINDIR (and chipkey-boot), each clean
# for groff -ww and man --warnings, parsed by lexgrog (whatis), and listing
# every option and subcommand that the program's --help names: a
# subcommand has its own .SS section.  A page that misses one fails; the
# test shows that by removing one from a copy.  TAP on stdout.
#
#   test-man.sh BINDIR       (the userspace Makefile's check-man)
set -u
bin=${1:?usage: test-man.sh BINDIR}
man=$(cd "$(dirname "$0")/.." && pwd)
TOP=$(cd "$man/.." && pwd)
t=$(mktemp -d /tmp/chipkey-test-man-XXXXXX)
trap 'rm -rf "$t"' EXIT
tap_out=$t/out tap_err=$t/err
. "$TOP/userspace/common/tests/tap.sh"

# page PROG: its man page source (section 1 or 8)
page() { ls "$man/$1".[18] 2>/dev/null | head -1; }
# text PAGE: rendered, plain ASCII, one long line per paragraph, no hyphenation
text() { groff -man -Tascii -P-cbou -rLL=400n -rHY=0 "$1" 2>/dev/null; }
# help PROG: what --help prints (chipkey-boot: its usage line)
help() {
	if [ "$1" = chipkey-boot ]; then
		sh "$TOP/userspace/boot/chipkey-boot" --help 2>&1
	else
		"$bin/$1" --help 2>&1
	fi
}
# names PROG: the options (--x) and subcommands ("sub" or "sub sub2") of
# its --help, one per line: "opt --x" / "sub NAME"
names() {
	local p=$1
	help "$p" >"$t/help.$p"
	grep -o -- '--[a-z][a-z0-9-]*' "$t/help.$p" | sort -u | sed 's/^/opt /'
	# "PROG sub [sub2] ..." anywhere (usage lines, chipkey's list)
	sed -n "s/^.*[[:space:]:]$p \([a-z][a-z0-9-]*\)\( [a-z][a-z0-9-]*\)\{0,1\}\([[:space:]].*\)\{0,1\}$/\1\2/p" \
		"$t/help.$p" | sed 's/^/sub /'
	# a COMMAND list: "  sub ARGS" at an indent of two (chipkey-factory)
	if grep -q "^usage: $p COMMAND" "$t/help.$p"; then
		sed -n 's/^  \([a-z][a-z0-9-]*\)\( .*\)\{0,1\}$/\1/p' "$t/help.$p" | sed 's/^/sub /'
	fi
	# chipkey-boot's actions: [start|load|recover|stop]
	if [ "$p" = chipkey-boot ]; then
		sed -n 's/.*\[\([a-z|]*\)\].*/\1/p' "$t/help.$p" | tr '|' '\n' | sed 's/^/sub /'
	fi
}
# sections PAGE: the .SS headings, plain
sections() { sed -n 's/^\.SS //p' "$1" | sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/"//g'; }
# missing PROG PAGE: what --help names and PAGE lacks, one per line
missing() {
	local p=$1 pg=$2 kind n
	text "$pg" >"$t/text"
	sections "$pg" >"$t/sections"
	names "$p" | sort -u | while read -r kind n; do
		case $kind in
		opt) grep -qF -- "$n" "$t/text" || echo "option $n" ;;
		sub) grep -qE "^$n( |\$)" "$t/sections" || echo "subcommand '$n' (no .SS section)" ;;
		esac
	done
}

# unknown PROG PAGE: the other way round: options PAGE names that --help
# does not (a --help that lags behind the page), one per line.  A page may
# name another program's options: those are listed here, per program.
others() {
	case $1 in
	chipkey-emu) echo "--device --rom-key" ;;	# chipkey's, in the examples
	chipkey-enroll) echo "--serverkeygen" ;;	# chipkey enroll's
	esac
}
unknown() {
	local p=$1 pg=$2 o
	help "$p" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u >"$t/hopts"
	text "$pg" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u | while read -r o; do
		[ "$o" = --help ] && continue
		case " $(others "$p") " in *" $o "*) continue ;; esac
		grep -qxF -- "$o" "$t/hopts" || echo "option $o"
	done
}

progs=$(cd "$bin" && ls chipkey*)
check "BINDIR holds the programs" test -n "$progs"
for p in $progs chipkey-boot; do
	pg=$(page "$p")
	if [ -z "$pg" ]; then
		nok "$p: has a man page (man/$p.1 or man/$p.8)"
		continue
	fi
	name=${pg##*/}
	LC_ALL=C groff -man -ww -z "$pg" >"$t/w" 2>&1
	if [ -s "$t/w" ]; then nok "$name: groff -man -ww: no warning"; sed 's/^/# /' "$t/w"; else ok "$name: groff -man -ww: no warning"; fi
	LC_ALL=C.UTF-8 MANROFFSEQ='' man --warnings -E UTF-8 -l "$pg" >/dev/null 2>"$t/w"
	if [ -s "$t/w" ]; then nok "$name: man --warnings: none"; sed 's/^/# /' "$t/w"; else ok "$name: man --warnings: none"; fi
	check "$name: lexgrog parses NAME (whatis: $p)" bash -c "lexgrog '$pg' | grep -q ': \"$p - '"
	check "$name: SYNOPSIS, DESCRIPTION, EXIT STATUS, SEE ALSO" bash -c "
		for s in NAME SYNOPSIS DESCRIPTION 'EXIT STATUS' 'SEE ALSO'; do grep -q \"^\\.SH \\\"*\$s\" '$pg' || exit 1; done"
	echo "# $p: subcommands: $(names "$p" | sed -n 's/^sub //p' | sort -u | paste -sd, -)"
	missing "$p" "$pg" >"$t/miss"
	if [ -s "$t/miss" ]; then
		nok "$name: every option and subcommand of --help ($(names "$p" | sort -u | wc -l))"
		sed 's/^/# missing: /' "$t/miss"
	else
		ok "$name: every option and subcommand of --help ($(names "$p" | sort -u | wc -l))"
	fi
	[ "$p" = chipkey-boot ] && continue	# its options are environment variables
	unknown "$p" "$pg" >"$t/unk"
	if [ -s "$t/unk" ]; then
		nok "$p --help: every option its page names"
		sed 's/^/# not in --help: /' "$t/unk"
	else
		ok "$p --help: every option its page names"
	fi
done

# The checks can fail: a page without one option, one without a
# subcommand's section, one with a groff error, a program without a page.
[ -n "${CK_MAN_INNER:-}" ] && { tap_done test-man; exit; }
sed '/idle\\-timeout/d' "$man/chipkey-emu.1" >"$t/emu.1"
check "attack: chipkey-emu.1 without --idle-timeout is caught" grep -q 'option --idle-timeout' <(missing chipkey-emu "$t/emu.1")
sed '/^\.SS.*backup export/d' "$man/chipkey.1" >"$t/ck.1"
check "attack: chipkey.1 without the 'backup export' section is caught" grep -q "'backup export'" <(missing chipkey "$t/ck.1")
sed '/^\.SS "pregen\\-keys/d' "$man/chipkey-factory.8" >"$t/f.8"
check "attack: chipkey-factory.8 without the pregen-keys section is caught" grep -q "'pregen-keys'" <(missing chipkey-factory "$t/f.8")
{ cat "$man/chipkey-fuse.1"; echo '.BOGUS macro'; echo '\fQ'; } >"$t/fuse.1"
check "attack: a page with an unknown macro and escape fails groff -ww" \
	bash -c "LC_ALL=C groff -man -ww -z '$t/fuse.1' 2>&1 | grep -q warning"
{ cat "$man/chipkey-fuse.1"; echo '.PP'; echo '\fB\-\-frobnicate\fR'; } >"$t/fuse2.1"
check "attack: a page naming an option --help lacks (--frobnicate) is caught" \
	grep -q 'option --frobnicate' <(unknown chipkey-fuse "$t/fuse2.1")
mkdir "$t/bin" && printf '#!/bin/sh\necho "usage: chipkey-new [--frob]"\n' >"$t/bin/chipkey-new" && chmod +x "$t/bin/chipkey-new"
check "attack: a program without a page is caught" bash -c "! CK_MAN_INNER=1 '$0' '$t/bin' >/dev/null 2>&1"
tap_done test-man
