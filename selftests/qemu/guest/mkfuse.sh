#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# mkfuse.sh OUT KEY PUBDER [CHIPID_HEX]
#
# Write a 512-byte chipkey virtual fuse image (include/chipkey/fuse_image.h)
# without any chipkey tool: fallback for when build/bin/chipkey-fuse is not
# available.  KEY is "random", "zero" (0x00 x 32) or "ones" (0xff x 32);
# PUBDER is the manufacturer public key, DER SubjectPublicKeyInfo.
set -eu
out=$1 key=$2 pub=$3 id=${4:-}

publen=$(wc -c < "$pub")
[ "$publen" -le 448 ] || { echo "mkfuse: $pub larger than 448 bytes" >&2; exit 1; }
umask 077
{
	printf 'CKFUSE01'
	if [ -n "$id" ]; then
		printf '%s' "$id" | xxd -r -p
	else
		head -c 16 /dev/urandom
	fi
	case $key in
	random) head -c 32 /dev/urandom ;;
	zero) head -c 32 /dev/zero ;;
	ones) head -c 32 /dev/zero | tr '\000' '\377' ;;
	*) echo "mkfuse: bad key mode $key" >&2; exit 1 ;;
	esac
	head -c 8 /dev/zero
	cat "$pub"
	head -c $((448 - publen)) /dev/zero
} > "$out.tmp"
[ "$(wc -c < "$out.tmp")" -eq 512 ] || { echo "mkfuse: bad size" >&2; exit 1; }
mv "$out.tmp" "$out"
