#!/usr/bin/env python3
"""interop.py - checks of Community ID and SQL extraction against tshark
(test_interop.sh).

  interop.py cid --netsift N PCAP...
      capture each PCAP (headers and raw store); for every frame netsift
      gives a community_id (tcp, udp, icmp4, icmp6 rows and meta rows), it
      equals tshark's `communityid` of that frame (frame = frame.number; meta
      rows alone for SCTP and port-less protocols, except tunnelled packets:
      netsift hashes the outer header, tshark the innermost);
      header and meta rows agree; every flow (unordered address/port pair
      and protocol) has exactly one value.
  interop.py sql --netsift N PCAP SQL FILTER
      `netsift extract --sql SQL` after a capture of PCAP writes exactly the
      frames `tshark -Y FILTER` selects (timestamp, length, caplen, SHA-256
      of the bytes, compared in timestamp order).
Prints one line per problem and exits 1 when a check fails.
"""
import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rawcheck  # noqa: E402

CID_TABLES = ("tcp", "udp", "icmp4", "icmp6")


def capture(netsift, pcap, db):
    subprocess.run([netsift, "capture", "-r", pcap, "-d", db, "--file-write", "--no-monitor",
                    "-q"], check=True, stdout=subprocess.DEVNULL)


def tshark_fields(pcap, fields, extra=()):
    out = subprocess.run(["tshark", "-n", "-r", pcap, "--enable-protocol", "communityid",
                          *extra, "-T", "fields", "-E", "separator=\t",
                          *sum((["-e", f] for f in fields), [])],
                         check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def check_cid(netsift, pcap, problems):
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "db")
        capture(netsift, pcap, db)
        h = sqlite3.connect(os.path.join(db, "headers.sqlite"))
        ours = {}
        for t in CID_TABLES:
            for frame, cid in h.execute(f"SELECT frame, community_id FROM {t}"):
                ours[frame] = cid
        m = sqlite3.connect(os.path.join(db, "pcap-meta.sqlite"))
        meta = dict(m.execute("SELECT frame, community_id FROM meta"))
    rows = tshark_fields(pcap, ["frame.number", "communityid", "ip.src", "ipv6.src", "ip.dst",
                                "ipv6.dst", "ip.proto", "ipv6.nxt", "tcp.srcport", "tcp.dstport",
                                "udp.srcport", "udp.dstport", "sctp.srcport", "sctp.dstport"])
    flows = defaultdict(set)
    compared = 0
    for r in rows:
        r += [""] * (14 - len(r))
        frame = int(r[0])
        theirs = r[1].split(",")[0]
        mine = ours.get(frame)
        if mine is not None and meta.get(frame) != mine:
            problems.append(f"{pcap}: frame {frame}: meta {meta.get(frame)} != header row {mine}")
        tunnel = "," in "".join(r[2:8]) or bool(r[2] and r[3])  # several IP layers
        if mine is None and not tunnel:  # SCTP and port-less protocols: meta rows only
            mine = meta.get(frame)
        if mine is None or not theirs:
            continue
        compared += 1
        if mine != theirs:
            problems.append(f"{pcap}: frame {frame}: netsift {mine}, tshark {theirs}")
        src = r[2] or r[3]
        dst = r[4] or r[5]
        proto = r[6] or r[7]
        sp, dp = (r[8], r[9]) if r[8] else (r[10], r[11]) if r[10] else (r[12], r[13])
        if tunnel:
            continue
        key = (proto,) + tuple(sorted([(src, sp), (dst, dp)]))
        flows[key].add(mine)
    for key, values in flows.items():
        if len(values) != 1:
            problems.append(f"{pcap}: flow {key}: {len(values)} values {sorted(values)}")
    return compared


def check_sql(netsift, pcap, query, display_filter, problems):
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "db")
        capture(netsift, pcap, db)
        out = os.path.join(tmp, "out.pcap")
        ref = os.path.join(tmp, "ref.pcap")
        r = subprocess.run([netsift, "extract", "-d", db, "-q", "-w", out, "--sql", query],
                           capture_output=True, text=True)
        if r.returncode != 0:
            problems.append(f"{pcap}: extract --sql exit {r.returncode}: {r.stderr.strip()}")
            return 0
        subprocess.run(["tshark", "-n", "-r", pcap, "-Y", display_filter, "-F", "pcap", "-w", ref],
                       check=True, capture_output=True)
        ours = sorted(rawcheck.read_pcap(out))
        theirs = sorted(rawcheck.read_pcap(ref))
        if ours != theirs:
            problems.append(f"{pcap}: --sql \"{query}\": {len(ours)} frames, tshark -Y "
                            f"\"{display_filter}\": {len(theirs)}; first differing: "
                            f"{next((a, b) for a, b in zip(ours + [None] * len(theirs), theirs + [None] * len(ours)) if a != b)}")
        return len(theirs)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("cid")
    c.add_argument("--netsift", required=True)
    c.add_argument("pcaps", nargs="+")
    s = sub.add_parser("sql")
    s.add_argument("--netsift", required=True)
    s.add_argument("pcap")
    s.add_argument("query")
    s.add_argument("filter")
    a = ap.parse_args()
    problems = []
    if a.cmd == "cid":
        n = sum(check_cid(a.netsift, p, problems) for p in a.pcaps)
        print(f"{n} frames compared")
    else:
        n = check_sql(a.netsift, a.pcap, a.query, a.filter, problems)
        print(f"{n} frames selected by tshark")
    for p in problems[:20]:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
