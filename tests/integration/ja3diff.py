#!/usr/bin/env python3
"""ja3diff.py - netsift's TLS fingerprint inputs against nDPI's.

netsift parses TLS hellos itself (src/monitor/tls_hello.c); nDPI does too.
For every TLS flow both tools saw, the SNI, JA3 (client) and JA3S (server)
that netsift stored (flows.fingerprint_input, "sni\\nja4\\nja3s", and
flows.ja3) must equal ndpiReader's Hostname/SNI, JA3C and JA3S, except where nDPI's fixed
buffers cut the hello (KNOWN below).  Also checks that every stored
fingerprint is base64(SHA-256(fingerprint_input)) without padding.
Prints unexplained differences and a summary; exit status 1 on any.
"""
import argparse
import base64
import hashlib
import ipaddress
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

# nDPI 4.2 keeps at most a fixed number of cipher suites for JA3; netsift keeps all
KNOWN = {"tests_cfgs_default_pcap_ja3_lots_of_cipher_suites.pcap": "ja3"}

LINE = re.compile(r"^\s+\d+\s+\S+\s+(\S+):(\d+)\s+(?:<->|->)\s+(\S+):(\d+)\s")


def ip(text):
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        return text


def endpoints(a, ap, b, bp):
    return tuple(sorted([(ip(a), int(ap)), (ip(b), int(bp))]))


def ndpi(path):
    out = subprocess.run(["ndpiReader", "-i", path, "-v", "2", "-q"], capture_output=True,
                         text=True, errors="replace").stdout
    flows = {}
    for line in out.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        get = lambda rx: (re.search(rx, line) or [None, None])[1]  # noqa: E731
        flows[endpoints(*m.groups())] = {"sni": get(r"\[Hostname/SNI: ([^\]]*)\]"),
                                         "ja3": get(r"\[JA3C: ([0-9a-f]+)"),
                                         "ja3s": get(r"\[JA3S: ([0-9a-f]+)")}
    return flows


def netsift(binary, path):
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([binary, "capture", "-q", "-r", path, "--db-path", tmp, "--no-db-write",
                        "--workers", "1", "--control", "none", "--flow-log"], capture_output=True)
        db = os.path.join(tmp, "fingerprint.sqlite")
        if not os.path.exists(db):
            return []
        con = sqlite3.connect(db)
        rows = con.execute("SELECT src_ip, src_port, dst_ip, dst_port, fingerprint, "
                           "fingerprint_input, ja3 FROM flows WHERE fingerprint IS NOT NULL").fetchall()
        con.close()
        return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--netsift", required=True)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    counts = {"sni": [0, 0], "ja3": [0, 0], "ja3s": [0, 0], "hash": [0, 0]}
    bad = 0
    for path in args.files:
        name = os.path.basename(path)
        theirs = ndpi(path)
        for a, ap_, b, bp, fp, inp, ja3 in netsift(args.netsift, path):
            want = base64.b64encode(hashlib.sha256(inp.encode()).digest()).decode().rstrip("=")
            counts["hash"][0] += 1
            counts["hash"][1] += fp == want
            if fp != want:
                bad += 1
                print(f"HASH: {name}: {fp} is not SHA-256 of {inp!r}")
            parts = inp.split("\n")
            k = endpoints(a, ap_, b, bp)
            if len(parts) != 3 or k not in theirs:
                continue
            for field, ours in (("sni", parts[0]), ("ja3", ja3 or ""), ("ja3s", parts[2])):
                t = theirs[k][field]
                if not t or not ours:
                    continue
                counts[field][0] += 1
                counts[field][1] += t == ours
                if t != ours and KNOWN.get(name) != field:
                    bad += 1
                    print(f"DIFF: {name}: {k}: {field} netsift {ours!r}, nDPI {t!r}")
    print(", ".join(f"{f} {c[1]}/{c[0]} agree" for f, c in counts.items()) +
          f"; {bad} unexplained")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
