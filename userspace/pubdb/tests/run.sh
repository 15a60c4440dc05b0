#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# chipkey-pubdb HTTP tests with curl: on SQLite, then on a throw-away
# PostgreSQL server.  TAP output.  Who may write which generation:
# writers.sh, sourced here.
#   tests/run.sh BINDIR     (BINDIR holds chipkey-pubdb, chipkey-pubdb-put,
#                           chipkey-factory, chipkey-fuse, chipkey-emu, chipkey)
set -u
BIN=$(cd "${1:?bin dir}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
PGS=$top/scripts/pg-test-server.sh
. "$top/userspace/common/tests/tap.sh"
. "$here/writers.sh"
. "$top/userspace/common/tests/flip.sh"
. "$here/cms.sh"
. "$here/void.sh"
. "$here/crl.sh"
. "$here/legacy.sh"
. "$here/deadline.sh"
. "$here/http.sh"
. "$here/restart.sh"
tap() {	# tap RC NAME...
	local rc=$1; shift
	if [ "$rc" = 0 ]; then ok "$*"; else nok "$*"; fi
}
is() {	# is GOT WANT NAME...
	local got=$1 want=$2; shift 2
	[ "$got" = "$want" ]
	local rc=$?
	[ $rc = 0 ] || echo "# got '$got', want '$want'"
	tap $rc "$*"
}

tmp=$(mktemp -d /tmp/chipkey-pubdb-test.XXXXXX)
pgdir=
srv=
emus=()
cleanup() {
	[ -n "$srv" ] && kill "$srv" 2>/dev/null && wait "$srv" 2>/dev/null
	for p in "${emus[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	[ -n "$pgdir" ] && "$PGS" stop "$pgdir" >/dev/null 2>&1
	rm -rf "$tmp" ${pgdir:+"$pgdir"}
}
trap cleanup EXIT
cd "$tmp" || exit 1

# ---- credentials: a factory (manufacturer CA and key, SPP credential),
#      chips, their backups and device keys (writers.sh); a writer without
#      the role, a rogue CA and its writer, an RSA writer
ossl() { openssl "$@" >>openssl.log 2>&1 || { echo "# openssl $*: failed"; cat openssl.log | sed 's/^/# /'; exit 1; }; }
cat >ext.cnf <<'EOF'
[req]
distinguished_name = dn
x509_extensions = ca
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
authorityKeyIdentifier = keyid
EOF
mkca() {	# mkca NAME CN
	ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"
	ossl req -config ext.cnf -new -x509 -key "$1.key" -subj "/O=chipkey test/CN=$2" -days 30 \
		-out "$1.pem"
}
mkleaf() {	# mkleaf NAME SUBJECT CA
	ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"
	ossl req -config ext.cnf -new -key "$1.key" -subj "$2" -out "$1.csr"
	ossl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial -days 30 \
		-extfile ext.cnf -extensions leaf -out "$1.pem"
}
devices_setup || { echo "# setup failed:"; sed 's/^/# /' setup.log; exit 1; }
cp fac/mfr-ca.pem ca.pem && cp fac/mfr-key.pem ca.key && cp fac/ica-cert.pem ica.pem
# the generation-1 writer: the SPP's record signer, with its issuing CA
cp fac/record-key.pem spp.key && cat fac/record-cert.pem ica.pem >spp.pem
# the SPP's TLS credential, which may not write records
cp fac/spp-key.pem tls.key && cat fac/spp-cert.pem ica.pem >tls.pem
mkleaf norole "/O=chipkey test/OU=marketing/CN=not a writer" ca
mkca rogue "rogue CA"
mkleaf roguespp "/O=chipkey test/OU=chipkey-record-signer/CN=rogue station" rogue
cp ka/device-cert.der device.der && cat ka/device-cert.pem ica.pem >device.pem
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key
ossl req -config ext.cnf -new -key rsa.key -subj "/O=chipkey test/OU=chipkey-record-signer/CN=rsa writer" -out rsa.csr
ossl x509 -req -in rsa.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
	-extfile ext.cnf -extensions leaf -out rsa.pem
cp a1.pkg backup1 && cp a2.pkg backup2
head -c 100000 /dev/zero >big

CHIP=$CHIP_A
ID=$IA
PUT=$BIN/chipkey-pubdb-put

code() {	# code CURL-ARGS... -> HTTP status
	curl -s -o body.out -w '%{http_code}' --max-time 20 "$@"
}

start_server() {	# start_server DB-URL [MORE-OPTIONS...]
	local db=$1
	shift
	rm -f port
	"$BIN/chipkey-pubdb" --db "$db" --listen 127.0.0.1:0 --writers ca.pem \
		--max-body 65536 --threads 4 --timeout 5 --port-file port "$@" 2>>server.log &
	srv=$!
	for _ in $(seq 100); do [ -s port ] && break; sleep 0.05; done
	[ -s port ] || return 1
	U=http://127.0.0.1:$(cat port)
	C=$U/v1/chips/$CHIP
}

stop_server() {
	local rc
	kill -TERM "$srv"
	wait "$srv"
	rc=$?
	srv=
	return $rc
}

suite() {	# suite NAME DB-URL WRITERS-DB-URL [WRITERS-SQLITE-FILE]
	local tag=$1 rc
	echo "# pubdb on $tag"
	start_server "$2"
	tap $? "$tag: server up"

	# ---- reads of nothing and bad requests
	is "$(code "$C")" 404 "$tag: unknown chip -> 404"
	is "$(code "$C/backup")" 404 "$tag: unknown chip backup -> 404"
	is "$(code "$C/generations")" 404 "$tag: unknown chip generations -> 404"
	is "$(code "$U/v1/chips/00112233445566778899aabbccddeef")" 400 "$tag: 31 hex digits -> 400"
	is "$(code "$U/v1/chips/00112233445566778899aabbccddeeff0")" 400 "$tag: 33 hex digits -> 400"
	is "$(code "$U/v1/chips/00112233445566778899aabbccddeegg")" 400 "$tag: non-hex chip ID -> 400"
	is "$(code "$C/generations/0")" 400 "$tag: generation 0 -> 400"
	is "$(code "$C/generations/x1")" 400 "$tag: generation not a number -> 400"
	is "$(code "$U/v1/nothing")" 404 "$tag: unknown path -> 404"
	is "$(code -X DELETE "$C")" 405 "$tag: DELETE -> 405"
	is "$(code -X PUT --data-binary @backup1 "$C/generations")" 405 "$tag: PUT -> 405"
	is "$(code --data-binary @backup1 "$C")" 405 "$tag: POST to the chip resource -> 405"
	curl -s -D hdr.out -o /dev/null -X DELETE "$C"
	grep -qi '^Allow: GET, HEAD' hdr.out
	tap $? "$tag: 405 carries an Allow header"

	# ---- refused writes
	is "$(code --data-binary @big "$C/generations")" 413 "$tag: body over --max-body (Content-Length) -> 413"
	is "$(code -H 'Transfer-Encoding: chunked' --data-binary @big "$C/generations")" 413 \
		"$tag: chunked body over --max-body -> 413"
	is "$(code --data-binary @backup1 "$C/generations")" 400 "$tag: garbage body -> 400"
	is "$(code --data-binary '' "$C/generations")" 400 "$tag: empty body -> 400"
	grep -q 'empty record' body.out
	tap $? "$tag: empty body: the error names the empty record"
	is "$(code -H 'Transfer-Encoding: chunked' --data-binary '' "$C/generations")" 400 \
		"$tag: empty chunked body -> 400"
	# format 1 ("CKPR") is refused for new writes, signed or not
	"$PUT" --unsigned --chip $CHIP --generation 1 --identity $ID --backup backup1 \
		--device-cert device.der --out unsigned.rec --no-post
	is "$(code --data-binary @unsigned.rec "$C/generations")" 400 "$tag: unsigned record -> 400"
	grep -q 'format 1' body.out
	tap $? "$tag: ... the error says format 1 is no longer accepted"
	"$PUT" --format 1 --key spp.key --cert spp.pem --chip $CHIP --generation 1 --identity $ID \
		--backup backup1 --device-cert device.der --out v1.rec --no-post
	is "$(code --data-binary @v1.rec "$C/generations")" 400 \
		"$tag: a genuine SPP record in format 1 (CKPR) -> 400"
	"$PUT" --key spp.key --cert spp.pem --chip $CHIP --generation 1 --identity $ID \
		--backup backup1 --device-cert device.pem --out good1.rec --no-post
	tap $? "$tag: chipkey-pubdb-put builds a signed record"
	head -c 47 good1.rec >short.rec
	is "$(code --data-binary @short.rec "$C/generations")" 400 \
		"$tag: record cut in its head -> 400"
	head -c $(($(stat -c %s good1.rec) - 1)) good1.rec >short.rec
	is "$(code --data-binary @short.rec "$C/generations")" 400 \
		"$tag: record cut in its signature -> 400"
	{ cat good1.rec; printf x; } >long.rec
	is "$(code --data-binary @long.rec "$C/generations")" 400 \
		"$tag: record with a trailing byte -> 400"
	"$PUT" --url "$U" --unsigned --chip $CHIP --generation 1 --identity $ID --backup backup1 \
		--device-cert device.der >/dev/null 2>&1
	is $? 6 "$tag: client: unsigned record refused (400) -> exit 6 (malformed)"
	cms_attacks "$tag"
	"$PUT" --key roguespp.key --cert roguespp.pem --chip $CHIP --generation 1 --identity $ID \
		--backup backup1 --device-cert device.der --out rogue.rec --no-post
	is "$(code --data-binary @rogue.rec "$C/generations")" 401 "$tag: writer from another CA -> 401"
	"$PUT" --key norole.key --cert norole.pem --chip $CHIP --generation 1 --identity $ID \
		--backup backup1 --device-cert device.der --out norole.rec --no-post
	is "$(code --data-binary @norole.rec "$C/generations")" 403 "$tag: writer without OU=chipkey-record-signer -> 403"
	# the SPP's TLS key (spp-key.pem, chained to the root through the
	# issuing CA) is no record writer
	"$PUT" --key tls.key --cert tls.pem --chip $CHIP --generation 1 --identity $ID \
		--backup backup1 --device-cert device.der --out tls.rec --no-post
	is "$(code --data-binary @tls.rec "$C/generations")" 403 \
		"$tag: generation 1 signed with the SPP's TLS key (spp-key.pem) -> 403"
	grep -q 'record signer' body.out
	tap $? "$tag: ... the error names the record signer"
	"$PUT" --key rsa.key --cert rsa.pem --chip $CHIP --generation 1 --identity $ID \
		--backup backup1 --device-cert device.der --out rsa.rec --no-post 2>/dev/null
	rc=$?
	if [ $rc = 0 ]; then
		is "$(code --data-binary @rsa.rec "$C/generations")" 401 "$tag: RSA writer key -> 401"
	else
		tap 0 "$tag: RSA writer key refused by the signer"
	fi
	is "$(code --data-binary @good1.rec "$U/v1/chips/ffeeddccbbaa99887766554433221100/generations")" 400 \
		"$tag: record for another chip than the URL -> 400"
	"$PUT" --key spp.key --cert spp.pem --chip $CHIP --generation 1 --identity ${ID%?}$(( (${ID: -1} + 1) % 10 )) \
		--backup backup1 --device-cert device.der --no-post 2>/dev/null
	tap $([ $? != 0 ]; echo $?) "$tag: signer refuses an identity with a bad check digit"
	is "$(code "$C")" 404 "$tag: nothing was stored by refused writes"

	# ---- accepted writes
	is "$(code -H 'Content-Type: application/vnd.chipkey.record' --data-binary @good1.rec "$C/generations")" 201 \
		"$tag: signed record (curl) -> 201"
	grep -q '"generation": 1' body.out
	tap $? "$tag: 201 body names generation 1"
	is "$(code --data-binary @good1.rec "$C/generations")" 409 "$tag: same generation again -> 409"
	is "$(code --data-binary @ossl-good.rec "$C/generations")" 409 \
		"$tag: a record made by openssl cms -sign passes parse and signature checks (409)"
	"$PUT" --url "$U" --key spp.key --cert spp.pem --chip $CHIP --generation 3 --identity $ID \
		--backup a3.pkg --device-cert device.der >put.out 2>&1
	is $? 22 "$tag: generation 3 after 1 -> 409 (client exit 22, conflict)"
	"$PUT" --url "$U" --key spp.key --cert spp.pem --chip $CHIP --generation 2 --identity $ID \
		--backup backup2 --device-cert device.der >put.out 2>&1
	is $? 20 "$tag: generation 2 by the SPP -> 403 (client exit 20, refused)"
	"$PUT" --url "$U" --key ka/device-key.pem --cert device.pem --chip $CHIP --generation 2 \
		--identity $ID --backup backup2 --device-cert device.der >put.out 2>&1
	tap $? "$tag: chipkey-pubdb-put posts generation 2 as the device (libcurl client)"
	"$PUT" --url "$U" --key ka/device-key.pem --cert device.pem --chip $CHIP --generation 1 \
		--identity $ID --backup backup1 --device-cert device.der >put.out 2>&1
	is $? 22 "$tag: generation 1 after 2 -> 409 (client exit 22, conflict)"

	# ---- reads
	is "$(code "$C")" 200 "$tag: GET chip -> 200"
	grep -q '"generation": 2,' body.out && grep -q "\"identity\": \"$ID\"" body.out &&
		grep -q "\"chip_id\": \"$CHIP\"" body.out
	tap $? "$tag: JSON has chip ID, latest generation 2, identity"
	cp body.out "latest-$tag.json"
	created=$(sed -n 's/^  "created": "\([0-9-]*T[0-9:]*Z\)",$/\1/p' body.out)
	age=$(( $(date -u +%s) - $(date -u -d "$created" +%s 2>/dev/null || echo 0) ))
	tap $([ -n "$created" ] && [ "$age" -ge 0 ] && [ "$age" -lt 600 ]; echo $?) \
		"$tag: JSON created is an ISO 8601 UTC time of this run ($created, ${age}s ago)"
	sed -n 's/^  "certificate": "\(.*\)",$/\1/p' body.out | sed 's/\\n/\n/g' >got.pem
	cmp -s <(openssl x509 -in got.pem -outform DER 2>/dev/null) device.der
	tap $? "$tag: JSON certificate (PEM) is the device certificate"
	openssl verify -CAfile ca.pem -untrusted ica.pem got.pem >/dev/null 2>&1
	tap $? "$tag: openssl verify accepts the served certificate"
	sed -n 's/^  "backup": "\(.*\)",$/\1/p' body.out | base64 -d >got.b64 2>/dev/null
	cmp -s got.b64 backup2
	tap $? "$tag: JSON backup (base64) is generation 2's backup"
	is "$(code "$C/backup")" 200 "$tag: GET backup -> 200"
	cmp -s body.out backup2
	tap $? "$tag: raw backup is the latest"
	curl -s -D - -o /dev/null "$C/backup" | grep -qi '^Content-Type: application/octet-stream'
	tap $? "$tag: backup served as application/octet-stream"
	is "$(code "$C/generations/1/backup")" 200 "$tag: GET generation 1 backup -> 200"
	cmp -s body.out backup1
	tap $? "$tag: generation 1 backup unchanged"
	is "$(code "$C/generations/1")" 200 "$tag: GET generation 1 -> 200"
	grep -q '"generation": 1,' body.out
	tap $? "$tag: generation 1 JSON"
	is "$(code "$C/generations/3")" 404 "$tag: GET generation 3 (never stored) -> 404"
	is "$(code "$C/generations")" 200 "$tag: GET generations -> 200"
	gens=$(grep -o '"generation": [0-9]*' body.out | awk '{print $2}' | tr '\n' ' ')
	is "$gens" "1 2 " "$tag: generations list is [1, 2]"
	is "$(code -I "$C")" 200 "$tag: HEAD chip -> 200"
	curl -s -v -o /dev/null -o /dev/null "$C" "$C/backup" 2>&1 | grep -qi 're-using existing connection'
	tap $? "$tag: keep-alive: a second GET reuses the connection"
	"$PUT" --url "$U" --get $CHIP --verify ca.pem --backup-out fetched >get.out 2>&1
	rc=$?
	grep -q '^verify valid' get.out && cmp -s fetched backup2
	tap $(( rc | $? )) "$tag: client fetches the signed record and re-verifies it"
	cms_reads "$tag"
	"$PUT" --url "$U" --get $CHIP --generation 1 --verify rogue.pem >get.out 2>&1
	tap $([ $? != 0 ] && grep -q 'not trusted' get.out; echo $?) \
		"$tag: re-verification against another CA fails"
	"$PUT" --url "$U" --get ffeeddccbbaa99887766554433221100 >/dev/null 2>&1
	is $? 9 "$tag: client: unknown chip -> exit 9 (not found)"

	# ---- many concurrent readers and one slow client do not block
	( exec 3<>/dev/tcp/127.0.0.1/"$(cat port)"; printf 'GET /v1/chips/%s HTTP/1.1\r\n' $CHIP >&3; sleep 8 ) &
	slow=$!
	local getters=() got
	for _ in $(seq 8); do
		( for _ in $(seq 25); do curl -s -o /dev/null -w '%{http_code}\n' "$C"; done ) &
		getters+=($!)
	done >codes.out
	wait "${getters[@]}" 2>/dev/null
	got=$(grep -c '^200$' codes.out)
	is "$got" 200 "$tag: 200 concurrent GETs (8 clients) while a client stalls mid-request"
	kill $slow 2>/dev/null
	wait $slow 2>/dev/null

	stop_server
	tap $? "$tag: server exits 0 on SIGTERM"

	# who may write which generation, on a database of its own
	start_server "$3"
	tap $? "$tag: server up on a fresh database"
	writer_attacks "$tag" "${4:-}"
	void_tests "$tag" "${4:-}"
	stop_server
}

suite sqlite "sqlite:$tmp/pub.db" "sqlite:$tmp/writers.db" "$tmp/writers.db"
# restart on the same file: data persists
start_server "sqlite:$tmp/pub.db"
is "$(code "$C/generations/2/backup")" 200 "sqlite: data survives a restart"
stop_server
# without the memory map (pread() only): the same bytes
start_server "sqlite:$tmp/pub.db" --mmap-mib 0 --cache-mib 1
is "$(code "$C")" 200 "sqlite: GET chip with --mmap-mib 0 -> 200"
cmp -s body.out latest-sqlite.json
tap $? "sqlite: the same JSON without the memory map as with it"
stop_server

# one address cannot take every connection: with --max-per-ip 2, a third
# connection from 127.0.0.1 is refused while two are held, and served again
# once they are gone
# (one thread: connections are counted in the order they were accepted;
# a timeout longer than the wait below: a close is seen, not timed out)
start_server "sqlite:$tmp/pub.db" --max-per-ip 2 --threads 1 --timeout 60
tap $? "sqlite: server starts with --max-per-ip 2"
is "$(code "$C")" 200 "sqlite: --max-per-ip 2: one connection is served"
# (held by this shell: connected before curl's, and the server accepts in
# that order)
exec 5<>/dev/tcp/127.0.0.1/"$(cat port)" 6<>/dev/tcp/127.0.0.1/"$(cat port)"
[ "$(curl -s -m 3 -o /dev/null -w '%{http_code}' "$C")" != 200 ]
tap $? "sqlite: --max-per-ip 2: a third connection from one address is refused"
exec 5>&- 6>&-
# the server sees them closed when it next polls: up to 10 s
for _ in $(seq 100); do [ "$(code "$C")" = 200 ] && break; sleep 0.1; done
is "$(code "$C")" 200 "sqlite: --max-per-ip 2: served again once the others closed"
stop_server

crl_tests sqlite "sqlite:$tmp/crl.db"
crl_rotation_tests sqlite "$tmp"
legacy_tests sqlite "sqlite:$tmp/legacy.db"
legacy_crl_tests sqlite "sqlite:$tmp/legacy-crl.db"
deadline_tests sqlite "sqlite:$tmp/deadline.db"
http_tests sqlite "sqlite:$tmp/http.db"

# exit codes (common/exit.h) without a server
"$PUT" --url http://127.0.0.1:1 --get $CHIP >/dev/null 2>&1
is $? 10 "client: no server -> exit 10 (network)"
"$PUT" --no-such-option >/dev/null 2>&1
is $? 1 "client: unknown option -> exit 1 (usage)"
"$PUT" --url http://127.0.0.1:1 --get 0011 >/dev/null 2>&1
is $? 1 "client: a chip ID that is not 32 hex digits -> exit 1 (usage)"
"$BIN/chipkey-pubdb" --db "sqlite:$tmp/pub.db" --listen 127.0.0.1 --writers ca.pem 2>/dev/null
is $? 1 "server: --listen without a port -> exit 1 (usage)"
"$BIN/chipkey-pubdb" --db "sqlite:$tmp/pub.db" --listen 127.0.0.1:0 --writers nonexistent.pem \
	2>/dev/null
is $? 8 "server: unreadable --writers -> exit 8 (other)"

pgdir=$(mktemp -d /tmp/chipkey-pg.XXXXXX)
out=$("$PGS" start "$pgdir" 2>&1)
rc=$?
if [ $rc = 77 ]; then
	skip "postgresql pubdb suite" "PostgreSQL server binaries not installed"
else
	tap $rc "postgresql: throw-away server started"
	if [ $rc = 0 ]; then
		suite postgresql "$("$PGS" createdb "$pgdir" chipkey_pubdb_test)" \
			"$("$PGS" createdb "$pgdir" chipkey_pubdb_writers)"
		restart_tests postgresql "$("$PGS" createdb "$pgdir" chipkey_pubdb_restart)" "$pgdir"
	else
		echo "$out" | sed 's/^/# /'
	fi
fi
if [ $tap_failed != 0 ]; then
	echo "# server log:"
	sed 's/^/# /' "$tmp/server.log"
fi
echo "1..$tap_n"
[ $tap_failed = 0 ]
