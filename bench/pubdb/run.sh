#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pubdb read throughput (a measurement, not a test): GET /v1/chips/{chip}
# for random chips out of NCHIPS stored, chipkey-pubdb (SQLite) against
# nginx serving the same JSON record as a static file, same client (wrk,
# keep-alive, CONNS connections, one client thread), same run.
#
#   OUT=build/bench/pubdb ./run.sh         (make -C bench/pubdb does this)
#
# Environment: NCHIPS (1000000), CONNS (32), DURATION seconds per server
#              (10), PUBDB_THREADS (nproc, the service default), NGINX_WORKERS
#              (auto), WRK_THREADS (1), DBDIR (/var/tmp).
# The database is generated once with SQL in bulk (gen.sql) and cached as
# $DBDIR/ck-bench-pubdb-$NCHIPS.db; delete it to regenerate.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$here/../../build/bench/pubdb}
NCHIPS=${NCHIPS:-1000000} CONNS=${CONNS:-32} DURATION=${DURATION:-10}
PUBDB_THREADS=${PUBDB_THREADS:-$(nproc)} NGINX_WORKERS=${NGINX_WORKERS:-auto} WRK_THREADS=${WRK_THREADS:-1}
DBDIR=${DBDIR:-/var/tmp}
export NCHIPS
for tool in nginx wrk sqlite3 curl; do
	command -v "$tool" >/dev/null || { echo "# $tool not installed (apt-get install -y nginx-light wrk sqlite3 curl)"; exit 1; }
