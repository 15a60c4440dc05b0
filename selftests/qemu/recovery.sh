# SPDX-License-Identifier: GPL-2.0
#
# Host half of the provisioning and recovery boots of the chipkey QEMU
# harness (selftests/qemu/run.sh, x86_64; sourced by run.sh, not run on its
# own).  Three boots of the same initramfs, the guest halves in guest/:
#   provision  boot 1: a factory's SPP + pubdb in the guest on 127.0.0.1
#              provision the real /dev/chipkey; flash store on a virtio
#              disk (guest-provision.sh)
#   restore    boot 2, flash wiped here: the busybox init script
#              userspace/boot/chipkey-boot restores from the pubdb
#              (then a service link, one pairing of /dev/chipkey
#              with an emulated peer on the guest's loopback, and one
#              customer CA enrollment with a chipkey-enroll node there,
#              guest-enroll.sh, its ledger checked here: check_enroll)
#   tamper     boot 3, flash wiped again: tampered records crafted here are
#              refused; offline recovery from a file (guest-recovery.sh)
# Here: the factory (chipkey-factory init, SQLite pool), the chip with its
# chip-vendor certificate, loaded as the factory's chip batch
# (chipkey-factory load-chips), and the disks before; the device
# certificate checked with openssl (and that it carries the chip's Q, as
# the oracle derives it) after boot 1, and
# what boots 2 and 3 restored compared with boot 1, byte for byte.
#
# Disks (build/qemu/ARCH/recovery/, virtio, ext4, found in the guest by
# their serial): flash.img (ckflash, the device's flash), factory.img
# (ckfactory: factory dir + SQLite factory and public databases, kept
# across the boots), media.img (ckmedia: archives for boot 3).  Host tools:
# openssl, mkfs.ext4 (e2fsprogs), base64.
# shellcheck shell=bash

# (and the systemd boots of systemd.sh and the power cuts of powercut.sh,
# on the same disks)
RECOVERY_BOOTS="provision restore tamper sd-wiped sd-intact cut pcut"
# the device certificate's extension naming the chip's attestation key
# (userspace/common/pki.h PKI_ATTEST_KEY_OID, docs/factory-pki.md)
ATTEST_KEY_OID=2.25.150369157376766404936511867947329402419

# recovery_prepare: factory, its chip (fuse-fac.bin, whose ROM key is the
# factory's manufacturer public key; chip-fac.pem its chip certificate, of
# a chip-vendor CA made here), the one-chip batch and disks; without them the recovery
# boots are skipped
recovery_prepare() {
	local fb=$TOP/build/bin fd
	REC=$OUT/recovery
	fd=$REC/factory-disk
	rm -rf "$REC"
	mkdir -p "$fd" "$REC/media"
	chmod 700 "$REC"
	if ! command -v mkfs.ext4 > /dev/null; then
		recovery_skip "mkfs.ext4 (e2fsprogs) not installed on the host"
		return
	fi
	if ! (for m in virtio_pci virtio_blk ext4; do
		modprobe -d "${MODROOT:-/}" -S "$KVER" --show-depends "$m" > /dev/null 2>&1 || exit 1
	done); then
		recovery_skip "kernel $KVER has no virtio_pci/virtio_blk/ext4"
		return
	fi
	REC_TOOL=$TOP/build/tests/recovery/rec-tool
	# a test helper, not a program: `make userspace` does not build it
	[ -x "$REC_TOOL" ] || make -C "$TOP/userspace" "$REC_TOOL" >> "$BUILDLOG" 2>&1
	check "programs of the recovery boots built: chipkey-factory, -spp, -agent, -pubdb, rec-tool" \
		test -x "$fb/chipkey-factory" -a -x "$fb/chipkey-spp" -a -x "$fb/chipkey-agent" \
		-a -x "$fb/chipkey-pubdb" -a -x "$REC_TOOL"
	# 8 identities, and one per chip of the provisioning cuts (powercut.sh)
	if "$fb/chipkey-factory" identities --prefix 35123400 --count $((8 + $(pcut_count))) \
		> "$REC/ids.txt" 2>> "$BUILDLOG" &&
	   "$fb/chipkey-factory" init "$fd/fac" --db "sqlite:$fd/factory.db" \
		--pool "$REC/ids.txt" >> "$BUILDLOG" 2>&1 &&
	   "$fb/chipkey-factory" spp-cred "$fd/fac" --service >> "$BUILDLOG" 2>&1; then
		ok "factory for the recovery boots: chipkey-factory init, an identity pool (SQLite), a service credential"
	else
		nok "factory for the recovery boots: chipkey-factory init, an identity pool (SQLite), a service credential"
	fi
	# The chip vendor: a CA, the chip's fuse image and its chip certificate;
	# the factory loads that one-chip batch (the SPP serves no other chip).
	# chip-q.pem, the attestation key the certificate names, goes onto the
	# factory disk for the guest to compare with what the real chip says.
	if "$fb/chipkey-fuse" ca --out-key "$REC/vendor-ca.key" --out-cert "$REC/vendor-ca.pem" \
		>> "$BUILDLOG" 2>&1 &&
	   "$fb/chipkey-fuse" create "$FUSE/fuse-fac.bin" --force \
		--rom-key "$fd/fac/mfr-pubkey.der" --cert "$REC/chip-fac.pem" \
		--ca-key "$REC/vendor-ca.key" --ca-cert "$REC/vendor-ca.pem" >> "$BUILDLOG" 2>&1 &&
	   "$fb/chipkey-factory" load-chips --db "sqlite:$fd/factory.db" \
		--chip-ca "$REC/vendor-ca.pem" "$REC/chip-fac.pem" >> "$BUILDLOG" 2>&1 &&
	   openssl x509 -in "$REC/chip-fac.pem" -noout -pubkey > "$fd/chip-q.pem" 2>> "$BUILDLOG" &&
	   pcut_chips "$fd" &&
	   mkdisk "$REC/flash.img" 16 && mkdisk "$REC/factory.img" 32 "$fd"; then
		ok "fuse image with the factory's ROM key and its chip certificate, loaded as the factory's chip batch; flash and factory disks (ext4)"
	else
		nok "fuse image with the factory's ROM key and its chip certificate, loaded as the factory's chip batch; flash and factory disks (ext4)"
		recovery_skip "no factory"
	fi
}

