# SPDX-License-Identifier: GPL-2.0
# Sourced by run.sh: the request deadline (--request-timeout).  Clients
# that trickle a request head, a POST body, or the next request on a
# kept-alive connection, each byte well inside the idle --timeout, are cut
# at the deadline, never before it (so the idle timeout did not cut them),
# and logged with their address; a normal client is served meanwhile.
# An empty POST body to every postable resource is a 400 (run under
# ASan/UBSan: no pointer arithmetic on the NULL body).

# deadline_cuts FILE WHAT: every line of FILE is "cut S" with 5 <= S < 40
deadline_cuts() {
	local f=$1 what=$2 n bad
	n=$(grep -c . "$f")
	bad=$(awk '$1 != "cut" || $2 < 5 || $2 >= 40' "$f" | head -3 | tr '\n' ' ')
	[ "$n" -gt 0 ] && [ -z "$bad" ]
	local rc=$?
	[ $rc = 0 ] || echo "# $what: $(tr '\n' ' ' <"$f")"
	tap $rc "$what: cut at the 6 s deadline, not by the 3 s idle timeout ($(awk '{print $2}' "$f" | tr '\n' ' ')s)"
}

deadline_tests() {	# deadline_tests TAG DB-URL
	local tag=$1 p codes tr=()
	start_server "$2" --timeout 3 --request-timeout 6 --max-per-ip 12
	tap $? "$tag: server up with --timeout 3 --request-timeout 6"
	p=$(cat port)
	rm -f ready.*
	/usr/bin/python3 "$here/trickle.py" "$p" "/v1/chips/$CHIP" --mode head --count 4 \
		--duration 40 --ready ready.head >trickle-head.out 2>&1 &
	tr+=($!)
	/usr/bin/python3 "$here/trickle.py" "$p" "/v1/chips/$CHIP/generations" --mode body \
		--count 3 --duration 40 --ready ready.body >trickle-body.out 2>&1 &
	tr+=($!)
	/usr/bin/python3 "$here/trickle.py" "$p" "/v1/chips/$CHIP" --mode keepalive --count 2 \
		--duration 40 --ready ready.keepalive >trickle-ka.out 2>&1 &
	tr+=($!)
	for _ in $(seq 100); do
		[ -e ready.head ] && [ -e ready.body ] && [ -e ready.keepalive ] && break
		sleep 0.1
	done
	# nine trickling connections are open: a normal client is served
	codes=
	for _ in 1 2 3 4 5; do
		codes+="$(code "$C") "
		sleep 0.3
	done
	is "$codes" "404 404 404 404 404 " "$tag: curl is served while nine clients trickle"
	wait "${tr[@]}"
	deadline_cuts trickle-head.out "$tag: 4 clients trickling a request head"
	deadline_cuts trickle-body.out "$tag: 3 clients trickling a POST body"
	deadline_cuts trickle-ka.out "$tag: 2 kept-alive clients trickling their second request"
	grep -q '127\.0\.0\.1: request not complete within 6 s: connection cut' server.log
	tap $? "$tag: the cut is logged with the client's address"
	is "$(code "$C")" 404 "$tag: served after the cuts"
	# an empty body is no record and no void entry
	is "$(code --data-binary '' "$C/generations/1/void")" 400 "$tag: empty void entry body -> 400"
	is "$(code -H 'Transfer-Encoding: chunked' --data-binary '' "$C/generations/1/void")" 400 \
		"$tag: empty chunked void entry body -> 400"
	stop_server
	tap $? "$tag: server exits 0 after the cuts"
	"$BIN/chipkey-pubdb" --db "$2" --listen 127.0.0.1:0 --writers ca.pem \
		--request-timeout 0 2>/dev/null
	is $? 1 "$tag: --request-timeout 0 -> exit 1 (usage)"
}
