# SPDX-License-Identifier: GPL-2.0
#
# Crash tests of the node (docs/enrollment.md "Crash safety of the node"):
# a node directory of its own, $t/cnode, served by chipkey-enroll-crash
# (the crash points of est.c: CHIPKEY_CRASH_AT=est-admitted, est-issued,
# est-recorded), killed with SIGKILL at each step of an issuance while a
# device (`chipkey enroll`) waits for the answer; then restarted.  After
# each crash the ledger must be whole (sqlite3 PRAGMA integrity_check) and
# hold zero or one issuance for the device; the device's re-run must get the
# certificate recorded before the crash again, byte for byte (cmp), or a
# first issuance, never a second certificate; no serial twice; `issuances
# --json` holds what the devices hold.  Sourced by run.sh after device.sh
# (provision, gen1, the public database $DB, $ck).
enc=$A/tests/enroll/chipkey-enroll-crash
P0=$PORT	# run.sh's node (start_server sets PORT)
expect_exit 0 "crash node: init" -- \
	"$en" init "$t/cnode" --org "Crash Customer" --mfr-ca "$t/fac/mfr-ca.pem"
for i in 61 62 63 64 65; do
	echo "00112233445566778899aabbccddee$i" >"$t/c$i.chip"
	provision "c$i" "00112233445566778899aabbccddee$i" "$i" && gen1 "c$i"
	tr -d '\n' <"$t/c$i.keys/identity"; echo
done >"$t/clist"
expect_exit 0 "crash node: devices c61-c65 provisioned, generation 1 published, whitelisted" -- \
	"$en" whitelist "$t/cnode" "$t/clist"

# cserve [POINT]: the crash build serving $t/cnode (log cnode.log), killed
# at POINT (none: runs until stopped); its pid in CSPID, its URL in CEST
cserve() {
	start_server cnode "$t/cport" env CHIPKEY_CRASH_AT="${1:-}" "$enc" serve "$t/cnode" \
		--listen 127.0.0.1:0 --port-file "$t/cport" --renew-after 0
	CSPID=$SPID CEST=https://localhost:$PORT
}
# cstop: SIGTERM to the node (a zombie already killed ignores it); its exit status in NRC
cstop() { kill -TERM "$CSPID" 2>/dev/null; { wait "$CSPID"; } 2>/dev/null; NRC=$?; }
cenr() {	# cenr NAME ARGS...: chipkey enroll of device NAME against the crash node
	local n=$1; shift
	"$ck" --device "emu:$t/$n.sock" enroll --est "$CEST" --store "$t/$n.store" \
		--keys "$t/$n.keys" --db "$DB" "$@"
}
# crash NAME POINT ARGS...: the node killed at POINT while NAME runs
# `chipkey enroll ARGS`: the device's exit status in DRC, the node's in NRC
crash() {
	local n=$1 p=$2; shift 2
	cserve "$p"
	cenr "$n" "$@" >/dev/null 2>>"$t/ccrash.log"
	DRC=$?
	cstop
}
csql() { sqlite3 "$t/cnode/enroll.db" "$@"; }
# crows NAME TABLE: the ledger's rows of TABLE (issuance, renewal) for NAME's chip
crows() { csql "SELECT count(*) FROM $2 WHERE chip_id = '$(cat "$t/$1.chip")'"; }
# cledger NAME KIND OUT: the certificate(s) of KIND (enrollment, renewal)
# that `issuances --json` lists for NAME's chip, into OUT (PEM as listed)
cledger() {
	"$en" issuances "$t/cnode" --json | /usr/bin/python3 -c '
import json, sys
for i in json.load(sys.stdin):
    if i["chip_id"] == sys.argv[1] and i["kind"] == sys.argv[2]: print(i["certificate"], end="")' \
		"$(cat "$t/$1.chip")" "$2" >"$3"
}
gen_of() { readlink "$t/$1.store/current" | sed -n 's/^store-\([0-9]*\)-.*/\1/p'; }
serial_of() { openssl x509 -in "$1" -noout -serial | sed 's/^serial=//'; }
# after_crash DESC NAME TABLE ROWS: the checks after every crash
after_crash() {
	check "kill -9 at $1: the node was killed (137), the device got no answer (exit 10)" \
		test "$NRC" = 137 -a "$DRC" = 10
	check "... the ledger is whole (sqlite3 PRAGMA integrity_check)" \
		test "$(csql 'PRAGMA integrity_check')" = ok
	check "... it holds $4 $3 row(s) for the device" test "$(crows "$2" "$3")" = "$4"
}

