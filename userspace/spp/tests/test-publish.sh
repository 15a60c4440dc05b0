#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Attacks on the publisher and on ALREADY, with the real programs (SQLite,
# sqlite3 CLI): rows an attacker adds to the factory store's outbox never
# reach the public database (publish-vet.h); refused rows with the lowest
# chip IDs do not starve later records (paging); ALREADY never rolls a
# device back below the generation its store holds; the SPP creates its
# databases 0600.  TAP on stdout.
#
#   BUILD=.../build tests/test-publish.sh
set -u
BUILD=${BUILD:-$(cd "$(dirname "$0")/../../.." && pwd)/build}
t=$(mktemp -d /tmp/chipkey-test-publish-XXXXXX)
FAC=$t/fac
DBURL=sqlite:$t/factory.db
PUBURL=sqlite:$t/public.db
FDB=$t/factory.db PDB=$t/public.db
. "$(dirname "${BASH_SOURCE[0]}")/lib-provision.sh"
trap 'kill_bg; [ "$failed" -gt 0 ] && tail -30 "$t/spp.log" | sed "s|^|# spp.log: |"; rm -rf "$t"' EXIT

"$bin/chipkey-factory" identities --prefix 35777700 --count 50 >"$t/ids.txt" 2>>"$t/factory.log"
"$bin/chipkey-factory" init "$FAC" --db "$DBURL" --pool "$t/ids.txt" >>"$t/factory.log" 2>&1
check "factory init" test $? -eq 0
spp_pid=
start_spp() {
	rm -f "$t/spp.port"
	"$bin/chipkey-spp" --factory "$FAC" --db "$DBURL" --public-db "$PUBURL" --listen 127.0.0.1:0 \
		--port-file "$t/spp.port" --timeout 5 2>>"$t/spp.log" &
	spp_pid=$!
	bg[spp]=$spp_pid
	wait_file "$t/spp.port"
}
stop_spp() { kill "$spp_pid" 2>/dev/null; wait "$spp_pid" 2>/dev/null; unset "bg[spp]"; }
# provision NAME [STORE]: chipkey-agent provision; exit code in $prc
provision() {
	"$bin/chipkey-agent" provision $(station) --spp "127.0.0.1:$(cat "$t/spp.port")" \
		--device "emu:$t/chips/$1.sock" --store "${2:-$t/store-$1}" --timeout 5 \
		>"$t/agent-$1.out" 2>"$t/agent-$1.err"
	prc=$?
}
# public_rows HEX: rows of that chip in the public file (sqlite3 CLI)
public_rows() { sqlite3 -batch "$PDB" "SELECT count(*) FROM public_records WHERE chip_id = x'$1'"; }

umask 022
check "the SPP starts and creates its public database file" start_spp
check "4. the files the SPP created under umask 022 are 0600 (public db, its -wal/-shm, the factory db's -wal/-shm)" \
	bash -c "test \"\$(stat -c %a '$PDB'* '$FDB'-* | sort -u)\" = 600"
for c in c1 c2 c3 c4; do mkchip $c || nok "emulator $c starts"; done
provision c1
check "chip c1 provisioned and published (agent exit $prc)" \
	bash -c "test $prc -eq 0 && test \$(sqlite3 -batch '$PDB' \"SELECT count(*) FROM public_records WHERE chip_id = x'${chip_hex[c1]}'\") -eq 1"
stop_spp

# ---- 1. an unsigned row with the largest generation, added with sqlite3
h2=${chip_hex[c2]} h4=${chip_hex[c4]}
sqlite3 -batch "$FDB" "INSERT INTO issued_records (chip_id, generation, identity, created, backup, cert)
	VALUES (x'$h2', 9223372036854775807, '357777000000018', 0, randomblob(300), randomblob(400))"
# a row for c4 carrying c1's genuine signed record (columns of another chip)
sqlite3 -batch "$FDB" "INSERT INTO issued_records (chip_id, generation, identity, created, backup, cert, signed_record)
	SELECT x'$h4', 1, identity, 0, backup, cert, signed_record FROM issued_records WHERE chip_id = x'${chip_hex[c1]}'"
# a row for chip h5 whose signed record the genuine record signer made
# (chain included), columns equal to it, but its backup and device
# certificate are c1's: only the vet's content check refuses it
h5=00ff00000000000000000000000000c5
sqlite3 -batch "$FDB" "SELECT writefile('$t/c1.backup', backup), writefile('$t/c1.cert', cert)
	FROM issued_records WHERE chip_id = x'${chip_hex[c1]}'" >/dev/null
id5=$(sqlite3 -batch "$FDB" "SELECT identity FROM issued_records WHERE chip_id = x'${chip_hex[c1]}'")
cat "$FAC/record-cert.pem" "$FAC/ica-cert.pem" >"$t/record-chain.pem"
openssl x509 -inform DER -in "$t/c1.cert" -out "$t/c1.pem" 2>/dev/null
"$bin/chipkey-pubdb-put" --no-post --out "$t/h5.rec" --key "$FAC/record-key.pem" \
	--cert "$t/record-chain.pem" --chip "$h5" --generation 1 --identity "$id5" \
	--backup "$t/c1.backup" --device-cert "$t/c1.pem" >>"$t/factory.log" 2>&1
check "a genuinely signed record for another chip with c1's content is made (chipkey-pubdb-put)" \
	test -s "$t/h5.rec"
