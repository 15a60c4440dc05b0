# SPDX-License-Identifier: GPL-2.0
# Sourced by run.sh: the HTTP layer (docs/pubdb-api.md).  --max-connections:
# a connection beyond it waits unanswered, from any address, and is served
# once others close; with fewer connections than threads the server still
# stops on SIGTERM.  The refusals libmicrohttpd answers itself are its
# HTML, not JSON.  A request with more than one Content-Length header is a
# 400, read or write, and closes the connection.  The path is routed as
# sent: a percent-encoded chip ID is no chip ID (400).

raw() {	# raw FILE: FILE byte for byte to the server; the answer into raw.out
	/usr/bin/python3 "$here/raw.py" "$(cat port)" <"$1" >raw.out
}
raw_status() { sed -n '1s/^HTTP\/1\.1 \([0-9][0-9]*\) .*/\1/p' raw.out; }
# raw_json STATUS WORD NAME: raw.out is STATUS with one line of JSON, the
# error naming WORD, and the connection closed after it
raw_json() {
	local body
	body=$(sed '1,/^\r$/d' raw.out)
	[ "$(raw_status)" = "$1" ] && grep -qi '^Content-Type: application/json' raw.out &&
		grep -qi '^Connection: close' raw.out &&
		[[ $body =~ ^\{\"status\":$1,\"error\":\"[^\"]*$2[^\"]*\"\}$ ]]
	local rc=$?
	[ $rc = 0 ] || sed 's/^/# /' raw.out
	tap $rc "$3"
}
# mhd_html STATUS NAME HEADERS BODY: libmicrohttpd's own answer: STATUS,
# no Content-Type, Connection: close, and its one-line HTML page as the body
mhd_html() {
	grep -q "^HTTP/1\.1 $1 " "$3" && ! grep -qi '^Content-Type:' "$3" &&
		grep -qi '^Connection: close' "$3" && grep -q '^<html>.*</html>$' "$4"
	local rc=$?
	[ $rc = 0 ] || { sed 's/^/# /' "$3"; sed 's/^/# /' "$4"; echo; }
	tap $rc "$2"
}
# mhd_raw STATUS NAME: mhd_html for raw.out
mhd_raw() {
	sed '/^\r$/q' raw.out >raw.hdr
	tail -n 1 raw.out >raw.body	# 0.9.75 may send its head twice
	mhd_html "$1" "$2" raw.hdr raw.body
}

http_tests() {	# http_tests TAG DB-URL
	local tag=$1 p fd held=() waiter n
	# ---- --max-connections 4: four idle connections from 127.0.0.1 take
	# every one; a request from 127.0.0.2 (so not --max-per-ip) waits
	# unanswered, not refused, and is served once they close
	# (--timeout longer than the test: they are closed, not timed out)
	start_server "$2" --threads 2 --max-connections 4 --timeout 60
	tap $? "$tag: server up with --max-connections 4"
	p=$(cat port)
	is "$(code --interface 127.0.0.2 "$C")" 404 "$tag: --max-connections 4: served from 127.0.0.2"
	for _ in 1 2 3 4; do
		exec {fd}<>/dev/tcp/127.0.0.1/"$p"
		held+=("$fd")
	done
	sleep 0.5
	rm -f waiter.code
	curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.2 --max-time 30 "$C" \
		>waiter.code &
	waiter=$!
	sleep 3
	kill -0 $waiter 2>/dev/null && [ ! -s waiter.code ]
	tap $? "$tag: --max-connections 4: with 4 held, a request from 127.0.0.2 waits unanswered (3 s)"
	for fd in "${held[@]}"; do
		exec {fd}>&-
	done
	wait $waiter
	is "$(cat waiter.code)" 404 "$tag: --max-connections 4: ... and is served once they close"
	stop_server
	tap $? "$tag: server exits 0 after --max-connections"

	# fewer connections than threads: served, and stops on SIGTERM
	start_server "$2" --threads 2 --max-connections 1
	tap $? "$tag: server up with --threads 2 --max-connections 1"
	is "$(code "$C")" 404 "$tag: --threads 2 --max-connections 1: served"
	kill -TERM "$srv"
	for _ in $(seq 100); do kill -0 "$srv" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$srv" 2>/dev/null && kill -KILL "$srv"
	wait "$srv"
	is $? 0 "$tag: --threads 2 --max-connections 1: exits 0 on SIGTERM, within 10 s"
	srv=

	start_server "$2"
	tap $? "$tag: server up for the HTTP refusals"
	# ---- refused by libmicrohttpd itself, in its own format
	n=$(head -c 9000 /dev/zero | tr '\0' a)
	is "$(curl -s -D mhd.hdr -o mhd.body -w '%{http_code}' -H "X-Big: $n" "$C")" 431 \
		"$tag: a header over 8 KiB -> 431"
	mhd_html 431 "$tag: ... libmicrohttpd's HTML, no Content-Type, connection closed" \
		mhd.hdr mhd.body
	printf 'GET /v1/chips/%s/%s HTTP/1.1\r\nHost: x\r\n\r\n' $CHIP "$n" >req
	raw req
	mhd_raw 414 "$tag: a request line over 8 KiB -> 414, libmicrohttpd's HTML"
	printf 'POST /v1/chips/%s/generations HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n' \
		$CHIP >req
	raw req
	mhd_raw 400 "$tag: Content-Length: -1 -> 400, libmicrohttpd's HTML"
	printf 'POST /v1/chips/%s/generations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n%s\r\n' \
		$CHIP 10000000000000000 >req
	raw req
	mhd_raw 413 "$tag: a chunk size over 64 bits -> 413, libmicrohttpd's HTML"
	printf 'GET /v1/chips/%s HTTP/2.0\r\nHost: x\r\n\r\n' $CHIP >req
	raw req
	mhd_raw 505 "$tag: HTTP/2.0 -> 505, libmicrohttpd's HTML"
	# (chipkey-pubdb's own 413 is JSON)
	printf 'POST /v1/chips/%s/generations HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n' \
		$CHIP >req
	raw req
	raw_json 413 'larger than' "$tag: Content-Length over --max-body -> 413, JSON"

	# ---- more than one Content-Length: 400 before the body is read,
	# whichever comes first, equal or not; the connection is closed
	{
		printf 'POST /v1/chips/%s/generations HTTP/1.1\r\nHost: x\r\nContent-Length: %s\r\n' \
			$CHIP "$(stat -c %s good1.rec)"
		printf 'Content-Length: %s\r\nConnection: close\r\n\r\n' "$(($(stat -c %s good1.rec) + 7))"
		cat good1.rec
	} >req
	raw req
	raw_json 400 Content-Length "$tag: POST of a good record with two Content-Lengths -> 400"
	is "$(code "$C")" 404 "$tag: ... and nothing was stored"
	printf 'GET /v1/chips/%s HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\ncontent-length: 5\r\n\r\n' \
		$CHIP >req
	raw req
	raw_json 400 Content-Length "$tag: GET with Content-Length 0 and 5 -> 400"
	printf 'GET /v1/chips/%s HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n' \
		$CHIP >req
	raw req
	raw_json 400 Content-Length "$tag: GET with Content-Length 0 twice -> 400"
	# Content-Length and Transfer-Encoding: chunked together: 400, and a
	# request sent after it on the same connection is not served
	{
		printf 'POST /v1/chips/%s/generations HTTP/1.1\r\nHost: x\r\nContent-Length: %s\r\n' \
			$CHIP "$(stat -c %s good1.rec)"
		printf 'Transfer-Encoding: chunked\r\n\r\n%x\r\n' "$(stat -c %s good1.rec)"
		cat good1.rec
		printf '\r\n0\r\n\r\nGET /v1/chips/%s HTTP/1.1\r\nHost: x\r\n\r\n' $CHIP
	} >req
	raw req
	raw_json 400 Transfer-Encoding "$tag: POST of a good record with Content-Length and Transfer-Encoding -> 400"
	is "$(grep -c '^HTTP/1.1 ' raw.out)" 1 "$tag: ... one answer: the request after it on that connection is not served"
	{
		printf 'POST /v1/chips/%s/generations HTTP/1.1\r\nHost: x\r\n' $CHIP
		printf 'Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n%x\r\n' "$(stat -c %s good1.rec)"
		cat good1.rec
		printf '\r\n0\r\n\r\n'
	} >req
	raw req
	raw_json 400 Transfer-Encoding "$tag: POST of a good record with two Transfer-Encoding headers -> 400"
	is "$(code "$C")" 404 "$tag: ... and nothing was stored"
	{
		printf 'POST /v1/chips/%s/generations HTTP/1.1\r\nHost: x\r\nContent-Length: %s\r\n' \
			$CHIP "$(stat -c %s good1.rec)"
		printf 'Connection: close\r\n\r\n'
		cat good1.rec
	} >req
	raw req
	is "$(raw_status)" 201 "$tag: the same POST with one Content-Length -> 201"

	# ---- the path is not percent-decoded
	n=$(printf '%%%02x%s' "'${CHIP:0:1}" "${CHIP:1}")
	is "$(code "$C")" 200 "$tag: GET chip -> 200"
	is "$(code "$U/v1/chips/$n")" 400 "$tag: the chip ID's first digit percent-encoded ($n) -> 400"
	grep -q '32 hex digits' body.out
	tap $? "$tag: ... the error says 32 hex digits"
	is "$(code "$C/gener%61tions")" 404 "$tag: /gener%61tions -> 404"
	stop_server
	tap $? "$tag: server exits 0 after the HTTP refusals"
}
