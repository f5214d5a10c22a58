#!/usr/bin/env python3
"""auditcheck.py - an independent reader of netsift audit record files.

Reads DIR/<Type>.ncap.gz with Python's gzip module and Google's protobuf
runtime (python3-protobuf), using message classes built from
proto/netsift.proto (compiled to a descriptor set by protoc-c), so it
shares no code with netsift's C reader.  Subcommands:

  records DESCSET FILE...       every record as one JSON object per line
                                (bytes as hex, enums by name), as
                                `netsift dump --json` prints them
  counts DESCSET DIR PCAP       records per type == tshark's frames per
                                protocol (frame.protocols); TLS hello
                                records == tshark's hellos (port, SNI,
                                JA3 / JA3S)
  conv DESCSET DIR PCAP         Connection records == tshark -z conv,tcp
                                and conv,udp (frames per direction,
                                exact byte counts where tshark prints them)
  same DESCSET DIR1 DIR2        every record file holds the same records
                                (as a multiset) in both directories
Exit status 0 when everything agrees, 1 with the differences on stderr.
"""
import collections
import gzip
import json
import re
import subprocess
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import FieldDescriptor

TYPES = ["Ethernet", "Dot1Q", "ARP", "IPv4", "IPv6", "TCP", "UDP", "ICMPv4", "ICMPv6",
         "DNS", "DHCPv4", "TLSClientHello", "TLSServerHello", "Flow", "Connection", "LinkFlow", "NetworkFlow", "TransportFlow"]


def load_classes(descset):
    fds = descriptor_pb2.FileDescriptorSet()
    with open(descset, "rb") as f:
        fds.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fd in fds.file:
        pool.Add(fd)
    factory = message_factory.MessageFactory(pool)
    classes = {}
    for name in TYPES + ["Header"]:
        classes[name] = factory.GetPrototype(pool.FindMessageTypeByName("netsift." + name))
    type_enum = pool.FindEnumTypeByName("netsift.Type")
    return classes, type_enum


def varint(data, pos):
    shift = value = 0
    while True:
        if pos >= len(data):
            raise EOFError("stream ends inside a length")
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7


