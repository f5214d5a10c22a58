#!/usr/bin/env python3
"""make_pcap.py - write small hand-made capture files for the bad-input tests.

  make_pcap.py caplen-over-snaplen OUT   pcap whose snaplen is 64 and whose
                                         packet has caplen 128 (libpcap accepts it)
  make_pcap.py pcapng-unknown-block OUT  pcapng with an unknown block type
                                         between two packets (must be skipped)
"""
import struct
import sys

FRAME = bytes.fromhex(
    "ffffffffffff020000000001080600010800060400010200000000010a0000010000000000000a000002")


def pcap(snaplen, packets):
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, 1)
    for i, data in enumerate(packets):
        out += struct.pack("<IIII", 1700000000 + i, 0, len(data), len(data)) + data
    return out


def block(btype, body):
    body += b"\0" * (-len(body) % 4)
    total = 12 + len(body)
    return struct.pack("<II", btype, total) + body + struct.pack("<I", total)


def pcapng_unknown_block():
    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    idb = block(1, struct.pack("<HHI", 1, 0, 65535))

    def epb(i):
        ts = (1700000000 + i) * 1000000
        return block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(FRAME), len(FRAME)) + FRAME)
    return shb + idb + epb(0) + block(0x0BAD0BAD, b"unknown block payload") + epb(1)


def main():
    kind, out = sys.argv[1], sys.argv[2]
    if kind == "caplen-over-snaplen":
        data = pcap(64, [FRAME + b"\0" * 86])
    elif kind == "pcapng-unknown-block":
        data = pcapng_unknown_block()
    else:
        sys.exit(f"unknown kind {kind}")
    with open(out, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
