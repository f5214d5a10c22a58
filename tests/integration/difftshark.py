#!/usr/bin/env python3
"""difftshark.py - compare every stored header column with tshark.

For each capture given (or every file under a corpus directory), run
`netsift capture` into a fresh database and `tshark -T fields` on the same
file, then compare, per table and per packet, every column that tshark can
also tell us.  Packets are matched by capture timestamp (microseconds); rows
sharing a timestamp are compared as sorted multisets.

Differences are either fixed or listed in an allow-list (one line each:
`FILE-GLOB TABLE.COLUMN REASON...`, where COLUMN may be `presence` for a
row that one side has and the other not).  The exit status is 1 when a
difference is not allowed.  The agreement figure (compared values that are
equal) is printed and, with --report, written as markdown.
"""
import argparse
import concurrent.futures
import fnmatch
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections import defaultdict

TSHARK_FIELDS = """frame.time_epoch frame.protocols frame.encap_type
eth.dst eth.src eth.type vlan.id ieee8021ad.id
arp.hw.type arp.proto.type arp.hw.size arp.proto.size arp.opcode arp.src.hw_mac arp.src.proto_ipv4
arp.dst.hw_mac arp.dst.proto_ipv4
ip.hdr_len ip.version ip.dsfield ip.len ip.id ip.flags ip.frag_offset ip.ttl ip.proto ip.checksum
ip.src ip.dst
ipv6.version ipv6.tclass ipv6.flow ipv6.plen ipv6.nxt ipv6.hlim ipv6.src ipv6.dst
tcp.srcport tcp.dstport tcp.seq_raw tcp.ack_raw tcp.hdr_len tcp.flags tcp.window_size_value
tcp.checksum tcp.urgent_pointer
udp.srcport udp.dstport udp.length udp.checksum
icmp.type icmp.code icmp.checksum icmp.ident icmp.seq
icmpv6.type icmpv6.code icmpv6.checksum icmpv6.echo.identifier icmpv6.echo.sequence_number
dns.id dns.flags dns.count.queries dns.count.answers dns.count.auth_rr dns.count.add_rr
dns.qry.name dns.qry.type dns.qry.class dns.qry.qu
dhcp.type dhcp.hw.type dhcp.hw.len dhcp.hops dhcp.id dhcp.secs dhcp.flags dhcp.ip.client
dhcp.ip.your dhcp.ip.server dhcp.ip.relay dhcp.hw.mac_addr dhcp.option.dhcp
dhcp.option.hostname dhcp.option.vendor_class_id""".split()

TSHARK_PREFS = [
    "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
    "-o", "tcp.desegment_tcp_streams:FALSE", "-o", "tcp.analyze_sequence_numbers:FALSE",
    "-o", "tcp.relative_sequence_numbers:FALSE",
]


def num(v):
    """tshark prints integers in decimal or 0x hex; None when absent."""
    if v is None or v == "":
        return None
    try:
        return int(v, 0)
    except ValueError:
        return None


def bits(flags, mask):
    return None if flags is None else int(bool(flags & mask))


def ip_off(f):
    flags, off = num(f.get("ip.flags")), num(f.get("ip.frag_offset"))
    if flags is None or off is None:
        return None
    return flags << 13 | off  # tshark's frag_offset is the raw 13-bit field


def ip6_flow(f):
    v, tc, fl = num(f.get("ipv6.version")), num(f.get("ipv6.tclass")), num(f.get("ipv6.flow"))
    return None if None in (v, tc, fl) else v << 28 | tc << 20 | fl


def ip6_vfc(f):
    v, tc = num(f.get("ipv6.version")), num(f.get("ipv6.tclass"))
    return None if None in (v, tc) else v << 4 | tc >> 4


def echo_data32(ident_field, seq_field, types):
    def get(f, type_field):
        t, i, s = num(f.get(type_field)), num(f.get(ident_field)), num(f.get(seq_field))
        if t not in types or i is None or s is None:
            return None
        return i << 16 | s
    return get


def quarter(field):
    return lambda f: None if num(f.get(field)) is None else num(f[field]) // 4


def text(field):
    return lambda f: f.get(field) or None


def integer(field):
    return lambda f: num(f.get(field))


def tcp_flag(mask):
    return lambda f: bits(num(f.get("tcp.flags")), mask)


def dns_qclass(mdns):
    """tshark splits mDNS's unicast-response bit off the class; netsift
    stores the 16 bits as on the wire."""
    def get(f):
        v = num(f.get("dns.qry.class"))
        if v is None or not mdns:
            return v
        qu = f.get("dns.qry.qu", "")
        return v | (0x8000 if qu in ("1", "True") else 0)
    return get