def read_file(path, classes, type_enum):
    """(header, [records]) of one file."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    pos = 0
    size, pos = varint(data, pos)
    header = classes["Header"]()
    header.ParseFromString(data[pos:pos + size])
    pos += size
    tname = type_enum.values_by_number[header.Type].name
    assert tname.startswith("NC_"), tname
    cls = classes[tname[3:]]
    records = []
    while pos < len(data):
        size, pos = varint(data, pos)
        if pos + size > len(data):
            raise EOFError("stream ends inside a record")
        m = cls()
        m.ParseFromString(data[pos:pos + size])
        pos += size
        records.append(m)
    return header, tname[3:], records


def to_obj(m):
    out = {}
    for fd in m.DESCRIPTOR.fields:
        v = getattr(m, fd.name)
        out[fd.name] = conv_value(fd, v)
    return out


def conv_value(fd, v):
    if fd.label == FieldDescriptor.LABEL_REPEATED:
        return [conv_scalar(fd, x) for x in v]
    return conv_scalar(fd, v)


def conv_scalar(fd, v):
    if fd.type == FieldDescriptor.TYPE_BYTES:
        return v.hex()
    if fd.type == FieldDescriptor.TYPE_ENUM:
        return fd.enum_type.values_by_number[v].name
    if fd.type == FieldDescriptor.TYPE_MESSAGE:
        return to_obj(v)
    return v


# --- tshark side --------------------------------------------------------

# record type -> tshark protocol names (frame.protocols tokens)
TSHARK_PROTOS = {
    "Ethernet": ("eth", "sll", "null", "loop"),
    "ARP": ("arp",),
    "IPv4": ("ip",),
    "IPv6": ("ipv6",),
    "TCP": ("tcp",),
    "UDP": ("udp",),
    "ICMPv4": ("icmp",),
    "ICMPv6": ("icmpv6",),
    "DNS": ("dns", "mdns"),
    "DHCPv4": ("dhcp",),
}
# a second network layer or an ICMP error quote starts what netsift does
# not decode (tunnels, quoted headers)
INNER_START = {"ip", "ipv6", "icmp", "icmpv6", "gre", "ipcomp"}


def tshark_counts(pcap):
    out = subprocess.run(["tshark", "-n", "-r", pcap, "-T", "fields", "-e", "frame.protocols"],
                         check=True, capture_output=True, text=True).stdout
    counts = collections.Counter()
    for line in out.splitlines():
        toks = line.split(":")
        seen_net = False
        outer = []
        for t in toks:
            if t in INNER_START and seen_net:
                if t in ("icmp", "icmpv6"):
                    outer.append(t)
                break
            if t in ("ip", "ipv6"):
                seen_net = True
            outer.append(t)
        counts["Dot1Q"] += outer.count("vlan") + outer.count("ieee8021ad")
        for rtype, names in TSHARK_PROTOS.items():
            if any(n in outer for n in names):
                counts[rtype] += 1
    return counts


# record type -> (tshark display filter, tshark fields, record fields)
TLS_CHECKS = {
    "TLSClientHello": ("tls.handshake.type == 1",
                       ["tcp.srcport", "tls.handshake.extensions_server_name", "tls.handshake.ja3"],
                       ["SrcPort", "SNI", "JA3"]),
    "TLSServerHello": ("tls.handshake.type == 2", ["tcp.srcport", "tls.handshake.ja3s"],
                       ["SrcPort", "JA3S"]),
}


def cmd_tls(classes, type_enum, d, pcap):
    bad = 0
    for rtype, (flt, tfields, rfields) in TLS_CHECKS.items():
        cmd = ["tshark", "-n", "-r", pcap, "-Y", flt, "-T", "fields"]
        for f in tfields:
            cmd += ["-e", f]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        theirs = collections.Counter(tuple(line.split("\t")) for line in out.splitlines() if line)
        _, _, recs = read_file(f"{d}/{rtype}.ncap.gz", classes, type_enum)
        ours = collections.Counter(tuple(str(getattr(r, f)) for f in rfields) for r in recs)
        if ours != theirs:
            print(f"{pcap}: {rtype}: netsift {sum(ours.values())}, tshark {sum(theirs.values())}; "
                  f"only netsift {list((ours - theirs).elements())[:3]}, "
                  f"only tshark {list((theirs - ours).elements())[:3]}", file=sys.stderr)
            bad = 1
    return bad


def cmd_counts(classes, type_enum, d, pcap):
    ts = tshark_counts(pcap)
    bad = cmd_tls(classes, type_enum, d, pcap)
    for t in TSHARK_PROTOS.keys() | {"Dot1Q"}:
        _, _, recs = read_file(f"{d}/{t}.ncap.gz", classes, type_enum)
        if len(recs) != ts[t]:
            print(f"{pcap}: {t}: netsift {len(recs)} records, tshark {ts[t]} frames", file=sys.stderr)
            bad = 1
    return bad


CONV_RE = re.compile(r"^(\S+):(\d+)\s+<->\s+(\S+):(\d+)\s+(\d+)\s+([\d,]+ \S+)\s+(\d+)\s+([\d,]+ \S+)")


def cmd_conv(classes, type_enum, d, pcap):
    _, _, recs = read_file(f"{d}/Connection.ncap.gz", classes, type_enum)
    bad = 0
    for proto in ("tcp", "udp"):
        out = subprocess.run(["tshark", "-n", "-r", pcap, "-q", "-z", f"conv,{proto}"],
                             check=True, capture_output=True, text=True).stdout
        # (A, pa, B, pb) -> [frames A->B, frames B->A, bytes A->B, bytes B->A]
        theirs = collections.defaultdict(lambda: [0, 0, 0, 0])
        for line in out.splitlines():
            m = CONV_RE.match(line)
            if not m:
                continue
            a, pa, b, pb = m.group(1), int(m.group(2)), m.group(3), int(m.group(4))
            key = (a, pa, b, pb)
            v = theirs[key]
            v[1] += int(m.group(5))
            v[0] += int(m.group(7))
            for i, g in ((3, 6), (2, 8)):
                num, unit = m.group(g).replace(",", "").split()
                v[i] = v[i] + int(num) if unit == "bytes" and v[i] is not None else None
        ours = collections.defaultdict(lambda: [0, 0, 0, 0])
        for r in recs:
            if r.TransportProto != proto.upper():
                continue
            v = ours[(r.SrcIP, r.SrcPort, r.DstIP, r.DstPort)]
            v[0] += r.ClientPackets
            v[1] += r.ServerPackets
            v[2] += r.ClientBytes
            v[3] += r.ServerBytes
        for key, tv in theirs.items():
            rev = (key[2], key[3], key[0], key[1])
            if key in ours:
                ov = ours.pop(key)
            elif rev in ours:
                o = ours.pop(rev)
                ov = [o[1], o[0], o[3], o[2]]
            else:
                print(f"{pcap}: {proto} conversation {key}: tshark has it, netsift not", file=sys.stderr)
                bad = 1
                continue
            if ov[:2] != tv[:2] or any(t is not None and t != o for t, o in zip(tv[2:], ov[2:])):
                print(f"{pcap}: {proto} {key}: netsift frames/bytes {ov}, tshark {tv}", file=sys.stderr)
                bad = 1
        for key in ours:
            print(f"{pcap}: {proto} conversation {key}: netsift has it, tshark not", file=sys.stderr)
            bad = 1
    return bad


def cmd_same(classes, type_enum, d1, d2):
    bad = 0
    for t in TYPES:
        sets = []
        for d in (d1, d2):
            _, _, recs = read_file(f"{d}/{t}.ncap.gz", classes, type_enum)
            sets.append(collections.Counter(r.SerializeToString(deterministic=True) for r in recs))
        if sets[0] != sets[1]:
            diff = (sets[0] - sets[1]) + (sets[1] - sets[0])
            print(f"{t}: {sum(sets[0].values())} vs {sum(sets[1].values())} records, "
                  f"{sum(diff.values())} differ", file=sys.stderr)
            bad = 1
    return bad


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    classes, type_enum = load_classes(argv[2])
    cmd = argv[1]
    if cmd == "records":
        for path in argv[3:]:
            header, _, recs = read_file(path, classes, type_enum)
            for r in recs:
                print(json.dumps(to_obj(r), separators=(",", ":"), ensure_ascii=False))
        return 0
    if cmd == "counts":
        return cmd_counts(classes, type_enum, argv[3], argv[4])
    if cmd == "conv":
        return cmd_conv(classes, type_enum, argv[3], argv[4])
    if cmd == "same":
        return cmd_same(classes, type_enum, argv[3], argv[4])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
