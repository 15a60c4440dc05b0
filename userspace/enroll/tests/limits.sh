# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by run.sh (its functions and devices): the challenge table
# (refusals before a slot, one slot per certificate), SIGHUP rereading the
# CRLs, the connection limits and deadline, accept() out of descriptors.
# TAP, no timed assertions (waits are bounded loops).

# -- challenges: only devices simpleenroll would serve get a slot
start srvfull
chal_many() { # KEYS N: N challenges on one connection, the codes counted
	for _ in $(seq "$2"); do echo "url = \"https://localhost:$PORT/chipkey/v1/challenge\""; echo 'output = "/dev/null"'; done >"$t/many.cfg"
	# shellcheck disable=SC2046
	curl -s --tlsv1.3 --cacert "$t/node/ca-cert.pem" --resolve "localhost:$PORT:127.0.0.1" -X POST $(as "$1") \
		-w '%{http_code}\n' -K "$t/many.cfg" 2>>"$t/curl.log" | sort | uniq -c | tr -s ' \n' ' '
}
check "a device not on the whitelist asking 1100 times: 1100 x 403 (no slot)" \
	test "$(chal_many "$t/d3.keys" 1100)" = " 1100 403 "
check "an enrolled device (it may ask for its certificate again) asking 1100 times: 1100 x 200 (one slot: the same challenge)" \
	test "$(chal_many "$t/d1.keys" 1100)" = " 1100 200 "
check "a whitelisted device asking 2000 times: 2000 x 200 (one slot: the same challenge)" \
	test "$(chal_many "$t/d7.keys" 2000)" = " 2000 200 "
provision d8 00112233445566778899aabbccddee18 18
sed -n 1p "$t/d8.keys/identity" >"$t/d8.list"
"$en" whitelist "$t/node" "$t/d8.list" >/dev/null 2>>"$t/setup.log"
csr d8 /CN=d8
challenge "$t/d8.keys"; prove "$t/d8.sock" "$t/d8.keys" d8
enroll "$t/d8.keys" d8 "$NONCE $MAC"
check "after all that, a newly whitelisted device gets a challenge and enrolls: 200" test "$CODE" = 200
code=$(https /chipkey/v1/challenge "$t/resp" -X POST)
check "challenge without a client certificate: 401" test "$code" = 401
code=$(https /chipkey/v1/challenge "$t/resp" -X POST --cert "$t/fac/station-cert.pem" --key "$t/fac/station-key.pem")
check "challenge with the station's certificate as client certificate: 403" test "$code" = 403
code=$(https /chipkey/v1/challenge "$t/resp" -X POST --cert "$t/fac/ica-cert.pem" --key "$t/fac/ica-key.pem")
check "challenge with the issuing CA's certificate as client certificate: 403" test "$code" = 403

# -- CRLs: fail closed without a CRL of an issuer; SIGHUP rereads them
cp "$t/fac/root-crl.pem" "$t/root-crl.pem"; cp "$t/fac/station-crl.pem" "$t/station-crl.pem"
start srvnocrl --crl "$t/root-crl.pem"
code=$(https /chipkey/v1/challenge "$t/resp" -X POST $(as "$t/d7.keys"))
check "no CRL of the device's issuer (fail closed): 403" test "$code" = 403
start srvhup --crl "$t/root-crl.pem" --crl "$t/station-crl.pem"
HUP=$SPID
code=$(https /chipkey/v1/challenge "$t/resp" -X POST $(as "$t/d7.keys"))
check "SIGHUP: before, d7 gets a challenge" test "$code" = 200
openssl x509 -in "$t/d7.keys/device-cert.pem" -out "$t/d7.leaf.pem"
"$bin/chipkey-factory" revoke "$t/fac" "$t/d7.leaf.pem" >/dev/null 2>>"$t/setup.log"
cp "$t/fac/station-crl.pem" "$t/station-crl.pem.new" && mv "$t/station-crl.pem.new" "$t/station-crl.pem"
kill -HUP "$HUP"
for _ in $(seq 100); do grep -q 'CRL files reloaded' "$t/srvhup.log" && break; sleep 0.05; done
code=$(https /chipkey/v1/challenge "$t/resp" -X POST $(as "$t/d7.keys"))
check "SIGHUP: the new CRL revoking d7 is read, 403" bash -c "test '$code' = 403 && grep -q revoked '$t/resp'"
echo garbage >"$t/station-crl.pem"
kill -HUP "$HUP"
for _ in $(seq 100); do grep -q 'not reloaded' "$t/srvhup.log" && break; sleep 0.05; done
code=$(https /chipkey/v1/challenge "$t/resp" -X POST $(as "$t/d7.keys"))
check "SIGHUP with an unreadable CRL: logged, the old CRLs stay (d7 still 403)" \
	bash -c "test '$code' = 403 && grep -q 'not reloaded' '$t/srvhup.log'"
