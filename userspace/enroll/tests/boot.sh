# SPDX-License-Identifier: GPL-2.0
#
# The boot hook (the document's claim 9): `chipkey-boot enroll` exactly as
# chipkey-enroll-device.service runs it (settings from its configuration
# file only, a clean environment), against the real node and public
# database: sourced by run.sh after device.sh (its node, database, gen1,
# enr and issued).  docs/enrollment.md "At boot".
cb=$here/../../boot/chipkey-boot
echo 00112233445566778899aabbccddee17 >"$t/e17.chip"
provision e17 00112233445566778899aabbccddee17 17 && gen1 e17
{ tr -d '\n' <"$t/e17.keys/identity"; echo; } >"$t/e17.list"
expect_exit 0 "boot hook: a new device e17, generation 1 published, whitelisted" -- \
	"$en" whitelist "$t/node" "$t/e17.list"
# boot_enroll NAME CONF-LINES...: chipkey-boot enroll for device NAME, with
# a configuration file holding CONF-LINES; the log in $t/boot.err
boot_enroll() {
	local n=$1; shift
	printf '%s\n' "$@" >"$t/$n.conf"
	env -i PATH="$PATH" CHIPKEY_RECOVERY_CONF="$t/$n.conf" CHIPKEY_BIN="$ck" \
		CHIPKEY_DEVICE="emu:$t/$n.sock" CHIPKEY_STORE="$t/$n.store" CHIPKEY_KEYS="$t/$n.keys" \
		sh "$cb" enroll 2>"$t/boot.err"
}
gen_is() { readlink "$t/$1.store/current" | grep -q "^store-$2-"; }

expect_exit 0 "boot hook, no CHIPKEY_EST configured: nothing to do, exit 0" -- \
	boot_enroll e17 "CHIPKEY_PUBDB=$DB"
check "... says so, the store still at generation 1, no issuance" \
	bash -c "grep -q 'no customer EST node configured' '$t/boot.err' && $(declare -f gen_is); t='$t' gen_is e17 1 &&
		test \$($(declare -f issued); en='$en' t='$t'; issued e17) = 0"
expect_exit 1 "boot hook, CHIPKEY_EST but no CHIPKEY_PUBDB: exit 1 (not retried)" -- \
	boot_enroll e17 "CHIPKEY_EST=$EST"
expect_exit 10 "boot hook, the node not reachable yet: exit 10, what the unit retries" -- \
	boot_enroll e17 "CHIPKEY_EST=https://localhost:1" "CHIPKEY_PUBDB=$DB"
check "... logged as 'to be retried', the store still at generation 1" \
	bash -c "grep -q 'to be retried' '$t/boot.err' && $(declare -f gen_is); t='$t' gen_is e17 1"
expect_exit 19 "boot hook, two-way with an anchor the node does not chain to: exit 19 (not retried)" -- \
	boot_enroll e17 "CHIPKEY_EST=$EST" "CHIPKEY_EST_ANCHOR=$t/rogue-ca.pem" "CHIPKEY_PUBDB=$DB"
check "... nothing issued, the store still at generation 1" \
	bash -c "$(declare -f gen_is); t='$t' gen_is e17 1 &&
		test \$($(declare -f issued); en='$en' t='$t'; issued e17) = 0"
expect_exit 1 "boot hook, CHIPKEY_EST_ANCHOR not a readable file: exit 1 (configuration, not retried)" -- \
	boot_enroll e17 "CHIPKEY_EST=$EST" "CHIPKEY_EST_ANCHOR=$t/nonexistent.pem" "CHIPKEY_PUBDB=$DB"
expect_exit 0 "boot hook, two-way with the customer's anchor: e17 enrolls" -- \
	boot_enroll e17 "CHIPKEY_EST=$EST" "CHIPKEY_EST_ANCHOR=$t/node/ca-cert.pem" "CHIPKEY_PUBDB=$DB"
check "... generation 2, the customer certificate in the keys directory chains to the customer CA (openssl)" \
	bash -c "$(declare -f gen_is); t='$t' gen_is e17 2 &&
		openssl verify -CAfile '$t/node/ca-cert.pem' '$t/e17.keys/customer-cert.pem' >/dev/null"
check "... the public database has generation 2, its backup the store's" \
	bash -c "curl -sf '$DB/v1/chips/$(cat "$t/e17.chip")/generations/2/backup' | cmp -s - '$t/e17.store/backup.pkg'"
expect_exit 0 "boot hook at the next boot: exit 0" -- \
	boot_enroll e17 "CHIPKEY_EST=$EST" "CHIPKEY_EST_ANCHOR=$t/node/ca-cert.pem" "CHIPKEY_PUBDB=$DB"
check "... still generation 2 and one issuance" \
	bash -c "$(declare -f gen_is); t='$t' gen_is e17 2 &&
		test \$($(declare -f issued); en='$en' t='$t'; issued e17) = 1"
