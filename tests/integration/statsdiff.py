#!/usr/bin/env python3
"""statsdiff.py - compare one netsift daemon watcher's counters (netsift stats
--json) with the same numbers computed by tshark on the capture it saw.

usage: statsdiff.py PCAP STATS_JSON WATCHER [--filter DISPLAY_FILTER]
                    [--times N] [--iface NAME]

tshark's own statistics give the per-MAC (-z endpoints,eth), per-IP
(-z endpoints,ip / endpoints,ipv6) and per-conversation packet counts
(-z conv,ip / conv,ipv6); its per-frame fields (frame.len, addresses,
frame.protocols) give bytes of conversations, protocols and the host
inventory.  The display filter is the watcher's filter written for
tshark; --times N: the capture was replayed N times.  Prints one line
per difference and exits 1 when there is any.
"""
import argparse
import collections
import json
import re
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("pcap")
ap.add_argument("stats")
ap.add_argument("watcher")
ap.add_argument("--filter", default="")
ap.add_argument("--times", type=int, default=1)
ap.add_argument("--iface", default=None)
args = ap.parse_args()
T = args.times

doc = json.load(open(args.stats))
w = [x for x in doc["watchers"] if x["name"] == args.watcher]
if not w:
    sys.exit(f"statsdiff: no watcher {args.watcher} in {args.stats}")
w = w[0]
ours = collections.defaultdict(dict)
for e in w["entries"]:
    ours[e["handler"]][e["key"]] = e

diffs = []
checked = collections.Counter()


def cmp(handler, key, field, want):
    if handler not in w["handlers"]:
        return
    e = ours[handler].get(key)
    got = e[field] if e else 0
    checked[handler] += 1
    if got != want:
        diffs.append(f"{handler} {key} {field}: tshark {want}, netsift {got}")


def tshark(*extra):
    r = subprocess.run(["tshark", "-n", "-r", args.pcap, *extra], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"statsdiff: tshark failed: {r.stderr.strip()}")
    return r.stdout


flt = ("," + args.filter) if args.filter else ""
# endpoints: ADDRESS packets bytes tx_packets tx_bytes rx_packets rx_bytes
out = tshark("-q", "-z", "endpoints,eth" + flt, "-z", "endpoints,ip" + flt, "-z", "endpoints,ipv6" + flt,
             "-z", "conv,ip" + flt, "-z", "conv,ipv6" + flt)
section = None
seen_keys = collections.defaultdict(set)
for line in out.splitlines():
    if line.endswith("Endpoints") or line.endswith("Conversations"):
        section = line
        continue
    m = re.match(r"^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$", line)
    if m and section and "Endpoints" in section:
        handler = "mac" if section.startswith("Ethernet") else "ip"
        addr = m.group(1).lower()
        seen_keys[handler].add(addr)
        for field, g in (("tx_packets", 4), ("tx_bytes", 5), ("rx_packets", 6), ("rx_bytes", 7)):
            cmp(handler, addr, field, T * int(m.group(g)))
        continue
    m = re.match(r"^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+\S+ \S+\s+(\d+)\s+\S+ \S+", line)
    if m and section and "Conversations" in section:
        a, b = m.group(1), m.group(2)
        b_to_a, a_to_b = T * int(m.group(3)), T * int(m.group(4))
        # netsift keys a conversation by its lower address first (bytes order)
        import ipaddress
        ia, ib = ipaddress.ip_address(a), ipaddress.ip_address(b)
        if ia.packed > ib.packed:
            a, b, a_to_b, b_to_a = b, a, b_to_a, a_to_b
        key = f"{ipaddress.ip_address(a)},{ipaddress.ip_address(b)}"
        seen_keys["conversation"].add(key)
        cmp("conversation", key, "tx_packets", a_to_b)
        cmp("conversation", key, "rx_packets", b_to_a)

# per-frame fields: conversation bytes, protocols, hosts, totals
fields = ["frame.len", "eth.src", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "arp.src.proto_ipv4",
          "frame.protocols"]
cmd = ["-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"]
for f in fields:
    cmd += ["-e", f]
if args.filter:
    cmd += ["-Y", args.filter]
conv_bytes = collections.Counter()
proto = collections.Counter()
proto_bytes = collections.Counter()
hosts = collections.Counter()
frames = total_bytes = 0
PROTO = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "icmpv6": "icmp6", "igmp": "igmp"}
import ipaddress
for line in tshark(*cmd).splitlines():
    v = line.split("\t")
    v += [""] * (len(fields) - len(v))
    length = int(v[0])
    frames += 1
    total_bytes += length
    src, dst = (v[2], v[3]) if v[2] else (v[4], v[5])
    if src and dst:
        ia, ib = ipaddress.ip_address(src), ipaddress.ip_address(dst)
        lo, hi = (ia, ib) if ia.packed <= ib.packed else (ib, ia)
        conv_bytes[(f"{lo},{hi}", "tx_bytes" if ia.packed <= ib.packed else "rx_bytes")] += length
    layers = v[7].split(":")
    name = None
    if "arp" in layers:
        name = "arp"
    for i, l in enumerate(layers):
        if l in ("ip", "ipv6"):
            name = next((PROTO[x] for x in layers[i + 1:] if x in PROTO), None)
            break
    if name:
        proto[name] += 1
        proto_bytes[name] += length
    if v[1]:
        ip = src or v[6]
        if ip in ("0.0.0.0", "::"):
            ip = ""
        hosts[f"{v[1]},{ipaddress.ip_address(ip)}" if ip else v[1]] += 1

for (key, field), n in conv_bytes.items():
    cmp("conversation", key, field, T * n)
for name, n in (proto.items() if "protocol" in w["handlers"] else ()):
    e = ours["protocol"].get(name)
    got = (e["tx_packets"] + e["rx_packets"], e["tx_bytes"] + e["rx_bytes"]) if e else (0, 0)
    checked["protocol"] += 1
    if got != (T * n, T * proto_bytes[name]):
        diffs.append(f"protocol {name}: tshark {T * n} packets {T * proto_bytes[name]} bytes, netsift {got}")
for key, n in hosts.items():
    cmp("host", key, "tx_packets", T * n)
if frames == 0:
    diffs.append("no frame matches: nothing was compared")
for handler in ("mac", "ip", "conversation"):
    extra = set(ours[handler]) - seen_keys[handler]
    if extra:
        diffs.append(f"{handler}: netsift has keys tshark does not: {sorted(extra)[:5]}")
if set(ours["host"]) - set(hosts):
    diffs.append(f"host: netsift has keys tshark does not: {sorted(set(ours['host']) - set(hosts))[:5]}")
if w["packets_matched"] != T * frames:
    diffs.append(f"packets matched: tshark {T * frames}, netsift {w['packets_matched']}")
if w["bytes_matched"] != T * total_bytes:
    diffs.append(f"bytes matched: tshark {T * total_bytes}, netsift {w['bytes_matched']}")
if args.iface:
    cmp("interface", args.iface, "rx_packets", T * frames)
    cmp("interface", args.iface, "rx_bytes", T * total_bytes)

for d in diffs:
    print(f"statsdiff {args.watcher}: {d}")
print(f"statsdiff {args.watcher}: {frames} frames x{T}; compared " +
      ", ".join(f"{k} {v}" for k, v in sorted(checked.items())) + f"; {len(diffs)} differences")
sys.exit(1 if diffs else 0)
