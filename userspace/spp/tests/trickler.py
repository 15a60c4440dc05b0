#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Slow-loris client for test-slowloris.sh: COUNT TCP connections to the SPP,
each from its own source address (bound before connect), each sending a real
TLS 1.3 ClientHello one byte per INTERVAL and never its last byte.

  trickler.py PORT --addrs A1,A2,... [--interval S] [--duration S]
              [--status FILE] [--partial N]

--status FILE is rewritten on every change: "open=N cut=M".  At the end
(every connection cut, or --duration passed, or SIGTERM) one line per
connection is printed: "ADDR cut SECONDS" (seconds from connect to the
SPP's close) or "ADDR open".  --partial N: send only the first N bytes of
the ClientHello at once, then nothing (a stalled client); --partial -1: the
whole ClientHello at once, then nothing (stalls the rest of the handshake).
--raw HEX: send these bytes at once instead, then nothing.
--reconnect: a connection the SPP cuts is replaced at once by a new one from
the same address, sending the same; the status then counts every cut, and
the end lists the connections open at the end ("ADDR open"), then a line
"cuts N".
--await-reply: after sending, wait (up to 10 s) for the SPP's first bytes
before the next connection, so that the SPP has read this ClientHello.
"""
import argparse
import os
import select
import selectors
import signal
import socket
import ssl
import sys
import time


def client_hello():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    inb, outb = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inb, outb, server_side=False)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outb.read()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--addrs", required=True)
    ap.add_argument("--interval", type=float, default=0.25)
    ap.add_argument("--duration", type=float, default=40.0)
    ap.add_argument("--status")
    ap.add_argument("--partial", type=int, default=0)
    ap.add_argument("--raw")
    ap.add_argument("--reconnect", action="store_true")
    ap.add_argument("--await-reply", action="store_true")
    a = ap.parse_args()

    hello = client_hello()
    assert hello[0] == 22 and len(hello) > 100, "not a ClientHello"
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))

    conns = []      # dicts: sock, addr, t0, sent, cut (seconds or None)
    sel = selectors.DefaultSelector()
    if a.raw:
        a.partial = -1
        hello = bytes.fromhex(a.raw)

    def connect(addr):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((addr, 0))
        s.connect(("127.0.0.1", a.port))
        s.setblocking(False)
        c = {"sock": s, "addr": addr, "t0": time.monotonic(), "sent": 0, "cut": None}
        if a.partial:
            part = hello if a.partial < 0 else hello[:a.partial]
            try:
                s.sendall(part)
            except BlockingIOError:
                pass
            c["sent"] = len(part)
            if a.await_reply:
                select.select([s], [], [], 10.0)
        conns.append(c)
        sel.register(s, selectors.EVENT_READ, c)

    for addr in a.addrs.split(","):
        assert addr, "empty source address"
        connect(addr)

    def status():
        if not a.status:
            return
        n_cut = sum(1 for c in conns if c["cut"] is not None)
        tmp = a.status + ".tmp"
        with open(tmp, "w") as f:
            f.write("open=%d cut=%d\n" % (len(conns) - n_cut, n_cut))
        os.replace(tmp, a.status)

    def cut(c):
        if c["cut"] is None:
            c["cut"] = time.monotonic() - c["t0"]
            sel.unregister(c["sock"])
            c["sock"].close()
            if a.reconnect and not stop:
                connect(c["addr"])
            status()

    status()
    end = time.monotonic() + a.duration
    next_byte = time.monotonic()
    while not stop and time.monotonic() < end and any(c["cut"] is None for c in conns):
        for key, _ in sel.select(timeout=max(0.0, next_byte - time.monotonic())):
            c = key.data
            try:
                if c["sock"].recv(4096) == b"":
                    cut(c)
            except BlockingIOError:
                pass
            except OSError:
                cut(c)
        if time.monotonic() >= next_byte:
            next_byte += a.interval
            for c in conns:
                # one byte more, never the last one
                if c["cut"] is not None or a.partial or c["sent"] >= len(hello) - 1:
                    continue
                try:
                    c["sent"] += c["sock"].send(hello[c["sent"]:c["sent"] + 1])
                except BlockingIOError:
                    pass
                except OSError:
                    cut(c)
    for c in conns:
        if c["cut"] is None:
            print("%s open" % c["addr"])
        elif not a.reconnect:
            print("%s cut %.2f" % (c["addr"], c["cut"]))
    if a.reconnect:
        print("cuts %d" % sum(1 for c in conns if c["cut"] is not None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
