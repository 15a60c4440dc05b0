# SPDX-License-Identifier: GPL-2.0
#
# flip_byte FILE OFFSET: tamper with FILE in place by flipping the lowest
# bit of the byte at OFFSET, so the file always changes (writing a constant
# byte there leaves it unchanged whenever that byte already held it: with
# random content, one run in 256 would test nothing and fail).  Sourced by
# the test scripts, the VM harness and its busybox guest, so POSIX sh: an
# octal escape (printf %b '\0ooo'), od, dd conv=notrunc, and a subshell as
# the body instead of `local`.
# shellcheck shell=sh
flip_byte() (
	b=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
	[ -n "$b" ] || { echo "flip_byte: $1 has no byte at $2" >&2; exit 1; }
	printf %b "\\0$(printf %03o $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
)
