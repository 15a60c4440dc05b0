#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/link/run.sh BUILD [THREADS] [N]: a factory, THREADS device keys
# directories (chipkey-factory issue, the channel key from openssl kdf: no
# chip needed), chipkey-service on loopback; setups/s per mode, then a
# 64 MiB catalogue download vs sha256sum of the same file.
set -eu
B=${1:?build dir} T=${2:-32} N=${3:-640}
bin=$B/bin
t=$(mktemp -d /tmp/chipkey-bench-link-XXXXXX)
trap 'kill $spid 2>/dev/null; wait $spid 2>/dev/null; rm -rf "$t"' EXIT
"$bin/chipkey-factory" init "$t/fac" >/dev/null 2>&1
"$bin/chipkey-factory" spp-cred "$t/fac" --service >/dev/null
mk=$(od -An -v -tx1 "$t/fac/master.key" | tr -d ' \n')
i=0
for id in $("$bin/chipkey-factory" identities --prefix 35123400 --count "$T"); do
	k=$t/keys$i
	mkdir -p -m 0700 "$k"
	chip=$(printf '%032x' $((i + 1)))
	"$bin/chipkey-factory" issue "$t/fac" --identity "$id" --chip-id "$chip" \
		--key-out "$k/device-key.pem" --out "$k/cert.pem" >/dev/null
	cat "$k/cert.pem" "$t/fac/ica-cert.pem" >"$k/device-cert.pem"
	printf '%s\n' "$id" >"$k/identity"
	info=$(printf 'chipkey v1 channel key%s' "$id" | od -An -v -tx1 | tr -d ' \n')
	openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt hexkey:$mk -kdfopt hexinfo:$info HKDF |
		tr -d ':\n' | xxd -r -p >"$k/channel.key"
	chmod 600 "$k/channel.key" "$k/device-key.pem"
	i=$((i + 1))
done
mkdir "$t/cat"
head -c $((64 << 20)) /dev/urandom >"$t/cat/image.bin"
"$bin/chipkey-service" --listen 127.0.0.1:0 --port-file "$t/port" --factory "$t/fac" \
	--state "$t/state" --catalogue "$t/cat" --max-per-ip 1000 --max-conns 1000 2>/dev/null &
spid=$!
for _ in $(seq 100); do [ -s "$t/port" ] && break; sleep 0.05; done
S=127.0.0.1:$(cat "$t/port")
echo "# $(nproc) cores, client and server on the same machine; $(openssl version)"
for m in channel-key cert cms broadcast; do
	"$B/bench/bench-link" "$S" $m "$N" "$T" "$t/keys" "$t/fac/mfr-pubkey.der" "$t/state-$m-" || true
done
s0=$(date +%s.%N)
"$bin/chipkey" service get image.bin "$t/got" --server "$S" --keys "$t/keys0" --state "$t/st" \
	--mode channel-key
s1=$(date +%s.%N)
sha256sum "$t/cat/image.bin" >/dev/null
s2=$(date +%s.%N)
cmp -s "$t/got" "$t/cat/image.bin"
awk -v a="$s0" -v b="$s1" -v c="$s2" 'BEGIN { printf "download 64 MiB (mode 1): %.0f MB/s; sha256sum of it: %.0f MB/s\n", 67.108864 / (b - a), 67.108864 / (c - b) }'
