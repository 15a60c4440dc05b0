#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""One raw HTTP request for http.sh, byte for byte as given (curl would
mend it): standard input to 127.0.0.1:PORT, and what the server sends back
until it closes the connection to standard output.

  raw.py PORT [--timeout S]

Exit 0 once the server closed the connection (a reset counts), 2 if it was
still open after --timeout seconds (default 10).
"""
import argparse
import socket
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--timeout", type=float, default=10)
    a = ap.parse_args()

    req = sys.stdin.buffer.read()
    s = socket.create_connection(("127.0.0.1", a.port), timeout=a.timeout)
    try:
        s.sendall(req)
    except OSError:	# closed before it read everything: read its answer
        pass
    got, rc = b"", 0
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += d
    except socket.timeout:
        rc = 2
    except OSError:
        pass
    sys.stdout.buffer.write(got)
    return rc


if __name__ == "__main__":
    sys.exit(main())
