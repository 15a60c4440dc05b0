# SPDX-License-Identifier: GPL-2.0
#
# Host half of the attestation checks of the "test" boot of the chipkey
# QEMU harness (selftests/qemu/run.sh; sourced by run.sh, not run on its
# own).  The guest half is selftests/chipkey_attest_test.c (and its 32-bit
# build), run by guest/guest-run.sh against the real chipkey.ko.
#
# Before the boot, the independent Python oracle scripts/ck_attest_oracle.py
# (python3-cryptography, no code shared with the C) computes what chip A
# (fuse image $FUSE/fuse.bin) must answer: its attestation key Q and scalar,
# two verifier ephemeral keys, packages sealed to chip A (payloads of 0, 1,
# 1000 and 65536 bytes) and one sealed to chip B.  The guest's copy is the
# initramfs's /expect/attest; the private keys stay here.
#
# After the boot, every MAC the guest printed ("attest-NAME: hex" and
# "attest32-NAME: hex" lines) and every backup it handed over (blobs
# ATTEST-SW-N, ATTEST32-SW-N) is checked here with the oracle, each its own
# result: ATTEST MACs (from the verifier's private key and Q only),
# SEALED_WRAP MACs and backups (sealed-wrap-check with the fuse image: the
# backup unwraps to the sealed plaintext), CHIP_MAC.
# shellcheck shell=bash

ORACLE=$TOP/scripts/ck_attest_oracle.py
ATT_SIZES="0 1 1000 65536"