# ---- simpleenroll: kill -9 before issuing, after signing, after recording
ci=0
for p in est-admitted est-issued est-recorded; do
	d=c6$((++ci))
	crash $d $p
	after_crash "$p (simpleenroll, $d)" $d issuance "$([ $p = est-recorded ] && echo 1 || echo 0)"
	check "... the device: still generation 1, its pending key kept" \
		test "$(gen_of $d)" = 1 -a -s "$t/$d.store/enroll-pending.pkg"
	cledger $d enrollment "$t/$d.before.pem"
	cserve
	expect_exit 0 "... restarted, the device's re-run enrolls" -- cenr $d
	cstop
	cledger $d enrollment "$t/$d.ledger.pem"
	check "... generation 2; exactly one issuance; the device holds the ledger's certificate (cmp)" \
		bash -c "test '$(gen_of $d)' = 2 && test $(crows $d issuance) = 1 &&
			cmp -s '$t/$d.ledger.pem' '$t/$d.keys/customer-cert.pem'"
	if [ $p = est-recorded ]; then
		check "... the certificate recorded before the crash, re-delivered byte for byte (not re-issued)" \
			bash -c "test -s '$t/$d.before.pem' && cmp -s '$t/$d.before.pem' '$t/$d.keys/customer-cert.pem' &&
				grep -q 'chip $(cat "$t/$d.chip"): re-delivered the recorded certificate' '$t/cnode.log'"
	else
		check "... a first issuance (the crash recorded none), logged with the device's serial" \
			bash -c "test ! -s '$t/$d.before.pem' &&
				grep -q 'chip $(cat "$t/$d.chip"): issued serial $(serial_of "$t/$d.keys/customer-cert.pem")\$' '$t/cnode.log'"
	fi
done

# ---- serverkeygen: after signing (nothing recorded: a new key and
# certificate), after recording (the recorded key envelope re-delivered)
check "the crash points are in the test build only, not in chipkey-enroll" \
	bash -c "grep -q est-recorded '$enc' && ! grep -q est-recorded '$en' '$bin/chipkey-enroll'"
crash c64 est-issued --serverkeygen
after_crash "est-issued (serverkeygen, c64)" c64 issuance 0
check "... the device: still generation 1, nothing pending" \
	test "$(gen_of c64)" = 1 -a ! -e "$t/c64.store/enroll-pending.pkg"
cserve
expect_exit 0 "... restarted, the device's re-run (--serverkeygen) enrolls" -- cenr c64 --serverkeygen
cstop
cledger c64 enrollment "$t/c64.ledger.pem"
op=$(csql "SELECT operation FROM issuance WHERE chip_id = '$(cat "$t/c64.chip")'")
check "... generation 2, one issuance by serverkeygen; the device holds the ledger's certificate and its key" \
	bash -c "test '$(gen_of c64)' = 2 && test $(crows c64 issuance) = 1 && test '$op' = serverkeygen &&
		cmp -s '$t/c64.ledger.pem' '$t/c64.keys/customer-cert.pem' &&
		test \"\$(openssl x509 -in '$t/c64.keys/customer-cert.pem' -noout -pubkey)\" = \
			\"\$(openssl pkey -in '$t/c64.keys/customer-key.pem' -pubout)\""
