#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A misbehaving public database for the recovery tests (HTTP client).

  fake-pubdb.py PORTFILE LOGFILE RECORD MODE[,MODE...]

Listens on 127.0.0.1 (port written to PORTFILE) and answers the n-th
connection with the n-th MODE (the last one repeats), serving the bytes of
RECORD.  If RECORD is a directory, "full" serves a database by path
instead: GET /v1/chips/<chip>/REST answers the file DIR/REST with every
"/" of REST replaced by "_" (record, generations, generations_2_record...),
404 if there is none.  One line per connection goes to LOGFILE.  Modes:
  full      200, Content-Length, the whole record
  cut       200, Content-Length of the whole record, half of it, then FIN
  hdrcut    half of the status line, then FIN
  nolength  200 without Content-Length, the whole record, then FIN
  chunked   200, Transfer-Encoding: chunked
  redirect  301 to /elsewhere
  huge      200, Content-Length: 1000000000, a few bytes
  bigheader 200 with 64 KiB of headers
  e503      503
"""
import os
import socket
import sys


def main():
    portfile, logfile, record, modes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(",")
    bydir = os.path.isdir(record)
    body = b""
    if not bydir:
        with open(record, "rb") as f:
            body = f.read()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    n = 0
    while True:
        c, _ = srv.accept()
        mode = modes[min(n, len(modes) - 1)]
        n += 1
        try:
            c.settimeout(5)
            req = b""
            while b"\r\n\r\n" not in req:
                d = c.recv(4096)
                if not d:
                    break
                req += d
            line = req.split(b"\r\n", 1)[0].decode("latin-1")
            with open(logfile, "a") as f:
                f.write("%d %s %s\n" % (n, mode, line))
            ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.chipkey.record\r\n"
            if bydir:
                parts = line.split(" ")[1].split("/") if " " in line else []
                path = os.path.join(record, "_".join(parts[4:])) if len(parts) > 4 else ""
                if path and os.path.isfile(path):
                    with open(path, "rb") as f:
                        body = f.read()
                else:
                    c.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                    mode = "done"
            if mode == "full":
                c.sendall(ok + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            elif mode == "cut":
                c.sendall(ok + b"Content-Length: %d\r\n\r\n" % len(body) + body[: len(body) // 2])
            elif mode == "hdrcut":
                c.sendall(b"HTTP/1.1 2")
            elif mode == "nolength":
                c.sendall(ok + b"\r\n" + body)
            elif mode == "chunked":
                c.sendall(ok + b"Transfer-Encoding: chunked\r\n\r\n%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
            elif mode == "redirect":
                c.sendall(b"HTTP/1.1 301 Moved Permanently\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n")
            elif mode == "huge":
                c.sendall(ok + b"Content-Length: 1000000000\r\n\r\nCKPR")
            elif mode == "bigheader":
                c.sendall(ok + b"".join(b"X-Filler-%d: %s\r\n" % (i, b"x" * 60) for i in range(1100)) + b"\r\n")
            elif mode == "e503":
                c.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
            c.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finally:
            c.close()


if __name__ == "__main__":
    main()