sqlite3 -batch "$FDB" "INSERT INTO issued_records (chip_id, generation, identity, created, backup, cert, signed_record)
	VALUES (x'$h5', 1, '$id5', 0, readfile('$t/c1.backup'), readfile('$t/c1.cert'), readfile('$t/h5.rec'))"
# ---- 2. more refused rows than a batch (256), with the lowest chip IDs
for ((i = 1; i <= 300; i++)); do
	printf "INSERT INTO issued_records (chip_id, generation, identity, created, backup, cert)
		VALUES (x'0000%028x', 1, '357777000000018', 0, x'00', x'00');\n" "$i"
done | sqlite3 -batch "$FDB"
check "the SPP starts on the doctored outbox" start_spp
check "the unsigned row (generation 2^63-1) is not in the public file (sqlite3)" test "$(public_rows "$h2")" = 0
check "... the SPP log names it with the verdict" \
	grep -q "chip $h2 generation 9223372036854775807: publish: refused: unsigned" "$t/spp.log"
check "the row with another chip's signed record is not in the public file" test "$(public_rows "$h4")" = 0
check "... the SPP log says its columns differ from the signed record" \
	grep -q "chip $h4 generation 1: publish: refused: the columns differ from the signed record" "$t/spp.log"
check "the genuinely signed row with another chip's content is not in the public file" \
	test "$(public_rows "$h5")" = 0
check "... the SPP log names the content check's verdict" \
	grep -q "chip $h5 generation 1: publish: refused: bad content: backup is for another chip" "$t/spp.log"
check "the 300 low-chip-ID rows are not in the public file" \
	test "$(sqlite3 -batch "$PDB" "SELECT count(*) FROM public_records WHERE substr(chip_id, 1, 2) = x'0000'")" = 0
check "the refused rows stay in the outbox" \
	test "$(sqlite3 -batch "$FDB" "SELECT count(*) FROM issued_records WHERE published IS NULL")" = 303
provision c3
check "later provisioning (c3) still publishes, past 300 refused rows with lower chip IDs (agent exit $prc)" \
	bash -c "test $prc -eq 0 && test \$(sqlite3 -batch '$PDB' \"SELECT count(*) FROM public_records WHERE chip_id = x'${chip_hex[c3]}'\") -eq 1"
check "... and its session reports its own record published (no 'publication pending')" \
	bash -c "grep 'chip=${chip_hex[c3]}.*provisioned' '$t/spp.log' | grep -qv 'publication pending'"
check "the public file holds exactly the two genuine records" \
	test "$(sqlite3 -batch "$PDB" "SELECT count(*) FROM public_records")" = 2
stop_spp

# ---- 3. ALREADY never rolls a device back
ck=$bin/chipkey
S=$t/store-c1 D1=emu:$t/chips/c1.sock h1=${chip_hex[c1]}
id1=$(tr -d '\n' <"$S/identity")
gen_of() { "$ck" --device "$D1" status --store "$S" --json 2>/dev/null | sed -n 's/.*"generation": *\([0-9]*\).*/\1/p' | head -1; }
"$ck" --device "$D1" unwrap "$S/backup.pkg" "$t/dp1" 2>>"$t/cli.log" &&
	"$ck" --device "$D1" wrap --generation 2 "$t/dp1" "$t/gen2.pkg" 2>>"$t/cli.log" &&
	"$BUILD/tests/recovery/rec-tool" archive "$h1" 2 "$id1" "$t/gen2.pkg" "$S/device-cert.der" "$t/g2.ckpr" \
		>>"$t/cli.log" 2>&1
rm -f "$t/dp1"
"$ck" --device "$D1" recover --store "$S" --no-keys --from "$t/g2.ckpr" >>"$t/cli.log" 2>&1
check "c1 recovered to generation 2 (chipkey recover --from; chipkey status says $(gen_of))" test "$(gen_of)" = 2
snap() { cat "$S/store.json" "$S/backup.pkg" | sha256sum; }
before=$(snap)
start_spp
provision c1 "$S"
check "provisioning c1 again (the public database has generation 1 only): exit 13 (ROLLBACK), got $prc" test "$prc" = 13
check "... the agent names both generations and keeps the store" \
	grep -q "generation 1, older than the generation 2 the flash store holds: store kept" "$t/agent-c1.err"
check "... chipkey status: still generation 2, store byte-identical" \
	bash -c "test '$(gen_of)' = 2 && test '$(snap)' = '$before'"
# generation 2 reaches the public database (as chipkey-pubdb stores a
# device's POST; sqlite3 here): the SPP answers ALREADY with it
sqlite3 -batch "$PDB" "INSERT INTO public_records (chip_id, generation, identity, created, backup, cert)
	SELECT chip_id, 2, identity, 1, readfile('$t/gen2.pkg'), cert FROM public_records
	WHERE chip_id = x'$h1' AND generation = 1"
rm -rf "$S"
provision c1 "$S"
check "a wiped c1 provisioned again gets ALREADY with the newest public record: exit $prc, generation $(gen_of)" \
	bash -c "test $prc -eq 0 && test '$(gen_of)' = 2 && cmp -s '$S/backup.pkg' '$t/gen2.pkg'"
stop_spp

echo "1..$n"
[ "$failed" -eq 0 ]
