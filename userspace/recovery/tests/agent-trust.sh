# shellcheck shell=bash
# Sourced by test-recovery.sh: what chipkey-agent trusts of the SPP
# (docs/factory-pki.md "Key hierarchy", "Revocation").  Uses $t (factory
# $t/fac), $bin, $SPP, mkchip, expect, check.  A fresh chip d4 that must
# never get provisioned: every attempt below is refused at the trust check
# (exit 19), before any protocol message.

mkchip d4 || nok "emulator d4 starts"
D4=emu:$t/d4.sock
agent4() { "$bin/chipkey-agent" provision --device "$D4" --store "$t/a4" --timeout 5 \
	--station-cert "$t/fac/station-cert.pem" --station-key "$t/fac/station-key.pem" "$@"; }

# the SPP TLS certificate revoked on a copy of the factory (its issuing CA's CRL)
cp -a "$t/fac" "$t/afac"
"$bin/chipkey-factory" revoke "$t/afac" "$t/afac/spp-cert.pem" >/dev/null 2>>"$t/factory.log"
check "agent: the issuing CA's CRL lists the SPP certificate (openssl verify -crl_check)" \
	bash -c "openssl verify -crl_check -CRLfile '$t/afac/station-crl.pem' -CAfile '$t/fac/mfr-ca.pem' \
		-untrusted '$t/fac/ica-cert.pem' '$t/fac/spp-cert.pem' 2>&1 | grep -q 'certificate revoked'"
expect 19 "agent: --crl of the root only: the issuing CA's CRL is missing -> refused (fail closed)" \
	agent4 --spp "$SPP" --crl "$t/afac/root-crl.pem"
check "... the message names the missing issuer" \
	bash -c "grep -q 'no CRL of the issuer .*CN' '$t/last.err' && test ! -e '$t/a4/current'"
expect 19 "agent: --crl root + issuing CA: the revoked SPP certificate is refused" \
	agent4 --spp "$SPP" --crl "$t/afac/root-crl.pem" --crl "$t/afac/station-crl.pem"
check "... says revoked" grep -q 'revoked' "$t/last.err"
cat "$t/afac/root-crl.pem" "$t/afac/station-crl.pem" >"$t/afac/bundle-crl.pem"
expect 19 "agent: --crl of one PEM bundle (root + issuing CA CRLs): every CRL is read, refused" \
	agent4 --spp "$SPP" --crl "$t/afac/bundle-crl.pem"
check "... says revoked" grep -q 'revoked' "$t/last.err"

# a pre-hierarchy SPP certificate: OU=chipkey-spp, serverAuth, signed by the
# root key itself (openssl CLI), served by openssl s_server
cat >"$t/legacy-spp.ext" <<'EXT'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
EXT
openssl ecparam -name prime256v1 -genkey -noout -out "$t/legacy-spp.key" 2>/dev/null
openssl req -new -key "$t/legacy-spp.key" -subj "/O=Test/OU=chipkey-spp/CN=localhost" \
	-out "$t/legacy-spp.csr" 2>/dev/null
openssl x509 -req -in "$t/legacy-spp.csr" -CA "$t/fac/mfr-ca.pem" -CAkey "$t/fac/mfr-key.pem" \
	-set_serial 4242 -days 3650 -extfile "$t/legacy-spp.ext" -out "$t/legacy-spp.pem" 2>/dev/null
check "agent: a root-signed SPP certificate (openssl verify -CAfile mfr-ca.pem accepts it)" \
	openssl verify -CAfile "$t/fac/mfr-ca.pem" "$t/legacy-spp.pem"
# (stdin held open: s_server stops at its end of input)
sleep 10 </dev/null 2>/dev/null | openssl s_server -accept 127.0.0.1:0 -cert "$t/legacy-spp.pem" -key "$t/legacy-spp.key" \
	-tls1_3 -naccept 1 >"$t/s_server.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q '^ACCEPT' "$t/s_server.out" && break; sleep 0.05; done
LEGACY=$(sed -n 's/^ACCEPT \(.*\)$/\1/p' "$t/s_server.out")
expect 19 "agent: an SPP certificate signed by the root itself (no issuing CA) is refused at the trust check" \
	agent4 --spp "$LEGACY"
check "... because it does not chain through an issuing CA" \
	bash -c "grep -q 'issuing CA' '$t/last.err' && test ! -e '$t/a4/current'"
sleep 10 </dev/null 2>/dev/null | openssl s_server -accept 127.0.0.1:0 -cert "$t/legacy-spp.pem" -key "$t/legacy-spp.key" \
	-cert_chain "$t/fac/mfr-ca.pem" -tls1_3 -naccept 1 >"$t/s_server2.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q '^ACCEPT' "$t/s_server2.out" && break; sleep 0.05; done
expect 19 "agent: ... also when the SPP sends the root certificate as its 'issuing CA'" \
	agent4 --spp "$(sed -n 's/^ACCEPT \(.*\)$/\1/p' "$t/s_server2.out")"
check "... and nothing was provisioned on d4" test ! -e "$t/a4/current"
