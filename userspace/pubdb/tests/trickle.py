#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Slow HTTP clients for deadline.sh: COUNT connections to chipkey-pubdb,
each sending its request one byte per INTERVAL seconds and never finishing.

  trickle.py PORT PATH --mode head|body|keepalive [--count N]
             [--interval S] [--duration S] [--ready FILE]

head:      the request head of a GET, one byte at a time, never its end
body:      a POST head with Content-Length 4000 at once, then the body one
           byte at a time (4000 bytes never all come)
keepalive: a whole GET at once, its answer read, then the next request's
           head one byte at a time (the deadline starts again after an answer)

--ready FILE is written once every connection is open (for keepalive: once
every first answer is read).  At the end (every connection cut, or
--duration passed) one line per connection: "cut SECONDS" (from the last
start of the clock: connect, or the end of the first answer, to the
server's close), "open", or "answered" (the server sent an answer to the
unfinished request).
"""
import argparse
import selectors
import socket
import time


def read_answer(s):
    """Reads one HTTP answer with a Content-Length; False if none came."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            return False
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    n = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v)
    while len(rest) < n:
        d = s.recv(4096)
        if not d:
            return False
        rest += d
    return head.startswith(b"HTTP/1.1 ")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("path")
    ap.add_argument("--mode", choices=("head", "body", "keepalive"), required=True)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--interval", type=float, default=0.7)
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("--ready")
    a = ap.parse_args()

    get = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % a.path).encode()
    slow = get + b"X-Padding: " + b"a" * 4000
    conns = []
    for _ in range(a.count):
        s = socket.create_connection(("127.0.0.1", a.port))
        start = time.monotonic()
        if a.mode == "body":
            s.sendall(("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Content-Length: 4000\r\n\r\n" % a.path).encode())
            data = b"x" * 4000
        elif a.mode == "keepalive":
            s.sendall(get + b"\r\n")
            if not read_answer(s):
                raise SystemExit("keepalive: the first request was not answered")
            start = time.monotonic()
            data = slow
        else:
            data = slow
        conns.append({"s": s, "start": start, "data": data, "off": 0, "cut": None})
    if a.ready:
        with open(a.ready, "w") as f:
            f.write("ready\n")

    sel = selectors.DefaultSelector()
    for c in conns:
        c["s"].setblocking(False)
        sel.register(c["s"], selectors.EVENT_READ, c)
    end = time.monotonic() + a.duration
    next_send = time.monotonic()
    while time.monotonic() < end and any(c["cut"] is None for c in conns):
        for key, _ in sel.select(timeout=0.05):
            c = key.data
            try:
                d = c["s"].recv(4096)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                d = b""
            if d:	# an answer to a request that never ended: reported
                c["answered"] = True
            else:	# closed by the server
                c["cut"] = time.monotonic() - c["start"]
                sel.unregister(c["s"])
                c["s"].close()
        if time.monotonic() >= next_send:
            next_send += a.interval
            for c in conns:
                if c["cut"] is not None or c["off"] >= len(c["data"]) - 1:
                    continue
                try:
                    c["s"].send(c["data"][c["off"]:c["off"] + 1])
                    c["off"] += 1
                except OSError:
                    c["cut"] = time.monotonic() - c["start"]
                    sel.unregister(c["s"])
                    c["s"].close()
    for c in conns:
        if c.get("answered"):
            print("answered")
        else:
            print("open" if c["cut"] is None else "cut %.1f" % c["cut"])


if __name__ == "__main__":
    main()
