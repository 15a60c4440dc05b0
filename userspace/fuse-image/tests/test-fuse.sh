#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# chipkey-fuse and the start of chipkey-emu: the exit code of every error
# class (userspace/common/exit.h; docs/fuse-image.md, docs/emulator-protocol.md)
# and what chipkey-fuse writes and shows.  TAP on stdout.
#
#   test-fuse.sh BINDIR
set -u
bin=${1:?usage: test-fuse.sh BINDIR}
fuse="$bin/chipkey-fuse"
emu="$bin/chipkey-emu"
t=$(mktemp -d /tmp/chipkey-test-fuse-XXXXXX)
trap 'rm -rf "$t"' EXIT
tap_out=$t/out tap_err=$t/err
. "$(dirname "$0")/../../common/tests/tap.sh"
openssl ecparam -name prime256v1 -genkey -noout -out "$t/rom.pem" 2>/dev/null
openssl pkey -in "$t/rom.pem" -pubout -outform DER -out "$t/rom.der" 2>/dev/null
id=00112233445566778899aabbccddeeff

# ---- chipkey-fuse create
expect_exit 0 "create" -- "$fuse" create "$t/a.bin" --rom-key "$t/rom.pem" --chip-id $id
check "the image is 512 bytes, mode 0600" test "$(stat -c %s:%a "$t/a.bin")" = 512:600
check "magic, chip ID and ROM key at their offsets" bash -c "
	test \"\$(head -c 8 '$t/a.bin')\" = CKFUSE01 &&
	test \"\$(od -An -tx1 -j8 -N16 '$t/a.bin' | tr -d ' \n')\" = $id &&
	cmp -s <(tail -c +65 '$t/a.bin' | head -c $(stat -c %s "$t/rom.der")) '$t/rom.der'"
expect_exit 0 "create --force replaces" -- \
	"$fuse" create "$t/a.bin" --rom-key "$t/rom.der" --chip-id $id --force
expect_exit 22 "create over an existing image without --force: conflict" -- \
	"$fuse" create "$t/a.bin" --rom-key "$t/rom.pem"
expect_exit 1 "create with a bad --chip-id: usage" -- \
	"$fuse" create "$t/x.bin" --rom-key "$t/rom.pem" --chip-id 12zz
expect_exit 1 "create with a bad --unprogrammed: usage" -- \
	"$fuse" create "$t/x.bin" --rom-key "$t/rom.pem" --unprogrammed maybe
expect_exit 1 "create without --rom-key: usage" -- "$fuse" create "$t/x.bin"
expect_exit 9 "create with a missing key file: not-found" -- \
	"$fuse" create "$t/x.bin" --rom-key "$t/none.pem"
expect_exit 6 "create with a key file that is no key: malformed" -- \
	"$fuse" create "$t/x.bin" --rom-key "$t/a.bin"
openssl genrsa 4096 2>/dev/null >"$t/rsa.pem"
expect_exit 7 "create with a ROM key over 448 bytes as DER: too-large" -- \
	"$fuse" create "$t/x.bin" --rom-key "$t/rsa.pem"
check "no image left behind by failed creates" test ! -e "$t/x.bin"
expect_exit 1 "unknown command: usage" -- "$fuse" frobnicate

# ---- chipkey-fuse show
expect_exit 0 "show" -- "$fuse" show "$t/a.bin"
check "show prints the chip ID and says programmed" \
	bash -c "grep -q $id '$t/out' && grep -q 'programmed (secret' '$t/out'"
expect_exit 9 "show a missing file: not-found" -- "$fuse" show "$t/none.bin"
head -c 511 "$t/a.bin" >"$t/short.bin"
expect_exit 6 "show a 511-byte file: malformed" -- "$fuse" show "$t/short.bin"
cp "$t/a.bin" "$t/badrom.bin"
printf '\001' | dd of="$t/badrom.bin" bs=1 seek=511 conv=notrunc 2>/dev/null
expect_exit 6 "show an image with a malformed ROM region: malformed" -- \
	"$fuse" show "$t/badrom.bin"
expect_exit 0 "create --unprogrammed zero" -- \
	"$fuse" create "$t/zero.bin" --rom-key "$t/rom.pem" --unprogrammed zero
expect_exit 0 "show an unprogrammed image" -- "$fuse" show "$t/zero.bin"
check "... says UNPROGRAMMED (all 0x00)" grep -q 'UNPROGRAMMED (all 0x00)' "$t/out"

