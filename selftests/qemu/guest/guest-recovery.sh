#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Boots 2 and 3 of the recovery story (docs/recovery.md), same fuse image as
# boot 1 (guest-provision.sh); the host wiped the flash disk before each.
#
#   guest-recovery.sh restore   boot 2: the busybox init script chipkey-boot
#                               (installed as /etc/init.d/S45chipkey) finds
#                               no store and restores it from chipkey-pubdb
#                               (127.0.0.1, database from boot 1)
#                               then a service link and one pairing
#                               (docs/pairing.md) with an emulated peer,
#                               then a customer CA enrollment through
#                               /dev/chipkey (guest-enroll.sh)
#   guest-recovery.sh tamper    boot 3: tampered archives crafted on the host
#                               (ckmedia disk) are each refused with the
#                               documented exit code and no store written;
#                               then offline recovery from the honest archive
#
# Hashes of what was restored go to the host ("# ckhash ..."), which
# compares them with boot 1's.
mode=${1:-restore}
# shellcheck disable=SC2034 # used by guest-lib.sh
PREFIX=$mode
# shellcheck source=selftests/qemu/guest/guest-lib.sh
. /guest-lib.sh
# shellcheck source=selftests/qemu/guest/guest-enroll.sh
. /guest-enroll.sh

check "loopback up (127.0.0.1 on lo)" lo_up
check "virtio_pci + virtio_blk + ext4 loaded" load_virtio
check "flash disk (virtio, ext4) mounted on /flash" mount_disk ckflash /flash
check "factory disk (virtio, ext4) mounted on /factory" mount_disk ckfactory /factory
check "load chipkey_vfuse firmware=chipkey/$FW_IMAGE + chipkey" load_chip
hex=$(chip_hex)
info chip "$hex"
check "the wiped flash holds no store" test ! -e "$STORE"
expect 16 "chipkey status on the wiped flash: no store" chipkey status --store "$STORE"

boot_script() { # the init script, as busybox rcS would run it
	env CHIPKEY_RECOVERY_CONF=/etc/chipkey/recovery.conf /etc/init.d/S45chipkey start
}