# attest_prepare: $OUT/attest (host) and $OUT/attest/expect (guest)
attest_prepare() {
	local d=$OUT/attest e q id
	e=$d/expect
	ATT_READY=
	rm -rf "$d"
	mkdir -p "$e"
	chmod 700 "$d"
	if ! q=$(/usr/bin/python3 "$ORACLE" pub "$FUSE/fuse.bin" 2>> "$BUILDLOG") || [ ${#q} -ne 130 ]; then
		nok "attestation: oracle computes chip A's attestation key (scripts/ck_attest_oracle.py, python3-cryptography)"
		buildlog_tail 5
		return
	fi
	id=$(chip_id_hex "$FUSE/fuse.bin")
	echo "$q" > "$e/q.hex"
	echo "$id" > "$e/chip_id.hex"
	if ! att_make "$d" "$q" "$id" >> "$BUILDLOG" 2>&1; then
		nok "attestation: oracle prepares keys, contexts and sealed packages"
		buildlog_tail 5
		return
	fi
	note "attestation: chip A Q $q"
	ok "attestation: oracle prepares Q, scalar, 2 verifier keys, packages sealed to chip A (0, 1, 1000, 65536 bytes) and to chip B"
	ATT_READY=1
}

# att_make DIR Q ID: the oracle's files (att_prepare's body)
att_make() {
	local d=$1 q=$2 id=$3 e=$1/expect n qb idb
	/usr/bin/python3 "$ORACLE" scalar "$FUSE/fuse.bin" > "$e/scalar.hex" &&
	/usr/bin/python3 "$ORACLE" ephemeral "$d/v1.pem" > "$e/v1.hex" &&
	/usr/bin/python3 "$ORACLE" ephemeral "$d/v2.pem" > "$e/v2.hex" &&
	: > "$e/ctx0.bin" &&
	head -c 37 /dev/urandom > "$e/ctx1.bin" &&
	head -c 256 /dev/urandom > "$e/ctx2.bin" &&
	head -c 100 /dev/urandom > "$e/swctx.bin" &&
	head -c 3000 /dev/urandom > "$e/macin.bin" &&
	: > "$d/empty.bin" &&
	/usr/bin/python3 -c 'import secrets; print(secrets.randbits(62) | 1 << 40)' > "$e/gen.txt" ||
		return 1
	for n in $ATT_SIZES; do
		head -c "$n" /dev/urandom > "$e/plain-$n.bin" &&
		/usr/bin/python3 "$ORACLE" seal "$q" "$id" "$e/plain-$n.bin" "$e/sealed-$n.bin" \
			"$d/eph-$n.pem" || return 1
	done
	# sealed to chip B (its own Q and chip ID)
	qb=$(/usr/bin/python3 "$ORACLE" pub "$FUSE/fuse-b.bin") &&
	idb=$(chip_id_hex "$FUSE/fuse-b.bin") &&
	/usr/bin/python3 "$ORACLE" seal "$qb" "$idb" "$e/plain-1000.bin" "$e/sealed-other.bin" \
		"$d/eph-other.pem"
}

attest_initramfs() {
	[ -n "${ATT_READY:-}" ] || return 0
	mkdir -p "$ROOTFS/expect"
	cp -r "$OUT/attest/expect" "$ROOTFS/expect/attest"
}

# att_line PREFIX NAME: the hex the guest printed as "PREFIXNAME: hex"
att_line() {
	sed -n "s/^$1$2: \([0-9a-f]*\)\$/\1/p" "$TAP_LOG" | tail -1
}

# att_result DESC COMMAND...: a result from the command; its output goes
# to the build log, and on failure its last lines to the results
att_result() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" >> "$BUILDLOG"
	if [ $rc -eq 0 ]; then
		ok "$desc"
	else
		nok "$desc"
		printf '%s\n' "$out" | tail -3 | sed 's/^/# /' >> "$RAW"
	fi
}

# att_mac_is WANT GOT: both non-empty and equal
att_mac_is() {
	echo "want $1 got $2"
	[ -n "$1" ] && [ "$1" = "$2" ]
}

# check_boot_test: the guest's answers checked with the oracle
check_boot_test() {
	[ -n "${ATT_READY:-}" ] || return 0
	local d=$OUT/attest e=$OUT/attest/expect pfx label q id v c got want n mac
	q=$(cat "$e/q.hex")
	id=$(cat "$e/chip_id.hex")
	got=$(att_line attest- key)
	att_result "attestation: ATTEST_KEY of chip A == oracle pub" att_mac_is "$q" "$got"
	for pfx in attest- attest32-; do
		label=${pfx%-}
		[ "$pfx" = attest32- ] && label="attest 32-bit"
		for v in v1-ctx0 v1-ctx1 v2-ctx2 v2-ctx1; do
			c=${v#*-}
			got=$(att_line "$pfx" "mac-$v")
			want=$(/usr/bin/python3 "$ORACLE" attest-mac "$q" "$id" "$d/${v%%-*}.pem" \
				"$e/$c.bin" 2>> "$BUILDLOG")
			att_result "$label: ATTEST MAC ($v) == oracle attest-mac" att_mac_is "$want" "$got"
		done
		for n in $ATT_SIZES; do
			mac=$(att_line "$pfx" "sw-mac-$n")
			rm -f "$d/sw-$n.ckb"
			if [ -z "$mac" ] || ! ckblob test "${pfx^^}SW-$n" "$d/sw-$n.ckb"; then
				nok "$label: SEALED_WRAP of $n bytes: MAC and backup handed to the host"
				continue
			fi
			att_result "$label: SEALED_WRAP of $n bytes: MAC and backup pass oracle sealed-wrap-check (unwraps with the fuse image)" \
				/usr/bin/python3 "$ORACLE" sealed-wrap-check "$q" "$id" "$d/eph-$n.pem" \
				"$e/plain-$n.bin" "$d/sw-$n.ckb" "$e/swctx.bin" "$mac" "$(cat "$e/gen.txt")" \
				"$FUSE/fuse.bin"
		done
		want=$(/usr/bin/python3 "$ORACLE" chip-mac "$FUSE/fuse.bin" 1 "$e/macin.bin" 2>> "$BUILDLOG")
		att_result "$label: CHIP_MAC (flash manifest, 3000 bytes) == oracle chip-mac" \
			att_mac_is "$want" "$(att_line "$pfx" chip-mac)"
		want=$(/usr/bin/python3 "$ORACLE" chip-mac "$FUSE/fuse.bin" 1 "$d/empty.bin" 2>> "$BUILDLOG")
		att_result "$label: CHIP_MAC (flash manifest, empty) == oracle chip-mac" \
			att_mac_is "$want" "$(att_line "$pfx" chip-mac-empty)"
	done
	# the checks above can fail: the oracle refuses a MAC one bit off
	mac=$(att_line attest- sw-mac-1)
	if [ -n "$mac" ] && [ -f "$d/sw-1.ckb" ]; then
		if [ "${mac:0:1}" = 0 ]; then mac=1${mac:1}; else mac=0${mac:1}; fi
		att_result "attestation: control: oracle sealed-wrap-check refuses a wrong MAC" \
			sh -c '! /usr/bin/python3 "$@"' sh "$ORACLE" sealed-wrap-check "$q" "$id" \
			"$d/eph-1.pem" "$e/plain-1.bin" "$d/sw-1.ckb" "$e/swctx.bin" "$mac" \
			"$(cat "$e/gen.txt")" "$FUSE/fuse.bin"
	fi
}
