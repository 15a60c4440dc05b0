#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A throw-away PostgreSQL server for tests (Debian's postgresql package).
#
#   scripts/pg-test-server.sh start DIR     initdb into DIR/data, start on
#                                           127.0.0.1:<free port> and a Unix
#                                           socket in DIR; prints the URL
#   scripts/pg-test-server.sh url DIR       prints the URL again
#   scripts/pg-test-server.sh createdb DIR NAME   new empty database; prints its URL
#   scripts/pg-test-server.sh stop DIR      fast shutdown (DIR is left for you)
#   scripts/pg-test-server.sh restart DIR   pg_ctl restart -m fast: every
#                                           connection is closed; the server
#                                           comes back on the same port (also
#                                           after a stop)
#
# Exit status 77 (and a message on stderr) when the PostgreSQL server
# binaries are not installed, so callers can report a SKIP.
# Works as root: the server then runs as the "postgres" user (postgres
# refuses to run as root), and DIR is handed to that user.
set -eu

die() { echo "pg-test-server: $*" >&2; exit 1; }

bindir() {
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
	done
	command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
	return 1
}

# run CMD... as the server's user
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: $0 start|url|createdb|stop|restart DIR [NAME]"

BIN=$(bindir) || { echo "pg-test-server: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 77; }

url_of() {
	local port
	port=$(cat "$dir/port")
	echo "postgresql://postgres@127.0.0.1:$port/${1:-postgres}?connect_timeout=10"
}

case "$cmd" in
start)
	if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
		die "running as root but there is no 'postgres' user"
	fi
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	[ -e "$dir/data" ] && die "$dir/data exists already"
	if [ "$(id -u)" = 0 ]; then
		chown postgres: "$dir"
		chmod 0700 "$dir"
	fi
	as_pg "$BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale \
		>"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
	# A free port: try random ports until the server comes up on one.
	for try in 1 2 3 4 5 6 7 8; do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		if as_pg "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
			-o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$dir'
			    -c max_connections=200 -c shared_buffers=64MB" \
			start >/dev/null 2>&1; then
			echo "$port" >"$dir/port"
			[ "$(id -u)" = 0 ] && chown postgres: "$dir/port"
			url_of
			exit 0
		fi
	done
	tail -20 "$dir/server.log" >&2 || true
	die "could not start postgres"
	;;
url)
	url_of
	;;
createdb)
	name=${3:?database name}
	# the URL of the server's own database, then CREATE DATABASE
	"$BIN/psql" -q -X -v ON_ERROR_STOP=1 "$(url_of postgres)" \
		-c "CREATE DATABASE \"$name\"" >/dev/null
	url_of "$name"
	;;
stop)
	[ -d "$dir/data" ] || exit 0
	as_pg "$BIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
	;;
restart)
	# pg_ctl restart reuses the options of the last start (postmaster.opts)
	as_pg "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 30 restart \
		>/dev/null 2>&1 || { tail -20 "$dir/server.log" >&2; die "restart failed"; }
	;;
*)
	die "unknown command $cmd"
	;;
esac