# recovery_skip WHY: every recovery boot of this run, skipped
recovery_skip() {
	local b keep=
	for b in $BOOTS; do
		case " $RECOVERY_BOOTS " in
		*" $b "*) ok "$b: boot # SKIP $*" ;;
		*) keep="$keep $b" ;;
		esac
	done
	BOOTS=$keep
}

# mkdisk IMG MiB [DIR]: a fresh ext4 image, filled from DIR if given
mkdisk() {
	rm -f "$1" && truncate -s "$2M" "$1" &&
		mkfs.ext4 -q -F -E root_owner=0:0 ${3:+-d "$3"} "$1" >> "$BUILDLOG" 2>&1
}

# disks IMG:SERIAL...: BOOT_ARGS for virtio disks with those serials
disks() {
	local i=0 d
	BOOT_ARGS=()
	for d in "$@"; do
		BOOT_ARGS+=(-drive "file=$REC/${d%%:*},if=none,id=ck$i,format=raw"
			-device "virtio-blk-pci,drive=ck$i,serial=${d#*:}")
		i=$((i + 1))
	done
}

wipe_flash() { # wipe_flash BOOT: a new, empty filesystem on the flash disk
	if mkdisk "$REC/flash.img" 16; then
		ok "host: flash disk wiped (new ext4) before the $1 boot"
	else
		nok "host: flash disk wiped (new ext4) before the $1 boot"
	fi
}

# compare_hashes MODE TAG: every item boot 1 hashed (store + keys) has the
# same SHA-256 in the "# ckhash TAG ..." lines of boot MODE
compare_hashes() {
	local mode=$1 tag=$2 n=0 name h1 h2
	while read -r _ _ _ name h1; do
		n=$((n + 1))
		h2=$(awk -v t="$tag" -v f="$name" \
			'$1 == "#" && $2 == "ckhash" && $3 == t && $4 == f { print $5 }' "$(results_log "$mode")" | tail -1)
		if [ "$h1" != missing ] && [ "$h1" = "$h2" ]; then
			ok "$mode: $name byte-identical to boot 1's"
		else
			nok "$mode: $name byte-identical to boot 1's (boot 1 ${h1:0:16}, now ${h2:0:16})"
		fi
	done < <(grep '^# ckhash provision ' "$(results_log provision)" 2> /dev/null)
	[ $n -eq 10 ] || nok "$mode: boot 1 hashed its 10 restored items (got $n)"
}

# flip_byte FILE OFFSET (here and in sealedkey.sh)
# shellcheck source=userspace/common/tests/flip.sh
. "$TOP/userspace/common/tests/flip.sh"

prepare_boot_provision() {
	disks flash.img:ckflash factory.img:ckfactory
}