ICMP4_ECHO = echo_data32("icmp.ident", "icmp.seq", (0, 8))
ICMP6_ECHO = echo_data32("icmpv6.echo.identifier", "icmpv6.echo.sequence_number", (128, 129))


def dns_columns(mdns):
    return {
        "tid": integer("dns.id"), "flags": integer("dns.flags"),
        "nqueries": integer("dns.count.queries"), "nanswers": integer("dns.count.answers"),
        "nauth": integer("dns.count.auth_rr"), "nother": integer("dns.count.add_rr"),
        "qname": text("dns.qry.name"), "qtype": integer("dns.qry.type"),
        "qclass": dns_qclass(mdns),
    }


# table -> column -> function(tshark fields of one frame) -> expected value
COLUMNS = {
    "eth": {"ether_dhost": text("eth.dst"), "ether_shost": text("eth.src"),
            "ether_type": integer("eth.type"),
            "vlan_id": lambda f: num(f.get("ieee8021ad.id")) if f.get("ieee8021ad.id") else num(f.get("vlan.id"))},
    "arp": {"arp_hrd": integer("arp.hw.type"), "arp_pro": integer("arp.proto.type"),
            "arp_hln": integer("arp.hw.size"), "arp_pln": integer("arp.proto.size"),
            "arp_op": integer("arp.opcode"), "arp_sha": text("arp.src.hw_mac"),
            "arp_spa": text("arp.src.proto_ipv4"), "arp_tha": text("arp.dst.hw_mac"),
            "arp_tpa": text("arp.dst.proto_ipv4")},
    "ip4": {"ip_hl": quarter("ip.hdr_len"), "ip_v": integer("ip.version"),
            "ip_tos": integer("ip.dsfield"), "ip_len": integer("ip.len"), "ip_id": integer("ip.id"),
            "ip_off": ip_off, "ip_ttl": integer("ip.ttl"), "ip_p": integer("ip.proto"),
            "ip_sum": integer("ip.checksum"), "ip_src": text("ip.src"), "ip_dst": text("ip.dst")},
    "ip6": {"ip6_un1_flow": ip6_flow, "ip6_un1_plen": integer("ipv6.plen"),
            "ip6_un1_nxt": integer("ipv6.nxt"), "cip6_un1_hlim": integer("ipv6.hlim"),
            "ip6_un2_vfc": ip6_vfc, "ip6_src": text("ipv6.src"), "ip6_dst": text("ipv6.dst")},
    "tcp": {"source": integer("tcp.srcport"), "dest": integer("tcp.dstport"),
            "seq": integer("tcp.seq_raw"), "ack_seq": integer("tcp.ack_raw"),
            "res1": lambda f: None if num(f.get("tcp.flags")) is None else num(f["tcp.flags"]) >> 8 & 15,
            "doff": quarter("tcp.hdr_len"),
            "fin": tcp_flag(0x01), "syn": tcp_flag(0x02), "rst": tcp_flag(0x04),
            "psh": tcp_flag(0x08), "ack": tcp_flag(0x10), "urg": tcp_flag(0x20),
            "ece": tcp_flag(0x40), "cwr": tcp_flag(0x80),
            "window": integer("tcp.window_size_value"), "check_p": integer("tcp.checksum"),
            "urg_ptr": integer("tcp.urgent_pointer")},
    "udp": {"source": integer("udp.srcport"), "dest": integer("udp.dstport"),
            "len": integer("udp.length"), "check_p": integer("udp.checksum")},
    "icmp4": {"type": integer("icmp.type"), "code": integer("icmp.code"),
              "checksum": integer("icmp.checksum"), "gateway": lambda f: ICMP4_ECHO(f, "icmp.type")},
    "icmp6": {"icmp6_type": integer("icmpv6.type"), "icmp6_code": integer("icmpv6.code"),
              "icmp6_cksum": integer("icmpv6.checksum"),
              "icmp6_un_data32": lambda f: ICMP6_ECHO(f, "icmpv6.type")},
    "dns": dns_columns(False),
    "mdns": dns_columns(True),
    "dhcp": {"op": integer("dhcp.type"), "htype": integer("dhcp.hw.type"),
             "hlen": integer("dhcp.hw.len"), "hops": integer("dhcp.hops"), "xid": integer("dhcp.id"),
             "secs": integer("dhcp.secs"), "flags": integer("dhcp.flags"),
             "ciaddr": text("dhcp.ip.client"), "yiaddr": text("dhcp.ip.your"),
             "siaddr": text("dhcp.ip.server"), "giaddr": text("dhcp.ip.relay"),
             "msg_type": integer("dhcp.option.dhcp"), "host_name": text("dhcp.option.hostname"),
             "vendor_class": text("dhcp.option.vendor_class_id")},
}

