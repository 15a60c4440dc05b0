# SPDX-License-Identifier: GPL-2.0
#
# flip_byte FILE OFFSET: tamper with FILE in place by flipping the lowest
# bit of the byte at OFFSET, so the file always changes (writing a constant
# byte there leaves it unchanged whenever that byte already held it: with
# random content, one run in 256 would test nothing and fail).  Sourced by
# the test scripts.
flip_byte() {
	local b
	b=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
	[ -n "$b" ] || { echo "flip_byte: $1 has no byte at $2" >&2; return 1; }
	printf "\\x$(printf %02x $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
