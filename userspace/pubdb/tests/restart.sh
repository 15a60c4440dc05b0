# SPDX-License-Identifier: GPL-2.0
# Sourced by run.sh: a restart of the PostgreSQL server while chipkey-pubdb
# runs (docs/pubdb-api.md, "When the database restarts").  Every thread's
# connection is closed by the server; the next request on each opens a new
# one (search_path again), so reads and writes are served at once; while the
# server is down requests get 503, not 500; served again once it is back.

restart_tests() {	# restart_tests TAG DB-URL PG-DIR
	local tag=$1 dir=$3 i codes
	start_server "$2" --threads 4
	tap $? "$tag: restart: server up (4 threads)"
	"$PUT" --key ka/device-key.pem --cert device.pem --chip $CHIP --generation 2 --identity $ID \
		--backup backup2 --device-cert device.der --out dev2.rec --no-post
	is "$(code --data-binary @good1.rec "$C/generations")" 201 "$tag: restart: generation 1 stored"
	# (each curl a new HTTP connection: every thread gets requests and
	# holds a database connection)
	codes=$(for i in $(seq 16); do code "$C"; echo; done | sort | uniq -c | xargs)
	is "$codes" "16 200" "$tag: restart: 16 GETs before the restart"
	"$PGS" restart "$dir"
	tap $? "$tag: restart: pg_ctl restart -m fast"
	codes=$(for i in $(seq 16); do code "$C"; echo; done | sort | uniq -c | xargs)
	is "$codes" "16 200" "$tag: restart: 16 GETs after the restart: all 200 (each thread reconnected)"
	is "$(code --data-binary @dev2.rec "$C/generations")" 201 \
		"$tag: restart: a write after the restart -> 201"
	is "$(code "$C/generations")" 200 "$tag: restart: GET generations -> 200"
	gens=$(grep -o '"generation": [0-9]*' body.out | awk '{print $2}' | xargs)
	is "$gens" "1 2" "$tag: restart: generations 1 and 2 stored"
	"$PGS" stop "$dir"
	codes=$(for i in $(seq 8); do code "$C"; echo; done | sort | uniq -c | xargs)
	is "$codes" "8 503" "$tag: restart: server down: GETs -> 503 (database unavailable), not 500"
	is "$(code --data-binary @dev2.rec "$C/generations")" 503 "$tag: restart: server down: a write -> 503"
	"$PGS" restart "$dir"
	tap $? "$tag: restart: server started again"
	codes=$(for i in $(seq 8); do code "$C"; echo; done | sort | uniq -c | xargs)
	is "$codes" "8 200" "$tag: restart: server back: GETs -> 200"
	grep -q '"generation": 2,' body.out
	tap $? "$tag: restart: ... serving generation 2"
	is "$(code --data-binary @dev2.rec "$C/generations")" 409 \
		"$tag: restart: server back: the same write again -> 409 (stored once)"
	stop_server
	tap $? "$tag: restart: server exits 0 on SIGTERM"
}