# what netsift decodes (libpcap's DLT names)
DECODED_LINKTYPES = {"EN10MB", "LINUX_SLL", "LINUX_SLL2", "RAW", "IPV4", "IPV6", "NULL", "LOOP",
                     "PPP", "PPP_SERIAL", "PPP_ETHER", "C_HDLC", "IEEE802_11", "IEEE802_11_RADIO"}

# tshark protocol names (frame.protocols) -> netsift table
PROTO_TABLE = {"ip": "ip4", "ipv6": "ip6", "tcp": "tcp", "udp": "udp", "icmp": "icmp4",
               "icmpv6": "icmp6", "arp": "arp", "dhcp": "dhcp"}


def tshark_layers(f):
    """The netsift tables tshark's dissection implies for one frame.
    The walk stops where netsift stops: after ICMP, at a second IP header
    (tunnels, ICMP errors), and after TCP/UDP nothing but DNS, mDNS and
    DHCP count (no decoding inside tunnels such as VXLAN or CAPWAP)."""
    protos = f.get("frame.protocols", "").split(":")
    layers, ips = set(), 0
    for p in protos:
        if p in ("ip", "ipv6"):
            ips += 1
            if ips > 1:
                break
        if ("tcp" in layers or "udp" in layers) and p not in ("dns", "mdns", "dhcp"):
            continue
        t = PROTO_TABLE.get(p)
        if t:
            layers.add(t)
        if p in ("dns", "mdns"):
            ports = {num(f.get(k)) for k in ("udp.srcport", "udp.dstport", "tcp.srcport", "tcp.dstport")}
            if 5353 in ports and "udp" in layers:
                layers.add("mdns")
            elif 53 in ports:
                layers.add("dns")
        if p in ("icmp", "icmpv6"):
            break
    return layers


def epoch_us(s):
    if not s:
        return None
    neg = s.startswith("-")
    sec, _, frac = s.lstrip("-").partition(".")
    v = int(sec) * 1000000 + int((frac + "000000")[:6])
    return -v if neg else v


def run_tshark(path, limit):
    cmd = ["tshark", "-n", "-r", path, *TSHARK_PREFS, "-T", "fields", "-E", "occurrence=f",
           "-E", "separator=\t"]
    for fld in TSHARK_FIELDS:
        cmd += ["-e", fld]
    if limit is not None:
        cmd += ["-c", str(limit)]
    out = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=600).stdout
    frames = []
    for line in out.splitlines():
        vals = line.split("\t")
        frames.append(dict(zip(TSHARK_FIELDS, vals)))
    return frames


def run_netsift(netsift, path, db_dir):
    p = subprocess.run([netsift, "capture", "-q", "--json", "-r", path, "--db-path", db_dir],
                       capture_output=True, text=True, errors="replace", timeout=600)
    summary = None
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            summary = json.loads(line)
    return p.returncode, summary, p.stderr.strip()


def netsift_rows(db_path, table):
    con = sqlite3.connect(db_path)
    con.text_factory = lambda b: b.decode("utf-8", "strict")
    cols = list(COLUMNS[table])
    rows = con.execute(f"SELECT frames, timestamp, {', '.join(cols)} FROM {table}").fetchall()
    con.close()
    # a row stands for `frames` frames with that header (the key merges
    # them): one tuple per frame, as tshark lists them
    return cols, [r[1:] for r in rows for _ in range(r[0])]


def normalize(v):
    return "" if v is None else str(v).lower()


