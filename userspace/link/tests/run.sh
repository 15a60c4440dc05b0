#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# userspace/link unit tests (TAP): codecs, replay window and counters,
# sealed secrets, names (test-link); the SHA-384 channel-key PSK against
# the openssl command; modes 3 and 4 end to end with openssl cms interop
# (run-modes34.sh).  Modes 1 and 2 end to end: service/tests/run.sh.
#   link/tests/run.sh ASAN_BUILD NATIVE_BUILD
set -u
A=${1:?asan build}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../common/tests/tap.sh"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
t=$(mktemp -d /tmp/chipkey-test-link-XXXXXX)
trap 'rm -rf "$t"' EXIT

"$A/tests/link/test-link" "$t/state"
rc=$?
[ $rc -eq 0 ] || nok "test-link exits 0 (exit $rc)"

# mode 1, SHA-384 identity: PSK = HKDF-SHA384(channel key, no salt,
# "chipkey link v1 channel key sha384"), computed by the openssl command
key=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
info=$(printf 'chipkey link v1 channel key sha384' | od -An -v -tx1 | tr -d ' \n')
want=$(openssl kdf -keylen 48 -kdfopt digest:SHA384 -kdfopt hexkey:$key -kdfopt hexinfo:$info HKDF 2>/dev/null |
	tr -d ':\n' | tr 'A-F' 'a-f')
got=$("$A/tests/link/test-link-tool" psk384 352099001761481 $key)
check "mode 1 SHA-384 PSK = openssl kdf HKDF-SHA384, identity chipkey-ck1-384:ID" \
	test "$got" = "chipkey-ck1-384:352099001761481 $want"
tap_done link || rc=1
# modes 3 and 4 end to end (CMS secret transport, signed broadcast)
"$here/run-modes34.sh" "$A" "${2:?native build}" || rc=1
exit $rc
