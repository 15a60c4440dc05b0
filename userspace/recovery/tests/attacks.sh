# SPDX-License-Identifier: GPL-2.0
# Sourced by test-recovery.sh (its variables and helpers): what an attacker
# who can write the flash tries against the store's health and the rollback
# floor (docs/flash-store.md, "The chip MAC"; docs/recovery.md, "Rollback").
# Each case must fail for the attacker.
forge=$TOP/userspace/recovery/tests/forge-store.py
"$tools/rec-tool" archive "$hex1" 2 "$id1" "$t/gen2.pkg" "$t/orig1/device-cert.der" "$t/g2.ckpr"
A=$t/atk
fresh2() { rm -rf "$A"; "$ck" --device "$D1" recover --store "$A" --no-keys --from "$t/g2.ckpr" >/dev/null 2>&1; }
gen_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["generation"])' "$1/store.json"; }
mac_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mac"])' "$1/store.json"; }

# -- the manifest edited to a higher or a lower generation
fresh2
check "a genuine generation-2 store for the attacks" test "$(gen_of "$A")" = 2
python3 "$forge" set-gen "$A" 9
expect 15 "forged manifest (generation 2 -> 9, directory renamed to match): not healthy" \
	"$ck" --device "$D1" status --store "$A" --json
check "... the chip MAC does not verify, \"authenticated\": false" \
	bash -c "grep -q 'MAC does not verify' '$t/last.out' && grep -q '\"authenticated\": false' '$t/last.out'"
expect 15 "... load refuses it" "$ck" --device "$D1" load --store "$A" --keys "$t/ka"
expect 0 "... and does not raise the floor: generation 2 restored without --force" \
	"$ck" --device "$D1" recover --store "$A" --no-keys --from "$t/g2.ckpr"
fresh2
python3 "$forge" set-gen "$A" 1
expect 15 "forged manifest (generation 2 -> 1): not healthy" "$ck" --device "$D1" status --store "$A"

# -- a fresh, self-consistent store of the public generation-1 backup
fresh2
mac2=$(mac_of "$A")
python3 "$forge" write "$A" "$hex1" "$id1" 1 "$t/orig1/backup.pkg" "$t/orig1/device-cert.der" random
expect 15 "offline rollback: a complete generation-1 store with a made-up MAC is not healthy" \
	"$ck" --device "$D1" status --store "$A"
check "... because the MAC does not verify" grep -q 'MAC does not verify' "$t/last.out"
rm -rf "$t/ka"
expect 15 "... load refuses it, no keys written" "$ck" --device "$D1" load --store "$A" --keys "$t/ka"
check "... (no keys directory)" test ! -e "$t/ka"
expect 0 "... recover --db restores the newest generation over it" \
	"$ck" --device "$D1" recover --store "$A" --no-keys --db "$URL"
check "... generation 2, the database's" bash -c "test \"\$(python3 -c 'import json; print(json.load(open(\"$A/store.json\"))[\"generation\"])')\" = 2 && cmp -s '$A/backup.pkg' '$t/gen2.pkg'"

# -- chipkey load of an older backup below the floor
fresh2
rm "$A/current/backup.pkg" && cp "$t/orig1/backup.pkg" "$A/current/backup.pkg"
expect 15 "load: the generation-1 backup swapped into the generation-2 store is refused" \
	"$ck" --device "$D1" load --store "$A" --keys "$t/ka"
python3 "$forge" write "$A" "$hex1" "$id1" 1 "$t/orig1/backup.pkg" "$t/orig1/device-cert.der" "$mac2"
expect 15 "load: a generation-1 store carrying the generation-2 manifest's genuine MAC is refused" \
	"$ck" --device "$D1" load --store "$A" --keys "$t/ka"
check "... no keys written" test ! -e "$t/ka"

# -- directory names that would raise the floor
rm -rf "$A" && mkdir -p "$A/store-9223372036854775807-0" "$A/store-9223372036854775807-0000000000000000"
ln -s store-9223372036854775807-0000000000000000 "$A/current"
ln -s store-9223372036854775807-0 "$A/store-9223372036854775806-1111111111111111"
expect 0 "empty store-9223372036854775807-* directories, current and a symlink naming them: genuine generation 1 recovers without --force" \
	"$ck" --device "$D1" recover --store "$A" --no-keys --from "$t/d1.ckpr"
expect 0 "... and the store is healthy at generation 1" "$ck" --device "$D1" status --store "$A"
mkdir "$A/store-9223372036854775807-0"
ln -s "store-9223372036854775807-0" "$A/store-9223372036854775806-2222222222222222"
expect 0 "the same names next to an intact generation-1 store: still healthy" "$ck" --device "$D1" status --store "$A" --json
check "... generation 1 reported" grep -q '"generation": 1' "$t/last.out"
expect 0 "... and generation 1 still recovers over it without --force" \
	"$ck" --device "$D1" recover --store "$A" --no-keys --from "$t/d1.ckpr"