def compare_file(netsift, path):
    """Returns a dict of counts and example differences for one capture."""
    res = {"file": path, "compared": defaultdict(int), "equal": defaultdict(int),
           "diffs": defaultdict(list), "status": "ok"}
    with tempfile.TemporaryDirectory() as tmp:
        rc, summary, err = run_netsift(netsift, path, tmp)
        if summary is None or summary.get("packets", 0) == 0:
            res["status"] = f"not read by netsift (exit {rc}: {err[:120]})" if rc else "empty"
            return res
        if rc != 0:
            res["status"] = f"partly read: {summary['packets']} packets, then: {err[:160]}"
        linktype = summary.get("linktype")
        if linktype not in DECODED_LINKTYPES:
            res["status"] = "link type not decoded"
            return res
        frames = run_tshark(path, summary["packets"])
        db = os.path.join(tmp, "headers.sqlite")
        by_ts = defaultdict(list)
        for fr in frames:
            ts = epoch_us(fr.get("frame.time_epoch"))
            if ts is not None:
                by_ts[ts].append(fr)
        for table, colfuncs in COLUMNS.items():
            if table == "eth" and linktype != "EN10MB":
                continue
            cols, rows = netsift_rows(db, table)
            mine = defaultdict(list)
            for r in rows:
                mine[r[0]].append(tuple(normalize(v) for v in r[1:]))
            theirs = defaultdict(list)
            for ts, frs in by_ts.items():
                for fr in frs:
                    if table == "eth" or table in tshark_layers(fr):
                        theirs[ts].append(tuple(normalize(colfuncs[c](fr)) for c in cols))
            for ts in set(mine) | set(theirs):
                a, b = sorted(mine.get(ts, [])), sorted(theirs.get(ts, []))
                if len(a) != len(b):
                    key = f"{table}.presence"
                    res["compared"][key] += max(len(a), len(b))
                    res["equal"][key] += min(len(a), len(b))
                    res["diffs"][key].append((ts, f"netsift {len(a)} rows", f"tshark {len(b)}"))
                    continue
                for ra, rb in zip(a, b):
                    for i, c in enumerate(cols):
                        if rb[i] == "":  # tshark has no such field here
                            continue
                        key = f"{table}.{c}"
                        res["compared"][key] += 1
                        if ra[i] == rb[i]:
                            res["equal"][key] += 1
                        else:
                            res["diffs"][key].append((ts, ra[i], rb[i]))
    return res


def load_allow(path):
    rules = []
    if path and os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 2)
            if len(parts) < 3:
                sys.exit(f"{path}: every rule needs FILE-GLOB TABLE.COLUMN REASON: {line}")
            rules.append(parts)
    return rules


def allowed(rules, path, key):
    name = os.path.relpath(path, args.corpus) if args.corpus else os.path.basename(path)
    for glob, col, _ in rules:
        if fnmatch.fnmatch(name, glob) and fnmatch.fnmatch(key, col):
            return True
    return False


def main():
    global args
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--netsift", required=True)
    ap.add_argument("--corpus", help="directory searched recursively for captures")
    ap.add_argument("--allow", help="allow-list file")
    ap.add_argument("--report", help="write the agreement table (markdown) here")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    files = list(args.files)
    if args.corpus:
        for root, _, names in os.walk(args.corpus):
            files += [os.path.join(root, n) for n in names if not n.endswith((".md", ".txt"))]
    files.sort()
    rules = load_allow(args.allow)
    compared, equal = defaultdict(int), defaultdict(int)
    unallowed, statuses = [], defaultdict(int)
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for i, res in enumerate(pool.map(lambda f: compare_file(args.netsift, f), files)):
            statuses[res["status"].split(":")[0].split(" (")[0]] += 1
            for k, v in res["compared"].items():
                compared[k] += v
                equal[k] += res["equal"][k]
            for k, diffs in res["diffs"].items():
                if not allowed(rules, res["file"], k):
                    unallowed.append((res["file"], k, diffs[:3], len(diffs)))
            if sys.stderr.isatty():
                print(f"\r{i + 1}/{len(files)} files", end="", file=sys.stderr)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    total_c, total_e = sum(compared.values()), sum(equal.values())
    lines = ["| column | compared | equal | agreement |", "| --- | --- | --- | --- |"]
    for k in sorted(compared):
        lines.append(f"| {k} | {compared[k]} | {equal[k]} | {100.0 * equal[k] / compared[k]:.3f}% |")
    pct = 100.0 * total_e / total_c if total_c else 0.0
    summary = (f"{len(files)} captures; " + ", ".join(f"{v} {k}" for k, v in sorted(statuses.items()))
               + f"; {total_c} values compared, {total_e} equal ({pct:.4f}%)")
    print("\n".join(lines))
    print(summary)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as out:
            out.write("# Agreement with tshark\n\nGenerated by tests/integration/difftshark.py.\n\n")
            out.write(summary + "\n\n" + "\n".join(lines) + "\n")
    for f, k, examples, n in unallowed:
        print(f"NOT ALLOWED: {f} {k}: {n} differences, e.g. (timestamp, netsift, tshark) {examples}")
    if unallowed:
        print(f"{len(unallowed)} (file, column) differences are not in the allow-list")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