done
db=$DBDIR/ck-bench-pubdb-$NCHIPS.db
t=$(mktemp -d /tmp/ck-bench-pubdb.XXXXXX)
pub_pid= ngx_pid=
cleanup() {
	[ -n "$pub_pid" ] && kill "$pub_pid" 2>/dev/null && wait "$pub_pid" 2>/dev/null
	[ -n "$ngx_pid" ] && kill "$ngx_pid" 2>/dev/null && wait "$ngx_pid" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
wait_file() { for _ in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.05; done; return 1; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=bench-ca \
	-keyout "$t/ca.key" -out "$t/ca.pem" -days 2 2>/dev/null
start_pubdb() {
	rm -f "$t/pubdb.port"
	"$OUT/deps/bin/chipkey-pubdb" --db "sqlite:$db" --listen 127.0.0.1:0 --writers "$t/ca.pem" \
		--threads "$PUBDB_THREADS" --max-connections 1024 --max-per-ip 1024 --port-file "$t/pubdb.port" 2>"$t/pubdb.log" &
	pub_pid=$!
	wait_file "$t/pubdb.port"
}

# regenerate when the count, the store's schema version (5) or the kind of
# file differs (a public store, application_id "CKP1": docs/databases.md)
have=$(sqlite3 "$db" "SELECT count(*) || '/' || (SELECT user_version FROM pragma_user_version) || '/' ||
	(SELECT application_id FROM pragma_application_id) FROM public_records" 2>/dev/null || echo 0)
if [ "$have" != "$NCHIPS/5/1129009201" ]; then
	echo "# generating $db: $NCHIPS chips (once; cached)"
	rm -f "$db" "$db-wal" "$db-shm"
	start_pubdb	# the store creates the schema
	kill "$pub_pid"; wait "$pub_pid" 2>/dev/null || true; pub_pid=
	s=$(date +%s)
	sqlite3 -cmd ".parameter set :n $NCHIPS" "$db" <"$here/gen.sql" >/dev/null
	echo "# generated in $(($(date +%s) - s)) s"
fi
dbsize=$(du -m "$db" | cut -f1)
cat "$db" >/dev/null	# warm the page cache for both runs alike

start_pubdb
pport=$(cat "$t/pubdb.port")
# the record nginx serves: chipkey-pubdb's own reply for chip 1
chip1=$(printf '%016d' 1 | od -An -tx1 | tr -d ' \n')
curl -sf "http://127.0.0.1:$pport/v1/chips/$chip1" -o "$t/record.json"
mkdir -p "$t/www" "$t/ngx"
cp "$t/record.json" "$t/www/record.json"
# nginx workers run as an unprivileged user: let them read the file
chmod 755 "$t" "$t/www"; chmod 644 "$t/www/record.json"

nport=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$t/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes $NGINX_WORKERS;
pid $t/ngx/nginx.pid;
error_log $t/ngx/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	keepalive_timeout 60;
	client_body_temp_path $t/ngx/body;
	proxy_temp_path $t/ngx/proxy;
	fastcgi_temp_path $t/ngx/fastcgi;
	uwsgi_temp_path $t/ngx/uwsgi;
	scgi_temp_path $t/ngx/scgi;
	server {
		listen 127.0.0.1:$nport;
		root $t/www;
		location /v1/chips/ {
			default_type application/json;
			try_files /record.json =404;
		}
	}
}
EOF
nginx -c "$t/nginx.conf" -p "$t/ngx" -e "$t/ngx/error.log" &
ngx_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$nport/v1/chips/$chip1" -o "$t/ngx.json" && break; sleep 0.05; done
cmp -s "$t/ngx.json" "$t/record.json" || echo "# WARNING: nginx does not serve the same bytes"

# CPU time (user + system, clock ticks) of a server: the process and its
# children (nginx's workers).  Per request it is a measure of the server's
# own cost that other load on the machine disturbs less than requests/s.
cpu_ticks() {
	local sum=0 p
	for p in $1 $(cat /proc/$1/task/*/children 2>/dev/null); do
		# fields after the ") " that ends the command name: utime is the 12th, stime the 13th
		set -- $(sed 's/^.*) //' /proc/$p/stat 2>/dev/null)
		[ $# -ge 13 ] && sum=$((sum + ${12} + ${13}))
	done
	echo $sum
}
bench() { # bench NAME PORT PID
	local c0
	wrk -t"$WRK_THREADS" -c"$CONNS" -d2s -s "$here/rand.lua" "http://127.0.0.1:$2" >/dev/null 2>&1 || true
	c0=$(cpu_ticks "$3")
	wrk -t"$WRK_THREADS" -c"$CONNS" -d"${DURATION}s" -s "$here/rand.lua" "http://127.0.0.1:$2" \
		>"$t/wrk-$1.txt" 2>&1
	echo "cpu_s=$(( $(cpu_ticks "$3") - c0 ))e-2" >>"$t/wrk-$1.txt"
}
bench nginx "$nport" "$ngx_pid"
bench pubdb "$pport" "$pub_pid"

echo "# pubdb read benchmark: $NCHIPS chips in SQLite ($dbsize MB, page cache warm), record $(stat -c %s "$t/record.json") B JSON,"
echo "# wrk -t$WRK_THREADS -c$CONNS keep-alive, ${DURATION}s per server after a 2s warm-up, random chips; chipkey-pubdb --threads $PUBDB_THREADS, nginx worker_processes $NGINX_WORKERS; $(nproc) CPUs shared by client and server"
/usr/bin/python3 - "$t/wrk-pubdb.txt" "$t/wrk-nginx.txt" <<'EOF'
import sys
def kv(p):
    d = {}
    for line in open(p):
        if "=" in line and not line.startswith(" "):
            k, v = line.strip().split("=", 1)
            try:
                d[k] = float(v)
            except ValueError:
                pass
    return d
p, n = kv(sys.argv[1]), kv(sys.argv[2])
def cpu_us(d):
    return 1e6 * d.get("cpu_s", 0) / max(d.get("requests", 1), 1)
print("%-22s %12s %12s %10s %10s %10s %8s %12s" % ("server", "requests/s", "vs nginx", "p50 ms",
      "p99 ms", "max ms", "errors", "CPU us/req"))
for name, d in (("nginx (static file)", n), ("chipkey-pubdb", p)):
    print("%-22s %12.0f %11.2fx %10.3f %10.3f %10.2f %8d %12.1f" % (
        name, d.get("rps", 0), d.get("rps", 0) / max(n.get("rps", 1), 1), d.get("p50_ms", 0),
        d.get("p99_ms", 0), d.get("max_ms", 0), d.get("errors", 0) + d.get("non2xx", 0),
        cpu_us(d)))
print("# targets: chipkey-pubdb >= 0.5x nginx (%.2fx), p99 < 10 ms (%.3f ms)" % (
    p.get("rps", 0) / max(n.get("rps", 1), 1), p.get("p99_ms", 0)))
print("# server CPU per request (user + system, server processes only): nginx / chipkey-pubdb = %.2fx" % (
    cpu_us(n) / max(cpu_us(p), 1e-9)))
EOF