# -- a directory planted where the current symlink belongs (a symlink
# cannot be renamed over it: recovery failed at its commit, every time)
rm -rf "$A" && mkdir -p "$A/current" && echo planted >"$A/current/store.json"
expect 0 "a directory planted as current: genuine generation 1 recovers without --force" \
	"$ck" --device "$D1" recover --store "$A" --no-keys --from "$t/d1.ckpr"
expect 0 "... and the store is healthy" "$ck" --device "$D1" status --store "$A"
check "... current is a symbolic link again, and the planted directory is gone" \
	bash -c "test -L '$A/current' && test -z \"\$(find '$A' -name store.json -type f -exec grep -l planted {} +)\""

# -- the documented limit: a replayed genuine older image
rm -rf "$A" && cp -a "$t/rb" "$A"
check "a genuine generation-1 image (its own chip MAC)" test "$(gen_of "$A")" = 1
rm -rf "$t/ka"
expect 0 "documented limit: a replayed genuine generation-1 image loads offline" \
	"$ck" --device "$D1" load --store "$A" --keys "$t/ka"
expect 0 "... the online check (recover --db) restores the newest generation" \
	"$ck" --device "$D1" recover --store "$A" --no-keys --db "$URL"
check "... generation 2" test "$(gen_of "$A")" = 2

# -- a record pairing the genuine backup with another valid certificate
"$tools/rec-tool" cert "$t/fac" "$id1" "$hex1" "$t/same-id.der"
"$tools/rec-tool" archive "$hex1" 1 "$id1" "$t/orig1/backup.pkg" "$t/same-id.der" "$t/same-id.ckpr"
rm -rf "$A" "$t/ksame"
expect 0 "a record with another manufacturer certificate for the same chip and identity: the backup is restored" \
	"$ck" --device "$D1" recover --store "$A" --keys "$t/ksame" --from "$t/same-id.ckpr"
check "... the stored device-cert.der is the package's (the agent's original), not the record's" \
	bash -c "cmp -s '$t/orig1/device-cert.der' '$A/device-cert.der' && ! cmp -s '$t/same-id.der' '$A/device-cert.der'"
check "... it certifies the package's private key (openssl)" \
	bash -c "cmp -s <(openssl pkey -in '$t/ksame/device-key.pem' -pubout) <(openssl x509 -inform der -in '$A/device-cert.der' -noout -pubkey)"

# -- a caller the chip does not serve (no CAP_SYS_ADMIN): never healthy
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	rm -rf "$t/pubst" && cp -a "$A" "$t/pubst" && chmod -R a+rX "$t/pubst" && chmod 711 "$t"
	expect 3 "status by an unprivileged user: the chip refuses the MAC, the store is not healthy" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$ck" --device "$D1" status --store "$t/pubst" --keys "$t/pubst" --json
	check "... state unverified, healthy false" \
		bash -c "grep -q '\"state\": \"unverified\"' '$t/last.out' && grep -q '\"healthy\": false' '$t/last.out'"
	chmod 700 "$t"
else
	ok "# SKIP status by an unprivileged user (needs root and setpriv)"
	ok "# SKIP ... state unverified"
fi

# -- backup export without a chip: the MAC is not checked, the archive is the same
"$ck" --device "$D1" backup export "$t/exp-chip.ckpr" --store "$t/rb" 2>/dev/null
expect 0 "backup export without a chip (the MAC cannot be checked): exports the store's public data" \
	"$ck" --device "emu:$t/none.sock" backup export "$t/exp-nochip.ckpr" --store "$t/rb"
check "... byte-identical to the export with the chip" cmp -s "$t/exp-chip.ckpr" "$t/exp-nochip.ckpr"

# -- a package without a device certificate: nothing to store, refused
"$bin/chipkey" --device "$D1" unwrap "$t/orig1/backup.pkg" "$t/dpn" 2>>"$t/cli.log"
"$tools/rec-tool" dp-drop-cert "$t/dpn" "$t/dpn2"
"$bin/chipkey" --device "$D1" wrap --generation 2 "$t/dpn2" "$t/nocert.pkg" 2>>"$t/cli.log"
rm -f "$t/dpn" "$t/dpn2"
"$tools/rec-tool" archive "$hex1" 2 "$id1" "$t/nocert.pkg" "$t/orig1/device-cert.der" "$t/nocert.ckpr"
rm -rf "$A"
expect 11 "a package without a device certificate is refused, even with a valid certificate in the record" \
	"$ck" --device "$D1" recover --store "$A" --no-keys --from "$t/nocert.ckpr"
