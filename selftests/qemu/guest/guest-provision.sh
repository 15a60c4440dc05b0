#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Boot 1 of the recovery story, and the VM test of factory provisioning
# (ck_mode=provision): the real /dev/chipkey, with the factory's fuse image
# (its ROM key is the factory's manufacturer public key; the host loaded its
# chip certificate into the factory's chip batch), is provisioned by
# chipkey-agent against chipkey-spp and chipkey-pubdb running in this guest
# on 127.0.0.1 (protocol 2: the module opens the package sealed to its
# attestation key and wraps it with SEALED_WRAP).  The flash store goes on the ckflash disk; the factory and
# public databases live on the ckfactory disk, which the next boots reuse.
# The host verifies the certificate with openssl and compares the hashes
# printed here with those of the restore boots (selftests/qemu/recovery.sh).
# shellcheck disable=SC2034 # used by guest-lib.sh
PREFIX=provision
# shellcheck source=selftests/qemu/guest/guest-lib.sh
. /guest-lib.sh

check "loopback up (127.0.0.1 on lo)" lo_up
check "virtio_pci + virtio_blk + ext4 loaded" load_virtio
check "flash disk (virtio, ext4) mounted on /flash" mount_disk ckflash /flash
check "factory disk (virtio, ext4) mounted on /factory" mount_disk ckfactory /factory
check "flash store absent before provisioning" test ! -e "$STORE"
check "load chipkey_vfuse firmware=chipkey/$FW_IMAGE + chipkey" load_chip
hex=$(chip_hex)
info chip "$hex"
chipkey rom-key /tmp/rom.der 2> /dev/null
check "ROM key of the chip is the factory's manufacturer public key" \
	cmp -s /tmp/rom.der "$FAC/mfr-pubkey.der"
chipkey attest-key --pem > /tmp/q.pem 2> /dev/null
check "attestation key of the chip is the one its chip certificate names (the factory's batch)" \
	cmp -s /tmp/q.pem /factory/chip-q.pem

check "chipkey-spp listens on 127.0.0.1" start_daemon /tmp/spp.port /tmp/spp.log \
	chipkey-spp --factory "$FAC" --db "$DB" --public-db "$PUBDB" --listen 127.0.0.1:0 --port-file /tmp/spp.port
check "chipkey-pubdb listens on 127.0.0.1" start_pubdb
SPP=127.0.0.1:$(cat /tmp/spp.port 2> /dev/null)
echo "# spp $SPP, pubdb $URL"

expect 0 "chipkey-agent provision --device /dev/chipkey succeeds" \
	chipkey-agent provision --spp "$SPP" --station-cert "$FAC/station-cert.pem" \
		--station-key "$FAC/station-key.pem" --device /dev/chipkey --store "$STORE" --timeout 60
sed 's/^/#   /' /tmp/last.out
id=$(cat "$STORE/identity" 2> /dev/null)
info identity "$id"
check "the store holds a 15-digit identity" sh -c "echo '$id' | grep -qE '^[0-9]{15}$'"
check "store switched layout: current -> store-1-<id>" \
	sh -c "readlink '$STORE/current' | grep -qE '^store-1-[0-9a-f]{16}$'"

expect 0 "chipkey status: store healthy" chipkey status --store "$STORE" --json
sed 's/^/#   /' /tmp/last.out
check "status --json: healthy, this chip, this identity, certificate valid" sh -c "
	grep -q '\"healthy\": true' /tmp/last.out && grep -q '\"chip_id\": \"$hex\"' /tmp/last.out &&
	grep -q '\"identity\": \"$id\"' /tmp/last.out && grep -q '\"valid\": true' /tmp/last.out"

# the same chip again: the SPP answers with the same identity (no second one)
expect 0 "a second provisioning of the same chip succeeds" \
	chipkey-agent provision --spp "$SPP" --station-cert "$FAC/station-cert.pem" \
		--station-key "$FAC/station-key.pem" --device /dev/chipkey --store /tmp/store2 --timeout 60
sed 's/^/#   /' /tmp/last.out
check "... with the same identity and certificate (no second identity)" sh -c "
	cmp -s /tmp/store2/identity '$STORE/identity' && cmp -s /tmp/store2/device-cert.der '$STORE/device-cert.der'"

# the public database serves the backup to anyone; only this chip unwraps it
check "busybox wget fetches the backup from pubdb" \
	wget -q -O /tmp/pub.pkg "$URL/v1/chips/$hex/backup"
check "... it is the backup in the flash store" cmp -s /tmp/pub.pkg "$STORE/backup.pkg"
wget -q -O /tmp/pub.json "$URL/v1/chips/$hex" 2> /dev/null
check "pubdb JSON names the identity and generation 1" sh -c "
	grep -q '\"identity\": *\"$id\"' /tmp/pub.json && grep -q '\"generation\": *1' /tmp/pub.json"
expect 0 "the fetched backup unwraps through /dev/chipkey" chipkey unwrap /tmp/pub.pkg /tmp/pub.dp
chipkey-factory dump /tmp/pub.dp > /tmp/dump.txt 2>&1
sed 's/^/#   dump: /' /tmp/dump.txt | head -20
check "... into a data package with this identity and chip ID" sh -c "
	grep -q '$id' /tmp/dump.txt && grep -qi '$hex' /tmp/dump.txt"
rm -f /tmp/pub.dp
other=00112233445566778899aabbccddeeff
[ "$other" = "$hex" ] && other=ffeeddccbbaa99887766554433221100
check "pubdb: an unknown chip is a 404" sh -c "! wget -q -O /dev/null '$URL/v1/chips/$other/backup' 2> /tmp/404.err && grep -q ' 404 ' /tmp/404.err"

expect 0 "chipkey load: keys made available in $KEYS" chipkey load --store "$STORE" --keys "$KEYS"
check "keys dir 0700, device-key.pem and channel.key 0600" test \
	"$(stat -c %a "$KEYS") $(stat -c %a "$KEYS/device-key.pem") $(stat -c %a "$KEYS/channel.key")" = "700 600 600"
check "channel.key is 32 bytes, keys/identity is the store's" sh -c "
	test \$(stat -c %s '$KEYS/channel.key') -eq 32 && cmp -s '$KEYS/identity' '$STORE/identity'"
check "nothing secret in the flash store (no PEM private key)" sh -c "! grep -rq 'PRIVATE KEY' '$STORE/'"
hash_restored provision

expect 0 "chipkey backup export writes an offline archive" \
	chipkey backup export /tmp/export.ckpr --store "$STORE"
blob DEVICE-CERT "$STORE/device-cert.der"
blob BACKUP "$STORE/backup.pkg"
blob ARCHIVE /tmp/export.ckpr

finish_disks
ok "provisioning boot done"