# check_boot_provision: boot 1's certificate, checked with openssl; then
# the records for boot 3 (the "USB stick")
check_boot_provision() {
	local b1=$REC/boot1 fac=$REC/factory-disk/fac hex id
	mkdir -p "$b1"
	hex=$(ckinfo provision chip) id=$(ckinfo provision identity)
	if ckblob provision DEVICE-CERT "$b1/device-cert.der" && ckblob provision BACKUP "$b1/backup.pkg" &&
	   ckblob provision ARCHIVE "$b1/export.ckpr"; then
		ok "provision: certificate, backup and archive handed to the host"
	else
		nok "provision: certificate, backup and archive handed to the host"
	fi
	openssl x509 -inform DER -in "$b1/device-cert.der" -out "$b1/device-cert.pem" 2>> "$BUILDLOG"
	if openssl verify -CAfile "$fac/mfr-ca.pem" -untrusted "$fac/ica-cert.pem" "$b1/device-cert.pem" > "$b1/verify.out" 2>&1; then
		ok "provision: openssl verify -CAfile <manufacturer CA> accepts the device certificate"
	else
		sed 's/^/# /' "$b1/verify.out" >> "$RAW"
		nok "provision: openssl verify -CAfile <manufacturer CA> accepts the device certificate"
	fi
	openssl x509 -in "$b1/device-cert.pem" -noout -text > "$b1/cert.txt" 2> /dev/null
	grep -E 'Subject:|URI:' "$b1/cert.txt" | sed 's/^ */# cert: /' >> "$RAW"
	if [ -n "$id" ] && [ -n "$hex" ] && grep -q "CN = $id" "$b1/cert.txt" &&
	   grep -q "URI:urn:chipkey:chip-id:$hex" "$b1/cert.txt"; then
		ok "provision: openssl x509 -text shows the identity ($id) and chip ID"
	else
		nok "provision: openssl x509 -text shows the identity (${id:-?}) and chip ID (${hex:-?})"
	fi
	# protocol 2: the certificate carries, in its attestation key extension,
	# the key the chip certificate names (DER SPKI, openssl), which is the
	# chip's Q as the oracle derives it from the fuse image.  (Not parsed
	# with python3-cryptography: Debian 12's 38.0.4 rejects the whole
	# certificate, its OID arc under 2.25 being wider than 64 bits.)
	local q_oracle spki
	q_oracle=$(/usr/bin/python3 "$TOP/scripts/ck_attest_oracle.py" pub "$FUSE/fuse-fac.bin" 2>> "$BUILDLOG")
	spki=$(openssl x509 -in "$REC/chip-fac.pem" -noout -pubkey 2>> "$BUILDLOG" |
		openssl pkey -pubin -outform DER 2>> "$BUILDLOG" | od -An -v -tx1 | tr -d ' \n')
	if [ ${#q_oracle} -eq 130 ] && [ "${spki: -130}" = "$q_oracle" ] &&
	   grep -q "$ATTEST_KEY_OID" "$b1/cert.txt" &&
	   case $(od -An -v -tx1 "$b1/device-cert.der" | tr -d ' \n') in *"$spki"*) true ;; *) false ;; esac; then
		ok "provision: the device certificate carries the chip's certified attestation key (extension $ATTEST_KEY_OID; oracle: scripts/ck_attest_oracle.py)"
	else
		nok "provision: the device certificate carries the chip's certified attestation key (oracle ${q_oracle:0:16}, chip certificate ${spki: -130:16})"
	fi
	case " $BOOTS " in *" tamper "*) make_media "$hex" "$id" ;; esac
}

# make_media HEX ID: boot 1's honest archive and backup, and forged
# records (rec-tool, chipkey-factory), on the media disk
make_media() {
	local b1=$REC/boot1 m=$REC/media
	rm -rf "$m" && mkdir -p "$m"
	cp "$b1/export.ckpr" "$b1/backup.pkg" "$m/" 2> /dev/null
	if forge_records "$1" "$2" >> "$BUILDLOG" 2>&1 && ! cmp -s "$b1/backup.pkg" "$m/tampered.pkg" &&
	   mkdisk "$REC/media.img" 8 "$m"; then
		ok "host: tampered records for boot 3 (flipped byte, another device's certificate, rogue CA, other identity, other chip) on the media disk"
	else
		nok "host: tampered records for boot 3 on the media disk"
		mkdisk "$REC/media.img" 8 "$m"
	fi
}

forge_records() { # forge_records HEX ID
	local hex=$1 id=$2 b1=$REC/boot1 m=$REC/media fac=$REC/factory-disk/fac rt=$REC_TOOL
	local unused other
	unused=$(grep -vx "$id" "$REC/ids.txt" | tail -1)
	other=$(openssl rand -hex 16)
	cp "$b1/backup.pkg" "$m/tampered.pkg" && flip_byte "$m/tampered.pkg" 200 &&
	"$rt" archive "$hex" 1 "$id" "$m/tampered.pkg" "$b1/device-cert.der" "$m/tampered.ckpr" &&
	"$TOP/build/bin/chipkey-factory" issue "$fac" --identity "$unused" --chip-id "$other" \
		--key-out "$REC/other-key.pem" --out "$REC/other-cert.pem" &&
	openssl x509 -in "$REC/other-cert.pem" -outform DER -out "$REC/other-cert.der" &&
	"$rt" archive "$hex" 1 "$id" "$b1/backup.pkg" "$REC/other-cert.der" "$m/other-device.ckpr" &&
	"$rt" rogue-cert "$id" "$hex" "$REC/rogue.der" &&
	"$rt" archive "$hex" 1 "$id" "$b1/backup.pkg" "$REC/rogue.der" "$m/rogue.ckpr" &&
	"$rt" cert "$fac" "$unused" "$hex" "$REC/other-id.der" &&
	"$rt" archive "$hex" 1 "$id" "$b1/backup.pkg" "$REC/other-id.der" "$m/other-id.ckpr" &&
	"$rt" archive "$other" 1 "$id" "$b1/backup.pkg" "$b1/device-cert.der" "$m/other-chip.ckpr"
}