check "... says so, no store written" \
	bash -c "grep -q 'holds no device certificate' '$t/last.err' && test ! -e '$A/current'"

# -- things planted in the store directory that are not regular files
# .lock as a directory, or as a symlink (dangling, or to a path outside the
# store): the writer replaces it, recovery works, and nothing is created
# outside the store
fresh2
rm -f "$A/.lock" && mkdir -p "$A/.lock/sub"
expect 0 "a directory planted as .lock: recover --from still writes the store" \
	"$ck" --device "$D1" recover --store "$A" --no-keys --from "$t/g2.ckpr"
check "... .lock is a regular file again" test -f "$A/.lock" -a ! -L "$A/.lock"
rm -f "$t/outside-lock"
rm -rf "$A/.lock" && ln -s "$t/outside-lock" "$A/.lock"
expect 0 "a .lock symlink to a path outside the store: recover --db still writes the store" \
	"$ck" --device "$D1" recover --store "$A" --no-keys --db "$URL"
check "... and no file was created at the symlink's target" test ! -e "$t/outside-lock"
# a FIFO in place of store.json and of .lock: nothing blocks (bounded by
# timeout 20: a hang fails the check), the store is corrupt, recovery
# replaces it
fresh2
rm -f "$A/current/store.json" && mkfifo "$A/current/store.json"
rm -f "$A/.lock" && mkfifo "$A/.lock"
timeout 20 "$ck" --device "$D1" status --store "$A" >/dev/null 2>&1
rc=$?
check "a FIFO as store.json and as .lock: status answers at once, store corrupt (exit $rc, want 15)" test $rc -eq 15
expect 0 "... recover --from replaces the store" \
	timeout 20 "$ck" --device "$D1" recover --store "$A" --no-keys --from "$t/g2.ckpr"
expect 0 "... and it is healthy" "$ck" --device "$D1" status --store "$A"
# a character device (/dev/null's numbers) in place of store.json and of
# .lock: never opened (a device's open runs its driver: a watchdog node
# would arm the watchdog), seen by inotify; the store is corrupt, recovery
# replaces both
fresh2
rm -f "$A/current/store.json" "$A/.lock"
if mknod "$A/current/store.json" c 1 3 2>/dev/null && mknod "$A/.lock" c 1 3; then
	"$TOP/userspace/recovery/tests/opened.py" "$A" "$A/current" -- "$ck" --device "$D1" status --store "$A" >"$t/opened"
	rc=$?
	check "a device node as store.json and as .lock: status says corrupt (exit $rc, want 15), and opened neither" \
		bash -c "test $rc -eq 15 && ! grep -qx -e store.json -e .lock '$t/opened'"
	"$TOP/userspace/recovery/tests/opened.py" "$A" "$A/current" -- "$ck" --device "$D1" recover --store "$A" --no-keys \
		--from "$t/g2.ckpr" >"$t/opened"
	rc=$?
	check "... recover --from replaces the store (exit $rc), without opening either node" \
		bash -c "test $rc -eq 0 && ! grep -qx -e store.json -e .lock '$t/opened' && test -f '$A/.lock'"
	expect 0 "... and it is healthy" "$ck" --device "$D1" status --store "$A"
else
	skip "a device node planted in the store" "mknod needs CAP_MKNOD"
fi

# -- --from names something that is not a regular file (docs/recovery.md step
# 3): the boot script's CHIPKEY_ARCHIVE on a USB stick made a FIFO must not
# hang the boot (bounded by timeout 20: a hang fails the test)
rm -rf "$t/from-fifo" "$t/from.ckpr" && mkfifo "$t/from.ckpr"
expect 8 "recover --from a FIFO: refused at once, not a regular file" \
	timeout 20 "$ck" --device "$D1" recover --store "$t/from-fifo" --no-keys --from "$t/from.ckpr" --timeout 2
check "... says so, no store written" \
	bash -c "grep -q 'from.ckpr: not a regular file' '$t/last.err' && test ! -e '$t/from-fifo/current'"
expect 8 "recover --from a device (/dev/zero): refused as not a regular file, nothing read" \
	timeout 20 "$ck" --device "$D1" recover --store "$t/from-fifo" --no-keys --from /dev/zero
check "... says so, no store written" \
	bash -c "grep -q '/dev/zero: not a regular file' '$t/last.err' && test ! -e '$t/from-fifo/current'"
expect 0 "... while --from - (standard input) still reads the archive" \
	bash -c "timeout 20 '$ck' --device '$D1' recover --store '$t/from-fifo' --no-keys --from - <'$t/g2.ckpr'"
rm -f "$t/from.ckpr"
