#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A TCP proxy on loopback for the install tests (test-install.sh): the
TLS of the link runs end to end through it, unchanged; it counts the
connections (one a catalogue request) in LOG and, with --trickle N, passes
the server's bytes after the first N of each connection on one byte every
--delay seconds: a server that trickles.

  proxy.py PORTFILE LOG TARGET_PORT [--trickle N] [--delay S]
"""
import argparse
import os
import socket
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("portfile")
ap.add_argument("log")
ap.add_argument("target", type=int)
ap.add_argument("--trickle", type=int, default=-1)
ap.add_argument("--delay", type=float, default=0.5)
a = ap.parse_args()
lock = threading.Lock()
count = [0]


def log(msg):
    with lock:
        with open(a.log, "a") as f:
            f.write(msg + "\n")


def pump(src, dst, trickle):
    sent = 0
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if trickle < 0 or sent + len(data) <= trickle:
                dst.sendall(data)
                sent += len(data)
                continue
            for b in data:
                if sent >= trickle:
                    time.sleep(a.delay)
                dst.sendall(bytes([b]))
                sent += 1
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(c):
    with lock:
        count[0] += 1
        n = count[0]
    log("connection %d" % n)
    try:
        s = socket.create_connection(("127.0.0.1", a.target))
    except OSError:
        c.close()
        return
    threading.Thread(target=pump, args=(c, s, -1), daemon=True).start()
    pump(s, c, a.trickle)


ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(16)
with open(a.portfile + ".tmp", "w") as f:
    f.write("%d\n" % ls.getsockname()[1])
os.rename(a.portfile + ".tmp", a.portfile)
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