prepare_boot_restore() {
	wipe_flash restore
	disks flash.img:ckflash factory.img:ckfactory
}

check_boot_restore() {
	compare_hashes restore restore
	check_enroll restore
}

# recovery_initramfs: what the enrollment of the restore boot (and of the
# systemd boots) needs besides build/bin: libcurl.so.4, which chipkey
# enroll loads with dlopen (ldd of chipkey does not name it), and the
# standard clients the guest checks with (curl, openssl, and the
# configuration file openssl req needs)
recovery_initramfs() {
	local f bins=()
	for f in /usr/bin/curl /usr/bin/openssl; do cp "$f" "$ROOTFS/usr/bin/" && bins+=("$f"); done
	initramfs_add_libs "${bins[@]}"
	mkdir -p "$ROOTFS/usr/lib/ssl" && cp -L /usr/lib/ssl/openssl.cnf "$ROOTFS/usr/lib/ssl/"
	check "initramfs: curl, openssl (with openssl.cnf) and libcurl.so.4 (chipkey enroll's dlopen) for the enrollment" \
		test -x "$ROOTFS/usr/bin/curl" -a -x "$ROOTFS/usr/bin/openssl" -a -f "$ROOTFS/usr/lib/ssl/openssl.cnf" \
		-a -n "$(find "$ROOTFS" -name libcurl.so.4 | head -1)"
}

# check_enroll MODE: the enrollment of boot MODE (guest-enroll.sh), checked
# here with python3 and openssl on what the guest handed over: the ledger
# (issuances --json) holds exactly one issuance, for the device's identity
# and chip, and it is the customer certificate the device stored, which
# chains to the node's customer CA and names the identity and chip
check_enroll() {
	local mode=$1 d=$REC/enroll-$1 id hex
	rm -rf "$d" && mkdir -p "$d"
	id=$(ckinfo "$mode" enroll-identity) hex=$(ckinfo "$mode" chip)
	if ckblob "$mode" ENROLL-LEDGER "$d/ledger.json" && ckblob "$mode" ENROLL-CERT "$d/cert.pem" &&
	   ckblob "$mode" ENROLL-CA "$d/ca.pem"; then
		ok "$mode: ledger, customer certificate and customer CA handed to the host"
	else
		nok "$mode: ledger, customer certificate and customer CA handed to the host"
	fi
	if /usr/bin/python3 - "$d/ledger.json" "$d/cert.pem" "${id:-?}" "${hex:-?}" >> "$BUILDLOG" 2>&1 <<-'EOF'
		import json, sys
		led = json.load(open(sys.argv[1]))
		cert = open(sys.argv[2]).read()
		iss = [e for e in led if e.get("kind") == "enrollment"]
		assert len(led) == 1 and len(iss) == 1, led
		e = iss[0]
		assert e["identity"] == sys.argv[3] and e["chip_id"] == sys.argv[4], e
		assert e["operation"] == "simpleenroll" and e["certificate"] == cert, e
		EOF
	then
		ok "$mode: issuances --json (python3): one issuance, identity $id, chip $hex, simpleenroll, the certificate the device stored"
	else
		nok "$mode: issuances --json (python3): one issuance, identity ${id:-?}, chip ${hex:-?}, simpleenroll, the certificate the device stored"
	fi
	if openssl verify -CAfile "$d/ca.pem" "$d/cert.pem" >> "$BUILDLOG" 2>&1 &&
	   openssl x509 -in "$d/cert.pem" -noout -subject | grep -q "CN = $id" &&
	   openssl x509 -in "$d/cert.pem" -noout -ext subjectAltName | grep -q "chip-id:$hex"; then
		ok "$mode: openssl verify (host) accepts the customer certificate under the customer CA; it names the identity and chip"
	else
		nok "$mode: openssl verify (host) accepts the customer certificate under the customer CA; it names the identity and chip"
	fi
}

prepare_boot_tamper() {
	wipe_flash tamper
	disks flash.img:ckflash factory.img:ckfactory media.img:ckmedia
}

check_boot_tamper() { compare_hashes tamper offline; }