# ---- chipkey-fuse ca: the chip-vendor CA (docs/chip-certificates.md)
oracle="$(dirname "$0")/../../../scripts/ck_attest_oracle.py"
have_oracle=
if [ -x "$oracle" ] && python3 -c 'import cryptography' 2>/dev/null; then
	have_oracle=yes
fi
# The last 65 bytes of the DER SubjectPublicKeyInfo of a certificate: the
# point (openssl, not chipkey-fuse, decodes it).
cert_point() {
	openssl x509 -in "$1" -noout -pubkey |
		openssl pkey -pubin -outform DER | tail -c 65 | od -An -tx1 -v | tr -d ' \n'
}
expect_exit 0 "ca" -- "$fuse" ca --out-key "$t/ca.key" --out-cert "$t/ca.pem"
check "the CA key is mode 0600" test "$(stat -c %a "$t/ca.key")" = 600
openssl x509 -in "$t/ca.pem" -noout -text >"$t/ca.txt" 2>&1
check "the CA is self-signed and openssl verify accepts it" \
	bash -c "openssl verify -CAfile '$t/ca.pem' '$t/ca.pem' >/dev/null 2>&1"
check "... P-256, basicConstraints critical CA:TRUE" bash -c "
	grep -q 'NIST CURVE: P-256' '$t/ca.txt' &&
	grep -A1 'Basic Constraints: critical' '$t/ca.txt' | grep -q 'CA:TRUE'"
check "... keyUsage critical keyCertSign + cRLSign only" bash -c "
	grep -A1 'Key Usage: critical' '$t/ca.txt' | tail -1 |
		grep -qx '[[:space:]]*Certificate Sign, CRL Sign'"
check "... a subject key identifier" grep -q 'Subject Key Identifier' "$t/ca.txt"
check "... the key file holds the certificate's key" bash -c "
	cmp -s <(openssl pkey -in '$t/ca.key' -pubout 2>/dev/null) \
	       <(openssl x509 -in '$t/ca.pem' -noout -pubkey)"
cp "$t/ca.key" "$t/ca.key.orig"; cp "$t/ca.pem" "$t/ca.pem.orig"
expect_exit 22 "ca over an existing key without --force: conflict" -- \
	"$fuse" ca --out-key "$t/ca.key" --out-cert "$t/new-ca.pem"
check "... nothing written" bash -c "cmp -s '$t/ca.key' '$t/ca.key.orig' && test ! -e '$t/new-ca.pem'"
expect_exit 22 "ca over an existing certificate without --force: conflict" -- \
	"$fuse" ca --out-key "$t/new-ca.key" --out-cert "$t/ca.pem"
check "... nothing written" bash -c "cmp -s '$t/ca.pem' '$t/ca.pem.orig' && test ! -e '$t/new-ca.key'"
expect_exit 0 "ca --force with --subject and --days" -- "$fuse" ca --force \
	--out-key "$t/ca2.key" --out-cert "$t/ca2.pem" \
	--subject "/C=DE/O=Example Chips\/Fab 2/CN=Example chip CA" --days 7300
expect_exit 0 "ca --force replaces" -- "$fuse" ca --force \
	--out-key "$t/ca2.key" --out-cert "$t/ca2.pem" \
	--subject "/C=DE/O=Example Chips\/Fab 2/CN=Example chip CA" --days 7300
check "... the key changed" bash -c "! cmp -s '$t/ca2.key' '$t/ca.key'"
check "... the subject as given ('\\/' is a slash)" bash -c "
	openssl x509 -in '$t/ca2.pem' -noout -subject -nameopt RFC2253 |
		grep -qx 'subject=CN=Example chip CA,O=Example Chips/Fab 2,C=DE'"