crash c65 est-recorded --serverkeygen
after_crash "est-recorded (serverkeygen, c65)" c65 issuance 1
check "... the device: still generation 1, nothing pending" \
	test "$(gen_of c65)" = 1 -a ! -e "$t/c65.store/enroll-pending.pkg"
cserve
expect_exit 0 "... restarted, the re-run (--serverkeygen) gets the recorded answer again and enrolls" -- \
	cenr c65 --serverkeygen
cstop
cledger c65 enrollment "$t/c65.ledger.pem"
check "... still one issuance; generation 2; the device holds the ledger's certificate and its key; a re-delivery logged" \
	bash -c "test $(crows c65 issuance) = 1 && test '$(gen_of c65)' = 2 &&
		cmp -s '$t/c65.ledger.pem' '$t/c65.keys/customer-cert.pem' &&
		test \"\$(openssl x509 -in '$t/c65.keys/customer-cert.pem' -noout -pubkey)\" = \
			\"\$(openssl pkey -in '$t/c65.keys/customer-key.pem' -pubout)\" &&
		grep -q 'chip $(cat "$t/c65.chip"): re-delivered the recorded server-generated key' '$t/cnode.log'"

# ---- simplereenroll: c61 after signing, c62 after recording
for d in c61 c62; do
	p=$([ $d = c61 ] && echo est-issued || echo est-recorded)
	crash $d $p --renew
	after_crash "$p (simplereenroll, $d)" $d renewal "$([ $p = est-recorded ] && echo 1 || echo 0)"
	check "... the device: still generation 2, its pending key kept" \
		test "$(gen_of $d)" = 2 -a -s "$t/$d.store/enroll-pending.pkg"
	cledger $d renewal "$t/$d.rbefore.pem"
	cserve
	expect_exit 0 "... restarted, the device's re-run (--renew) renews" -- cenr $d --renew
	cstop
	cledger $d renewal "$t/$d.rledger.pem"
	check "... generation 3; exactly one renewal; the device holds the ledger's renewal (cmp)" \
		bash -c "test '$(gen_of $d)' = 3 && test $(crows $d renewal) = 1 &&
			cmp -s '$t/$d.rledger.pem' '$t/$d.keys/customer-cert.pem'"
	if [ $p = est-recorded ]; then
		check "... the renewal recorded before the crash, re-delivered byte for byte" \
			bash -c "test -s '$t/$d.rbefore.pem' && cmp -s '$t/$d.rbefore.pem' '$t/$d.keys/customer-cert.pem' &&
				grep -q 'chip $(cat "$t/$d.chip"): re-delivered the renewal' '$t/cnode.log'"
	else
		check "... a first renewal (the crash recorded none)" test ! -s "$t/$d.rbefore.pem"
	fi
done

# ---- over all the crashes
check "the ledger: no serial twice (issuances and renewals), every certificate a device holds is in it" \
	bash -c "test -z \"\$(sqlite3 '$t/cnode/enroll.db' 'SELECT serial FROM certificate' | sort | uniq -d)\" &&
		for d in c61 c62 c63 c64; do
			s=\$(openssl x509 -in '$t/'\$d.keys/customer-cert.pem -noout -serial | sed 's/^serial=//')
			test \"\$(sqlite3 '$t/cnode/enroll.db' \"SELECT count(*) FROM certificate WHERE serial = '\$s'\")\" = 1 || exit 1
		done"
check "the ledger: 7 certificates (c61-c65 enrolled once each, c61 and c62 renewed once each)" \
	test "$(csql 'SELECT count(*) FROM certificate')" = 7
check "the node's log: no serial issued twice" \
	bash -c "grep -o 'issued serial [0-9A-F]*\\|renewed serial [0-9A-F]* as [0-9A-F]*' '$t/cnode.log' |
		awk '{ print \$NF }' | sort | uniq -d | { ! grep -q .; }"
check "the crashed node left no sanitizer report" bash -c "! grep -q Sanitizer '$t/cnode.log'"
PORT=$P0