code=$(https /chipkey/v1/challenge "$t/resp" -X POST $(as "$t/d2.keys"))
check "the node is alive after two SIGHUPs (d2: 200)" bash -c "kill -0 $HUP && test '$code' = 200"

# -- connections: per address, in total, a deadline that progress does not reset
# hold.py PORT SRC N OUT: N connections from SRC dripping a byte every 0.3 s;
# writes "open" when all are up, then one line per connection cut by the node
cat >"$t/hold.py" <<'PY'
import socket, sys, time
port, src, n, out = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
ss = []
for _ in range(n):
    s = socket.socket(); s.bind((src, 0)); s.connect(("127.0.0.1", port)); s.setblocking(False); ss.append(s)
f = open(out, "w", buffering=1); f.write("open\n")
alive = set(range(n)); hdr = b"\x16\x03\x01\x02\x00" * 100; i = 0
end = time.time() + 60
while alive and time.time() < end:
    for k in list(alive):
        try:
            if ss[k].recv(1) == b"":
                raise ConnectionResetError
        except BlockingIOError:
            try: ss[k].send(hdr[i:i+1])
            except OSError: alive.discard(k); f.write("cut %d\n" % k)
        except OSError:
            alive.discard(k); f.write("cut %d\n" % k)
    i += 1; time.sleep(0.3)
f.write("end %d\n" % len(alive))
PY
held() { for _ in $(seq 300); do grep -q "^$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
lcurl() { # SRC: cacerts from that source address, the status
	curl -s --tlsv1.3 --cacert "$t/node/ca-cert.pem" --resolve "localhost:$PORT:127.0.0.1" --interface "$1" \
		-o /dev/null -w '%{http_code}' --max-time 20 "https://localhost:$PORT/.well-known/est/cacerts" 2>>"$t/curl.log"
}
start srvlim --max-per-ip 3 --max-conns 5 --request-timeout 4
/usr/bin/python3 "$t/hold.py" "$PORT" 127.0.0.1 3 "$t/h1" & pids+=($!); H1=$!
held "$t/h1" open
/usr/bin/python3 "$t/hold.py" "$PORT" 127.0.0.1 1 "$t/h4" & pids+=($!)
held "$t/h4" end
check "the 4th connection from one address (--max-per-ip 3) is cut while the 3 are held" \
	bash -c "grep -q '^cut 0' '$t/h4' && ! grep -q '^cut' '$t/h1'"
check "... while another address (127.0.0.2) is served: 200" test "$(lcurl 127.0.0.2)" = 200
/usr/bin/python3 "$t/hold.py" "$PORT" 127.0.0.2 2 "$t/h2" & pids+=($!)
held "$t/h2" open
/usr/bin/python3 "$t/hold.py" "$PORT" 127.0.0.3 1 "$t/h3" & pids+=($!)
held "$t/h3" end
check "with 5 connections held (--max-conns 5), a 6th from a third address is cut" \
	bash -c "grep -q '^cut 0' '$t/h3' && ! grep -q '^cut' '$t/h1'"
held "$t/h1" end; held "$t/h2" end
check "the dripping connections are all cut by the deadline (--request-timeout), though never idle" \
	bash -c "test \$(grep -c '^cut' '$t/h1') = 3 && grep -q '^end 0' '$t/h1' && grep -q '^end 0' '$t/h2'"
check "after the limit was hit, a legitimate cacerts: 200" test "$(lcurl 127.0.0.1)" = 200
check "refusals and cuts logged at most once a second" grep -q 'too many connections' "$t/srvlim.log"

# out of descriptors: accept() paused, a bounded log, served again after
rm -f "$t/port"
( ulimit -n 40; exec "$en" serve "$t/node" --listen 127.0.0.1:0 --port-file "$t/port" --request-timeout 60 --max-per-ip 100 ) 2>>"$t/srvfd.log" &
pids+=($!); FD=$!
wait_file "$t/port" && PORT=$(cat "$t/port")
/usr/bin/python3 "$t/hold.py" "$PORT" 127.0.0.1 60 "$t/h5" & pids+=($!); H5=$!
held "$t/h5" open
for _ in $(seq 30); do grep -q 'Too many open files' "$t/srvfd.log" && break; sleep 0.1; done
sleep 3
n=$(grep -c . "$t/srvfd.log")
check "EMFILE: logged, a bounded number of lines ($n), the node alive" \
	bash -c "grep -q 'accepting paused' '$t/srvfd.log' && test $n -lt 40 && kill -0 $FD"
kill "$H5"; wait "$H5" 2>/dev/null
check "EMFILE: served again once the attacker left: 200" test "$(lcurl 127.0.0.1)" = 200
kill -TERM "$FD"; wait "$FD"; rc=$?
check "the out-of-descriptors node stops on SIGTERM: exit 0, no sanitizer report" \
	bash -c "test $rc -eq 0 && ! grep -q 'Sanitizer' '$t/srvfd.log'"