check "... notAfter 7300 days on" bash -c "
	na=\$(date -d \"\$(openssl x509 -in '$t/ca2.pem' -noout -enddate | cut -d= -f2)\" +%s)
	d=\$(( (na - \$(date +%s)) / 86400 )); [ \$d -ge 7299 ] && [ \$d -le 7300 ]"
expect_exit 1 "ca without --out-cert: usage" -- "$fuse" ca --out-key "$t/x.key"
expect_exit 1 "ca with an extra argument: usage" -- \
	"$fuse" ca --out-key "$t/x.key" --out-cert "$t/x.pem" extra
expect_exit 1 "ca with the same file twice: usage" -- \
	"$fuse" ca --out-key "$t/x.key" --out-cert "$t/x.key"
for subj in "O=x" "/O" "/O=" "/=x" "/" "/NOSUCHTYPE=x" "/O=x/"; do
	expect_exit 1 "ca --subject '$subj': usage" -- \
		"$fuse" ca --out-key "$t/x.key" --out-cert "$t/x.pem" --subject "$subj"
done
for days in -1 abc 36501 ""; do
	expect_exit 1 "ca --days '$days': usage" -- \
		"$fuse" ca --out-key "$t/x.key" --out-cert "$t/x.pem" --days "$days"
done
expect_exit 8 "ca whose certificate cannot be written: other" -- \
	"$fuse" ca --out-key "$t/x.key" --out-cert "$t/nodir/x.pem"
check "no CA files left behind by failed runs" bash -c "test ! -e '$t/x.key' && test ! -e '$t/x.pem'"

# ---- chip certificates: create --cert and cert
cid=0123456789abcdef0123456789abcdef
expect_exit 0 "create --cert" -- "$fuse" create "$t/c.bin" --rom-key "$t/rom.pem" \
	--chip-id $cid --cert "$t/c.pem" --ca-key "$t/ca.key" --ca-cert "$t/ca.pem"
check "... the image is 512 bytes, mode 0600, and names the chip" bash -c "
	test \"\$(stat -c %s:%a '$t/c.bin')\" = 512:600 &&
	test \"\$(od -An -tx1 -j8 -N16 '$t/c.bin' | tr -d ' \n')\" = $cid"
check "openssl verify accepts the chip certificate under the CA" bash -c "
	openssl verify -CAfile '$t/ca.pem' '$t/c.pem' | grep -q ': OK\$'"
openssl x509 -in "$t/c.pem" -noout -text >"$t/c.txt" 2>&1
check "openssl x509 -text shows the chip ID in CN and serialNumber" \
	grep -q "Subject: CN = chipkey chip $cid, serialNumber = $cid\$" "$t/c.txt"
check "... and in the subjectAltName URI" \
	grep -q "URI:urn:chipkey:chip-id:$cid\$" "$t/c.txt"
check "... v3, keyUsage critical keyAgreement only, CA:FALSE critical" bash -c "
	grep -q 'Version: 3 (0x2)' '$t/c.txt' &&
	grep -A1 'Key Usage: critical' '$t/c.txt' | tail -1 | grep -qx '[[:space:]]*Key Agreement' &&
	grep -A1 'Basic Constraints: critical' '$t/c.txt' | tail -1 | grep -qx '[[:space:]]*CA:FALSE'"
check "... P-256 key, ECDSA-SHA256 signature" bash -c "
	grep -q 'NIST CURVE: P-256' '$t/c.txt' &&
	grep -q 'Signature Algorithm: ecdsa-with-SHA256' '$t/c.txt'"
check "... issuer = the CA's subject" test \
	"$(openssl x509 -in "$t/c.pem" -noout -issuer | cut -d= -f2-)" = \
	"$(openssl x509 -in "$t/ca.pem" -noout -subject | cut -d= -f2-)"
check "... authority key identifier = the CA's subject key identifier" test \
	"$(grep -A1 'Authority Key Identifier' "$t/c.txt" | tail -1 | tr -d ' ')" = \
	"$(grep -A1 'Subject Key Identifier' "$t/ca.txt" | tail -1 | tr -d ' ')"
check "... a subject key identifier" grep -q 'Subject Key Identifier' "$t/c.txt"
check "... a 16-byte serial number" bash -c "
	s=\$(openssl x509 -in '$t/c.pem' -noout -serial | cut -d= -f2); test \${#s} -eq 32"
check "... no expiry by default (99991231235959Z)" bash -c "
	openssl x509 -in '$t/c.pem' -noout -enddate | grep -q 'Dec 31 23:59:59 9999 GMT'"
check "the chip certificate is mode 0644" test "$(stat -c %a "$t/c.pem")" = 644
q=$(cert_point "$t/c.pem")
if [ -n "$have_oracle" ]; then
	check "the certificate's key is Q of the independent oracle" \
		test "$q" = "$("$oracle" pub "$t/c.bin")"
else
	skip "the certificate's key is Q of the independent oracle" \
		"scripts/ck_attest_oracle.py or python3-cryptography missing"
fi
expect_exit 0 "cert for the existing image" -- "$fuse" cert "$t/c.bin" \
	--ca-key "$t/ca.key" --ca-cert "$t/ca.pem" --out "$t/c2.pem"
check "... verifies" bash -c "openssl verify -CAfile '$t/ca.pem' '$t/c2.pem' >/dev/null 2>&1"
check "... the same key as create --cert's" test "$(cert_point "$t/c2.pem")" = "$q"
check "... a fresh serial number" test "$(openssl x509 -in "$t/c2.pem" -noout -serial)" != \
	"$(openssl x509 -in "$t/c.pem" -noout -serial)"
expect_exit 0 "cert --days 30 under the second CA" -- "$fuse" cert "$t/a.bin" \
	--ca-key "$t/ca2.key" --ca-cert "$t/ca2.pem" --out "$t/a2.pem" --days 30
check "... verifies under that CA, notAfter 30 days on" bash -c "
	openssl verify -CAfile '$t/ca2.pem' '$t/a2.pem' >/dev/null 2>&1 &&
	na=\$(date -d \"\$(openssl x509 -in '$t/a2.pem' -noout -enddate | cut -d= -f2)\" +%s) &&
	d=\$(( (na - \$(date +%s)) / 86400 )) && [ \$d -ge 29 ] && [ \$d -le 30 ]"
check "... the chip ID of image a.bin" bash -c "
	openssl x509 -in '$t/a2.pem' -noout -subject | grep -q 'CN = chipkey chip $id,'"
check "... another key than c.bin's" test "$(cert_point "$t/a2.pem")" != "$q"
if [ -n "$have_oracle" ]; then
	check "... and its key is Q of the oracle for a.bin" \
		test "$(cert_point "$t/a2.pem")" = "$("$oracle" pub "$t/a.bin")"
else
	skip "... and its key is Q of the oracle for a.bin" "oracle missing"
fi
# a CA made elsewhere, with an Ed25519 key (no digest in the signature)
openssl genpkey -algorithm ed25519 -out "$t/ed.key" 2>/dev/null
openssl req -x509 -new -key "$t/ed.key" -subj /CN=ed25519-ca -days 10 \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
	-out "$t/ed.pem" 2>/dev/null
expect_exit 0 "cert under an Ed25519 CA made by openssl" -- "$fuse" cert "$t/c.bin" \
	--ca-key "$t/ed.key" --ca-cert "$t/ed.pem" --out "$t/c-ed.pem"
check "... verifies, signed with ED25519" bash -c "
	openssl verify -CAfile '$t/ed.pem' '$t/c-ed.pem' >/dev/null 2>&1 &&
	openssl x509 -in '$t/c-ed.pem' -noout -text | grep -q 'Signature Algorithm: ED25519'"
check "... the same key" test "$(cert_point "$t/c-ed.pem")" = "$q"
check "a chip certificate does not verify under another CA" bash -c "
	! openssl verify -CAfile '$t/ca2.pem' '$t/c.pem' >/dev/null 2>&1 &&
	! openssl verify -CAfile '$t/ca.pem' '$t/a2.pem' >/dev/null 2>&1"
openssl x509 -in "$t/c.pem" -outform DER -out "$t/c.der"
len=$(stat -c %s "$t/c.der")
# one byte of the chip ID in the SAN (to-be-signed part), one of the signature
for off in $(($(grep -obUa "urn:chipkey:chip-id:" "$t/c.der" | cut -d: -f1) + 25)) $((len - 5)); do
	cp "$t/c.der" "$t/bad.der"
	b=$(od -An -tu1 -j$off -N1 "$t/c.der" | tr -d ' ')
	printf "\\$(printf %03o $((b ^ 1)))" | dd of="$t/bad.der" bs=1 seek=$off conv=notrunc 2>/dev/null
	openssl x509 -inform DER -in "$t/bad.der" -out "$t/bad.pem" 2>/dev/null
	check "a chip certificate with byte $off of $len flipped fails openssl verify" bash -c "
		test -s '$t/bad.pem' && ! cmp -s '$t/bad.der' '$t/c.der' &&
		! openssl verify -CAfile '$t/ca.pem' '$t/bad.pem' >/dev/null 2>&1"
done

# ---- chip certificates: refusals
ca=(--ca-key "$t/ca.key" --ca-cert "$t/ca.pem")
expect_exit 22 "cert over an existing file without --force: conflict" -- \
	"$fuse" cert "$t/c.bin" "${ca[@]}" --out "$t/c2.pem"
expect_exit 0 "cert --force replaces" -- \
	"$fuse" cert "$t/c.bin" "${ca[@]}" --out "$t/c2.pem" --force
expect_exit 22 "create --cert over an existing certificate: conflict" -- \
	"$fuse" create "$t/y.bin" --rom-key "$t/rom.pem" --cert "$t/c.pem" "${ca[@]}"
check "... and no image written" test ! -e "$t/y.bin"
expect_exit 1 "create --cert without --ca-cert: usage" -- \
	"$fuse" create "$t/y.bin" --rom-key "$t/rom.pem" --cert "$t/y.pem" --ca-key "$t/ca.key"
expect_exit 1 "create --ca-key alone: usage" -- \
	"$fuse" create "$t/y.bin" --rom-key "$t/rom.pem" --ca-key "$t/ca.key"
expect_exit 1 "create --days without --cert: usage" -- \
	"$fuse" create "$t/y.bin" --rom-key "$t/rom.pem" --days 5
expect_exit 1 "create --cert --unprogrammed: usage" -- \
	"$fuse" create "$t/y.bin" --rom-key "$t/rom.pem" --unprogrammed zero \
	--cert "$t/y.pem" "${ca[@]}"
expect_exit 1 "create --cert --days -3: usage" -- \
	"$fuse" create "$t/y.bin" --rom-key "$t/rom.pem" --cert "$t/y.pem" "${ca[@]}" --days -3
expect_exit 9 "create --cert with a missing CA key: not-found" -- \
	"$fuse" create "$t/y.bin" --rom-key "$t/rom.pem" --cert "$t/y.pem" \
	--ca-key "$t/none.key" --ca-cert "$t/ca.pem"
expect_exit 6 "create --cert with a CA key that is no private key: malformed" -- \
	"$fuse" create "$t/y.bin" --rom-key "$t/rom.pem" --cert "$t/y.pem" \
	--ca-key "$t/rom.der" --ca-cert "$t/ca.pem"
expect_exit 6 "create --cert with a CA certificate that is no certificate: malformed" -- \
	"$fuse" create "$t/y.bin" --rom-key "$t/rom.pem" --cert "$t/y.pem" \
	--ca-key "$t/ca.key" --ca-cert "$t/ca.key"
expect_exit 11 "create --cert with another CA's key: bad-cert" -- \
	"$fuse" create "$t/y.bin" --rom-key "$t/rom.pem" --cert "$t/y.pem" \
	--ca-key "$t/ca2.key" --ca-cert "$t/ca.pem"
openssl req -x509 -new -key "$t/rom.pem" -subj /CN=leaf -days 30 \
	-addext basicConstraints=critical,CA:FALSE -out "$t/leaf.pem" 2>/dev/null
expect_exit 11 "create --cert with a certificate that is not a CA: bad-cert" -- \
	"$fuse" create "$t/y.bin" --rom-key "$t/rom.pem" --cert "$t/y.pem" \
	--ca-key "$t/rom.pem" --ca-cert "$t/leaf.pem"
expect_exit 8 "create --cert whose certificate cannot be written: other" -- \
	"$fuse" create "$t/y.bin" --rom-key "$t/rom.pem" --cert "$t/nodir/y.pem" "${ca[@]}"
# CA certificates outside their validity period (made with openssl ca)
mkdir "$t/oca" && : >"$t/oca/index.txt" && echo 01 >"$t/oca/serial"
printf '%s\n' '[ca]' 'default_ca = d' '[d]' "database = $t/oca/index.txt" \
	"new_certs_dir = $t/oca" "serial = $t/oca/serial" 'default_md = sha256' \
	'policy = p' 'x509_extensions = e' 'unique_subject = no' '[p]' 'commonName = supplied' '[e]' \
	'basicConstraints = critical,CA:TRUE' 'keyUsage = critical,keyCertSign' \
	'subjectKeyIdentifier = hash' >"$t/oca/ca.cnf"
openssl req -new -key "$t/rom.pem" -subj /CN=dated -out "$t/oca/ca.csr" 2>/dev/null
for when in "expired:20200101000000Z:20210101000000Z" "not-yet-valid:20990101000000Z:21000101000000Z"; do
	IFS=: read -r what from to <<<"$when"
	openssl ca -batch -config "$t/oca/ca.cnf" -selfsign -keyfile "$t/rom.pem" \
		-in "$t/oca/ca.csr" -startdate $from -enddate $to \
		-out "$t/oca/$what.pem" >/dev/null 2>&1
	expect_exit 11 "create --cert with a CA certificate that is $what: bad-cert" -- \
		"$fuse" create "$t/y.bin" --rom-key "$t/rom.pem" --cert "$t/y.pem" \
		--ca-key "$t/rom.pem" --ca-cert "$t/oca/$what.pem"
done
check "no image or certificate left behind by failed creates" \
	bash -c "test ! -e '$t/y.bin' && test ! -e '$t/y.pem'"
expect_exit 1 "cert without --out: usage" -- "$fuse" cert "$t/c.bin" "${ca[@]}"
expect_exit 1 "cert without FILE: usage" -- "$fuse" cert "${ca[@]}" --out "$t/y.pem"
expect_exit 9 "cert of a missing image: not-found" -- \
	"$fuse" cert "$t/none.bin" "${ca[@]}" --out "$t/y.pem"
expect_exit 6 "cert of a file that is no image: malformed" -- \
	"$fuse" cert "$t/short.bin" "${ca[@]}" --out "$t/y.pem"
expect_exit 6 "cert of an unprogrammed chip: malformed" -- \
	"$fuse" cert "$t/zero.bin" "${ca[@]}" --out "$t/y.pem"
expect_exit 0 "cert --out - writes to standard output" -- \
	"$fuse" cert "$t/c.bin" "${ca[@]}" --out -
check "... a certificate that verifies, with the same key" bash -c "
	openssl verify -CAfile '$t/ca.pem' '$t/out' >/dev/null 2>&1 &&
	test \"\$(openssl x509 -in '$t/out' -noout -pubkey)\" = \"\$(openssl x509 -in '$t/c.pem' -noout -pubkey)\""
check "no certificate left behind by failed certs" test ! -e "$t/y.pem"

# ---- chipkey-emu refuses to start
expect_exit 1 "emulator without --socket: usage" -- "$emu" --state "$t/a.bin"
expect_exit 1 "emulator with a bad --max-per-uid: usage" -- \
	"$emu" --state "$t/a.bin" --socket "$t/s" --max-per-uid 0
expect_exit 9 "emulator with a missing state file: not-found" -- \
	"$emu" --state "$t/none.bin" --socket "$t/s" --foreground
expect_exit 6 "emulator with an unprogrammed chip: malformed" -- \
	"$emu" --state "$t/zero.bin" --socket "$t/s" --foreground
expect_exit 6 "emulator with a malformed ROM region: malformed" -- \
	"$emu" --state "$t/badrom.bin" --socket "$t/s" --foreground
# bytes 56..63 are reserved: an image with any of them set is refused
for off in 56 59 63; do
	cp "$t/a.bin" "$t/rsv$off.bin"
	printf '\001' | dd of="$t/rsv$off.bin" bs=1 seek=$off conv=notrunc 2>/dev/null
	expect_exit 6 "show an image with reserved byte $off set: malformed" -- \
		"$fuse" show "$t/rsv$off.bin"
	expect_exit 6 "emulator with reserved byte $off set: malformed" -- \
		timeout 10 "$emu" --state "$t/rsv$off.bin" --socket "$t/s" --foreground
	check "... and it says which bytes" grep -q 'reserved bytes 56..63' "$t/err"
done
chmod 640 "$t/a.bin"
expect_exit 3 "emulator with a group-readable state file: permission" -- \
	"$emu" --state "$t/a.bin" --socket "$t/s" --foreground
chmod 600 "$t/a.bin"
: >"$t/notsock"
expect_exit 8 "emulator asked to replace a file that is not a socket: other" -- \
	"$emu" --state "$t/a.bin" --socket "$t/notsock" --foreground
expect_exit 8 "daemon whose socket cannot be made: the parent exits other" -- \
	"$emu" --state "$t/a.bin" --socket "$t/no/such/dir/s"
check "no socket left behind" test ! -e "$t/s"

tap_done fuse-image