# ---- one pairing (docs/pairing.md) of this device (/dev/chipkey, the
# restored store and keys) with an emulated peer of the same factory:
# chipkey-emu on a unix socket, its fuse image with the factory's ROM key,
# its data package (chipkey-factory package, with the emulated chip's
# attestation key) wrapped and recovered to a store and keys directory,
# generation 1 in the public database (as userspace/pair/tests/run.sh
# provisions its devices); then pair listen here and pair connect from the
# peer on 127.0.0.1, each person answering with the code the other device
# shows (through a FIFO on each side's standard input)
P=/tmp/peer
PHEX=0123456789abcdef0123456789abcdef
# gen DIR: the generation of the flash store DIR (its current link)
gen() { readlink "$1/current" 2> /dev/null | sed -n 's/^store-\([0-9]*\)-.*/\1/p'; }
# wait_line FILE PATTERN PID: until FILE holds a line matching PATTERN,
# or PID has ended (a bound of 600 s on TCG, not a timing check)
wait_line() {
	_i=0
	while ! grep -q "$2" "$1" 2> /dev/null && kill -0 "$3" 2> /dev/null && [ $_i -lt 6000 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	grep -q "$2" "$1" 2> /dev/null
}
code_of() { sed -n 's/^code: \([0-9]\{6\}\)$/\1/p' "$1"; }
peer_provision() {
	rm -rf "$P" && mkdir -p "$P" && chmod 700 "$P" &&
	chipkey-fuse create "$P/fuse.bin" --rom-key "$FAC/mfr-pubkey.der" --chip-id "$PHEX" > /dev/null &&
	{ chipkey-emu --state "$P/fuse.bin" --socket "$P/chip.sock" --foreground > /tmp/emu.log 2>&1 & } &&
	PIDS="$PIDS $!" && wait_for -S "$P/chip.sock" &&
	PID=$(chipkey-factory identities --prefix 35123400 --start 900 --count 1) &&
	chipkey --device "emu:$P/chip.sock" attest-key --pem > "$P/q.pem" &&
	chipkey-factory package "$FAC" --identity "$PID" --chip-id "$PHEX" --attest-key "$P/q.pem" \
		--out "$P/dp" > /dev/null &&
	chipkey --device "emu:$P/chip.sock" wrap --generation 1 "$P/dp" "$P/pkg" &&
	chipkey --device "emu:$P/chip.sock" recover --from "$P/pkg" --store "$P/store" --keys "$P/keys" > /dev/null &&
	cat "$FAC/record-cert.pem" "$FAC/ica-cert.pem" > "$P/record-chain.pem" &&
	chipkey-pubdb-put --url "$URL" --key "$FAC/record-key.pem" --cert "$P/record-chain.pem" \
		--chip "$PHEX" --generation 1 --identity "$PID" --backup "$P/pkg" \
		--device-cert "$P/keys/device-cert.der" > /dev/null
}
pair_with_emulated_peer() {
	expect 0 "emulated peer: chipkey-emu (fuse image with the factory's ROM key), data package from \$FAC with its attestation key, wrapped, recovered; generation 1 published" \
		peer_provision
	DID=$(cat "$STORE/identity" 2> /dev/null)
	g_dev=$(gen "$STORE") g_peer=$(gen "$P/store")
	echo "# pairing: device $DID chip $hex generation $g_dev, peer $PID chip $PHEX generation $g_peer"
	rm -f /tmp/pair.port /tmp/pl.in /tmp/pc.in /tmp/pl.out /tmp/pc.out
	mkfifo /tmp/pl.in /tmp/pc.in
	chipkey pair listen --port 0 --bind 127.0.0.1 --port-file /tmp/pair.port --keys "$KEYS" \
		--store "$STORE" --db "$URL" --timeout 120 < /tmp/pl.in > /tmp/pl.out 2> /tmp/pl.err &
	lpid=$!
	exec 7> /tmp/pl.in
	wait_line /tmp/pair.port . "$lpid"
	chipkey --device "emu:$P/chip.sock" pair connect "127.0.0.1:$(cat /tmp/pair.port 2> /dev/null)" \
		--keys "$P/keys" --store "$P/store" --db "$URL" --timeout 120 \
		< /tmp/pc.in > /tmp/pc.out 2> /tmp/pc.err &
	cpid=$!
	exec 8> /tmp/pc.in
	wait_line /tmp/pl.out '^code:' "$lpid"
	wait_line /tmp/pc.out '^code:' "$cpid"
	cl=$(code_of /tmp/pl.out) cc=$(code_of /tmp/pc.out)
	# each person types the code the other device shows
	echo "$cc" >&7
	echo "$cl" >&8
	exec 7>&- 8>&-
	wait "$lpid"; lrc=$?
	wait "$cpid"; crc=$?
	for _s in pl.out pl.err pc.out pc.err; do sed "s/^/#   $_s: /" "/tmp/$_s" | tail -6; done
	check "pair listen (/dev/chipkey) and pair connect (emulated peer) on 127.0.0.1, each confirming with the code the other shows: both exit 0 ($lrc, $crc)" \
		test "$lrc" = 0 -a "$crc" = 0
	check "both devices showed the same six-digit code ($cl, $cc)" test -n "$cl" -a "$cl" = "$cc"
	check "the device showed the peer's identity and chip ID" grep -q "^peer: identity $PID, chip ID $PHEX$" /tmp/pl.out
	check "the peer showed the device's identity and chip ID" grep -q "^peer: identity $DID, chip ID $hex$" /tmp/pc.out
	check "both flash stores moved to the next generation (device $g_dev -> $(gen "$STORE"), peer $g_peer -> $(gen "$P/store"))" \
		test -n "$g_dev" -a -n "$g_peer" -a "$(gen "$STORE")" = "$((g_dev + 1))" -a "$(gen "$P/store")" = "$((g_peer + 1))"
	expect 0 "chipkey pairs on the device (/dev/chipkey)" chipkey pairs --store "$STORE"
	check "... lists the peer: identity, chip ID, role listen" grep -q "^$PID  chip $PHEX  listen " /tmp/last.out
	expect 0 "chipkey pairs on the emulated peer" chipkey --device "emu:$P/chip.sock" pairs --store "$P/store"
	check "... lists the device: identity, chip ID, role connect" grep -q "^$DID  chip $hex  connect " /tmp/last.out
}

if [ "$mode" = restore ]; then
	check "chipkey-pubdb (database of boot 1) listens on 127.0.0.1" start_pubdb
	mkdir -p /etc/chipkey
	{
		echo "CHIPKEY_PUBDB=$URL"
		echo "CHIPKEY_STORE=$STORE"
		echo "CHIPKEY_KEYS=$KEYS"
		echo "CHIPKEY_TIMEOUT=60"
	} > /etc/chipkey/recovery.conf
	sed 's/^/#   recovery.conf: /' /etc/chipkey/recovery.conf
	expect 0 "boot: /etc/init.d/S45chipkey restores the store from the public database" boot_script
	check "... its log says the store was missing and where it recovered from" sh -c "
		grep -q 'store needs recovery (exit 16)' /tmp/last.err &&
		grep -q 'recovering from $URL' /tmp/last.err"
	expect 0 "chipkey status after the restore: healthy" chipkey status --store "$STORE" --json
	check "status --json: healthy, keys loaded, certificate valid" sh -c "
		grep -q '\"healthy\": true' /tmp/last.out && grep -q '\"valid\": true' /tmp/last.out"
	info identity "$(cat "$STORE/identity" 2> /dev/null)"
	hash_restored restore
	before=$(sha "$KEYS/device-key.pem")$(snap)
	expect 0 "next boot: S45chipkey finds the store intact and just loads it" boot_script
	check "... its log says 'store intact'; store and keys unchanged" sh -c "
		grep -q 'store intact' /tmp/last.err && test '$before' = '$(sha "$KEYS/device-key.pem")$(snap)'"
	# the boot-time benchmark (bench/Makefile vm-boot: ck_bootbench=RUNS on
	# the kernel command line): from start to keys available with this
	# intact store on the flash disk and /dev/chipkey, chipkey-load (what
	# chipkey-boot runs) against busybox cp -r of the same store
	if [ -n "${ck_bootbench:-}" ] && [ -x /bench/bench-recover ]; then
		echo "# bootbench: store $STORE ($(du -sk "$STORE" | cut -f1) KiB, ext4 on virtio), keys on tmpfs, $ck_bootbench runs"
		/bench/bench-recover "$ck_bootbench" /run/bb-keys -- /usr/bin/chipkey-load \
			--store "$STORE" --keys /run/bb-keys > /tmp/bb-load.txt 2>&1
		sed 's/^/# bootbench chipkey-load: /' /tmp/bb-load.txt
		/bench/bench-recover "$ck_bootbench" /run/bb-copy -- /bin/cp -r "$STORE" /run/bb-copy \
			> /tmp/bb-cp.txt 2>&1
		sed 's/^/# bootbench busybox cp -r: /' /tmp/bb-cp.txt
		awk '/^median/ { m[FILENAME] = $2 } /^peak RSS median/ { r[FILENAME] = $4 }
			END { printf "# bootbench chipkey-load / cp: median %.1fx, peak RSS %.1fx\n",
				m[ARGV[1]] / m[ARGV[2]], r[ARGV[1]] / r[ARGV[2]] }' /tmp/bb-load.txt /tmp/bb-cp.txt
		check "bootbench: chipkey-load left the keys (device-key.pem)" test -s /run/bb-keys/device-key.pem
	fi
	# the secure link to chipkey-service (docs/service-link.md) with the
	# restored keys, the ROM key read from the real /dev/chipkey
	mkdir -p /tmp/svc-cat && echo "catalogue file" > /tmp/svc-cat/hello.txt
	check "chipkey-service (the factory's service credential) listens on 127.0.0.1" \
		start_daemon /tmp/svc.port /tmp/svc.log chipkey-service --factory "$FAC" --state /tmp/svc-state \
		--catalogue /tmp/svc-cat --listen 127.0.0.1:0 --port-file /tmp/svc.port
	svc="--server 127.0.0.1:$(cat /tmp/svc.port 2> /dev/null) --keys $KEYS --state /tmp/dev-svc"
	# shellcheck disable=SC2086 # $svc: the options, split on purpose
	expect 0 "service link mode cert: the server's chain checked against the ROM key of /dev/chipkey" \
		chipkey service connect $svc --mode cert
	check "... TLS 1.3, SHA-384 suite" grep -q 'link up: mode cert, TLS_AES_256_GCM_SHA384' /tmp/last.out
	# shellcheck disable=SC2086
	expect 0 "service link mode channel-key: get a catalogue file" \
		chipkey service get hello.txt /tmp/hello.txt $svc --mode channel-key
	check "... it arrives" grep -qx 'catalogue file' /tmp/hello.txt
	pair_with_emulated_peer
	enroll_through_module
	finish_disks
	ok "restore boot done"
	exit 0
fi

# ---- tamper: crafted records on the "USB stick"
M=/media
check "media disk (offline archives) mounted on /media" mount_disk ckmedia $M
# shellcheck disable=SC2012 # a listing for the log
ls -l $M | sed 's/^/#   media: /'

# keys_snap: names and contents of the keys directory ("absent" if none)
keys_snap() {
	if [ -d "$KEYS" ]; then
		{ ls -A "$KEYS"; cat "$KEYS"/* 2> /dev/null; } | sha256sum | cut -d' ' -f1
	else
		echo absent
	fi
}
# refuse FILE CODE NAME MESSAGE-REGEX: refused with CODE, clear message,
# the store and the keys directory unchanged (absent on the wiped flash)
refuse() {
	b=$(snap) k=$(keys_snap)
	expect "$2" "$3 is refused" chipkey recover --store "$STORE" --keys "$KEYS" --from "$M/$1"
	check "... with a clear message and 'failed (exit $2: ...); the existing store is untouched'" sh -c "
		grep -Eq '$4' /tmp/last.err && grep -q 'failed (exit $2: .*the existing store is untouched' /tmp/last.err"
	check "... store (${b%"${b#????????????}"}) and keys directory (${k%"${k#????????????}"}) unchanged" \
		test "$b|$k" = "$(snap)|$(keys_snap)"
}
tamper_cases() { # tamper_cases WHEN
	refuse tampered.ckpr 5 "$1: archive with a package byte flipped" 'failed authentication'
	refuse tampered.pkg 5 "$1: raw backup package with a byte flipped" 'failed authentication'
	refuse other-device.ckpr 11 "$1: certificate of another device" \
		'certificate names chip [0-9a-f]{32}, this chip is'
	refuse rogue.ckpr 11 "$1: certificate signed by a non-manufacturer key" \
		'not .*(signed by|under) the manufacturer key'
	refuse other-id.ckpr 12 "$1: manufacturer certificate for another identity" \
		'refusing to change the device identity'
	refuse other-chip.ckpr 4 "$1: archive of another chip" 'record is for chip [0-9a-f]{32}, this chip is'
}
tamper_cases "no store"
check "no store was written on the flash" test ! -e "$STORE"
check "no keys were written" sh -c "test ! -e '$KEYS/device-key.pem' && test ! -e '$KEYS/channel.key'"

# the boot script meeting a tampered archive (no database configured)
mkdir -p /etc/chipkey
{
	echo "CHIPKEY_STORE=$STORE"
	echo "CHIPKEY_KEYS=$KEYS"
	echo "CHIPKEY_ARCHIVE=$M/tampered.ckpr"
} > /etc/chipkey/recovery.conf
expect 1 "boot: S45chipkey with a tampered offline archive and no database fails" boot_script
check "... logging the offline refusal (exit 5), no store written" sh -c "
	grep -q 'offline recovery failed (exit 5)' /tmp/last.err && test ! -e '$STORE'"

# offline recovery from the honest archive that boot 1 exported
expect 0 "offline: chipkey recover --from the exported archive" \
	chipkey recover --store "$STORE" --keys "$KEYS" --from $M/export.ckpr
expect 0 "... chipkey status: healthy" chipkey status --store "$STORE"
info identity "$(cat "$STORE/identity" 2> /dev/null)"
hash_restored offline
tamper_cases "intact store"
rm -rf /tmp/raw
expect 0 "offline: chipkey recover --from a raw backup package (certificate from inside)" \
	chipkey recover --store /tmp/raw --no-keys --from $M/backup.pkg
check "... same store as the archive's" sh -c "
	cmp -s /tmp/raw/backup.pkg '$STORE/backup.pkg' && cmp -s /tmp/raw/device-cert.der '$STORE/device-cert.der' &&
	cmp -s /tmp/raw/identity '$STORE/identity'"
finish_disks
ok "tamper boot done"
