#!/usr/bin/env python3
"""ndpidiff.py - netsift's per-flow protocol against ndpiReader's.

For each capture: ndpiReader -v 2 prints one line per flow (protocol,
endpoints, VLAN, nDPI protocol name); netsift capture --monitor stores one
row per flow in fingerprint.sqlite's flows table.  Flows are matched by
their 5-tuple (IP protocol and the two endpoints in either order) and VLAN.
For every flow both tools saw, the protocol names must be equal, or the
difference must be listed in the allow-list:

    file-glob | netsift-protocol-glob | ndpireader-protocol-glob | reason

Flows only one tool saw are counted, not failed (the tools split captures
into flows differently at the edges: fragments, truncated packets, tunnels;
see the allow-list's header).  Prints one line per unexplained difference,
a summary line "N flows compared, A agree (P%), D allowed, U unexplained",
and with --report a markdown table.  Exit status 1 when a difference is
unexplained or a tool fails.
"""
import argparse
import concurrent.futures
import fnmatch
import ipaddress
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

FLOW_LINE = re.compile(
    r"^\s+\d+\s+(?P<l4>\S+)\s+(?P<a>\S+):(?P<ap>\d+)\s+(?:<->|->)\s+(?P<b>\S+):(?P<bp>\d+)\s+"
    r"(?:\[VLAN: (?P<vlan>\d+)\])?\[proto: [\d.]+/(?P<proto>[^\]]+)\]")
L4 = {"TCP": 6, "UDP": 17, "ICMP": 1, "ICMPV6": 58, "IGMP": 2}


def norm_ip(text):
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:  # ndpiReader 4.2 prints some IPv6 addresses wrongly ("2600:1901::7a0b::")
        return "?" + text


def key(l4, a, ap, b, bp, vlan):
    ends = sorted([(norm_ip(a), int(ap)), (norm_ip(b), int(bp))])
    return (int(l4), ends[0], ends[1], int(vlan or 0))


def ndpireader_flows(path, timeout):
    p = subprocess.run(["ndpiReader", "-i", path, "-v", "2", "-q"], capture_output=True,
                       text=True, errors="replace", timeout=timeout)
    flows = {}
    for line in p.stdout.splitlines():
        m = FLOW_LINE.match(line)
        if not m:
            continue
        l4 = m["l4"]
        l4 = L4.get(l4, int(l4) if l4.isdigit() else -1)
        k = key(l4, m["a"], m["ap"], m["b"], m["bp"], m["vlan"])
        flows.setdefault(k, m["proto"])
    return flows


def netsift_flows(netsift, path, timeout):
    with tempfile.TemporaryDirectory() as tmp:
        p = subprocess.run([netsift, "capture", "-q", "-r", path, "--db-path", tmp,
                            "--no-db-write", "--workers", "1", "--control", "none", "--flow-log"],
                           capture_output=True, text=True, errors="replace", timeout=timeout)
        if p.returncode not in (0, 1) or "Sanitizer" in p.stderr or "runtime error" in p.stderr:
            raise RuntimeError(f"netsift exit {p.returncode}: {p.stderr.strip()[-400:]}")
        db = os.path.join(tmp, "fingerprint.sqlite")
        if not os.path.exists(db):
            return {}
        con = sqlite3.connect(db)
        rows = con.execute("SELECT ip_proto, src_ip, src_port, dst_ip, dst_port, vlan, protocol, "
                           "packets FROM flows ORDER BY first_seen").fetchall()
        con.close()
    # a 5-tuple netsift ended and saw again (idle, RST then a new SYN) is several
    # flows; ndpiReader keeps one per 5-tuple in a file: compare its longest
    flows, packets = {}, {}
    for l4, a, ap, b, bp, vlan, proto, n in rows:
        k = key(l4, a, ap, b, bp, vlan)
        if n > packets.get(k, -1):
            flows[k], packets[k] = proto, n
    return flows


def load_allow(path):
    rules = []
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 4:
            sys.exit(f"ndpidiff: bad allow-list line: {line}")
        rules.append(parts)
    return rules


def allowed(rules, name, ours, theirs):
    for fglob, oglob, tglob, _ in rules:
        if fnmatch.fnmatch(name, fglob) and fnmatch.fnmatch(ours, oglob) and \
                fnmatch.fnmatch(theirs, tglob):
            return True
    return False


def compare(args, path):
    theirs = ndpireader_flows(path, args.timeout)
    ours = netsift_flows(args.netsift, path, args.timeout)
    both = [k for k in theirs if k in ours]
    diffs = [(k, ours[k], theirs[k]) for k in both if ours[k] != theirs[k]]
    return path, len(both), diffs, len(theirs) - len(both), len(ours) - len(both)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--netsift", required=True)
    ap.add_argument("--allow", required=True)
    ap.add_argument("--report")
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    rules = load_allow(args.allow)
    total = agree = allow = unexplained = only_theirs = only_ours = failed = 0
    per_pair = {}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
        futures = [ex.submit(compare, args, f) for f in sorted(args.files)]
        for fut in futures:
            try:
                path, n, diffs, ot, oo = fut.result()
            except Exception as e:  # a tool failed on a file
                failed += 1
                print(f"FAIL: {e}")
                continue
            name = os.path.basename(path)
            total += n
            agree += n - len(diffs)
            only_theirs += ot
            only_ours += oo
            for k, o, t in diffs:
                per_pair[(o, t)] = per_pair.get((o, t), 0) + 1
                if allowed(rules, name, o, t):
                    allow += 1
                else:
                    unexplained += 1
                    print(f"DIFF: {name}: {k}: netsift {o}, ndpiReader {t}")
    pct = 100.0 * agree / total if total else 100.0
    summary = (f"{len(args.files)} captures, {total} flows compared, {agree} agree ({pct:.2f}%), "
               f"{allow} allowed, {unexplained} unexplained; flows only ndpiReader saw: "
               f"{only_theirs}, only netsift: {only_ours}; tool failures: {failed}")
    print(summary)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            f.write("# nDPI agreement\n\nGenerated by tests/integration/test_monitor.sh "
                    "(ndpidiff.py): netsift's per-flow protocol against `ndpiReader -v 2` "
                    "(nDPI 4.2) on the same captures, flows matched by 5-tuple and VLAN.\n\n")
            f.write(summary + ".\n\n| netsift | ndpiReader | flows |\n| --- | --- | --- |\n")
            for (o, t), n in sorted(per_pair.items(), key=lambda x: -x[1]):
                f.write(f"| {o} | {t} | {n} |\n")
    return 1 if unexplained or failed else 0


if __name__ == "__main__":
    sys.exit(main())
