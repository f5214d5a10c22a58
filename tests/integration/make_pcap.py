#!/usr/bin/env python3
"""make_pcap.py - write small hand-made capture files for the bad-input tests.

  make_pcap.py caplen-over-snaplen OUT   pcap whose snaplen is 64 and whose
                                         packet has caplen 128 (libpcap accepts it)
  make_pcap.py pcapng-unknown-block OUT  pcapng with an unknown block type
                                         between two packets (must be skipped)
  make_pcap.py hostile-http OUT          HTTP connections built to hurt a
                                         reassembler: an endless head, endless
                                         chunks, a bad chunk size, a bogus
                                         Content-Length, conflicting
                                         retransmissions, a half-open flood
  make_pcap.py many-flows OUT            60000 one-packet UDP flows between
                                         distinct address pairs, 1 ms apart
  make_pcap.py syn-flood OUT             400000 TCP SYNs from distinct
                                         addresses, 10 us apart: every flow
                                         cap reached at once (bench/README.md,
                                         "Memory and active flows")
  make_pcap.py hello-flood OUT           200000 TCP connections from distinct
                                         MAC and IP addresses, each a SYN and
                                         the first 1,200 bytes of a TLS
                                         ClientHello or of an HTTP request
                                         head that never ends: every cap full
                                         of the state it holds at its largest
"""
import struct
import sys

FRAME = bytes.fromhex(
    "ffffffffffff020000000001080600010800060400010200000000010a0000010000000000000a000002")


def pcap(snaplen, packets):
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, 1)]
    for i, data in enumerate(packets):
        out.append(struct.pack("<IIII", 1700000000 + i, 0, len(data), len(data)) + data)
    return b"".join(out)


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


class Tcp:
    """Frames of one TCP connection (Ethernet, IPv4, TCP), client 10.1.x.y."""

    def __init__(self, frames, n, sport, dport=80):
        self.frames, self.sport, self.dport = frames, sport, dport
        self.cli = bytes([10, 1, (n >> 8) & 255, n & 255])
        self.srv = bytes([10, 2, 0, 1])
        self.seq = [1000 + n * 7, 500000]

    def send(self, side, flags, data=b"", seq=None):
        src, dst = (self.cli, self.srv) if side == 0 else (self.srv, self.cli)
        sp, dp = (self.sport, self.dport) if side == 0 else (self.dport, self.sport)
        s = self.seq[side] if seq is None else seq
        tcp = struct.pack(">HHIIBBHHH", sp, dp, s & 0xFFFFFFFF, 0, 5 << 4, flags, 65535, 0, 0)
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(data), 0, 0x4000, 64, 6, 0,
                         src, dst)
        mac = [b"\x02\0\0\0\0\x01", b"\x02\0\0\0\0\x02"]
        self.frames.append(mac[1 - side] + mac[side] + b"\x08\x00" + ip + tcp + data)
        if seq is None:
            self.seq[side] += len(data) + (1 if flags & 3 else 0)

    def open(self):
        self.send(0, 0x02)
        self.send(1, 0x12)

    def stream(self, side, data, mss=1400):
        for i in range(0, len(data), mss):
            self.send(side, 0x18, data[i:i + mss])

    def close(self):
        self.send(0, 0x11)
        self.send(1, 0x11)


def hostile_http():
    f = []
    # an endless head: 100 KB of header fields without the empty line
    a = Tcp(f, 1, 40001)
    a.open()
    a.stream(0, b"GET / HTTP/1.1\r\n" + b"X-Junk: " + b"a" * 100000)
    a.close()
    # endless chunks: 2000 chunks of 1000 bytes, then the last chunk
    b = Tcp(f, 2, 40002)
    b.open()
    b.stream(0, b"GET /chunky HTTP/1.1\r\nHost: h\r\n\r\n")
    body = b"".join(b"3e8\r\n" + bytes([65 + i % 26]) * 1000 + b"\r\n" for i in range(2000))
    b.stream(1, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body + b"0\r\n\r\n")
    b.close()
    # a chunk size that is not hexadecimal
    c = Tcp(f, 3, 40003)
    c.open()
    c.stream(0, b"GET /badchunk HTTP/1.1\r\nHost: h\r\n\r\n")
    c.stream(1, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n")
    c.close()
    # a bogus Content-Length
    d = Tcp(f, 4, 40004)
    d.open()
    d.stream(0, b"POST /len HTTP/1.1\r\nHost: h\r\nContent-Length: -5\r\n\r\n")
    d.stream(1, b"HTTP/1.1 400 Bad\r\nContent-Length: 0\r\n\r\n")
    d.close()
    # conflicting retransmissions: the bytes that arrived first win
    e = Tcp(f, 5, 40005)
    e.open()
    req = b"GET /ORIGINAL HTTP/1.1\r\nHost: h\r\n\r\n"
    evil = b"GET /EVILEVIL HTTP/1.1\r\nHost: h\r\n\r\n"
    s0 = e.seq[0]
    e.send(0, 0x18, req[5:], seq=s0 + 5)
    e.send(0, 0x18, evil[5:], seq=s0 + 5)
    e.send(0, 0x18, req[:5], seq=s0)
    e.seq[0] += len(req)
    e.stream(1, b"HTTP/1.1 204 No Content\r\n\r\n")
    e.close()
    # a flood of half-open connections, each holding out-of-order bytes
    for n in range(20000):
        h = Tcp(f, 100 + n, 1024 + n % 60000, 8080)
        h.send(0, 0x02)
        h.send(0, 0x18, b"x" * 200, seq=h.seq[0] + 10)
    return pcap(65535, f)


def many_flows(n=60000):
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for i in range(n):
        src = bytes([10, 1 + (i >> 16), (i >> 8) & 255, i & 255])
        udp = struct.pack(">HHHH", 1024 + i % 60000, 53, 8 + 4, 0) + b"ping"
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src,
                         bytes([10, 200, 0, 1]))
        frame = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + udp
        ts = 1700000000 * 1000000 + i * 1000
        out.append(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(frame), len(frame)) + frame)
    return b"".join(out)


def tcp_record(i, src, mac, sport, dport, seq, flags, data=b""):
    """The pcap record of packet i (10 us apart) of a flood: a TCP segment
    from src (MAC mac) to 10.200.0.1 (MAC 02:00:00:00:00:02)."""
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 40 + len(data), 0, 0x4000, 64, 6, 0, src,
                     bytes([10, 200, 0, 1]))
    frame = b"\x02\0\0\0\0\x02" + mac + b"\x08\x00" + ip + tcp + data
    ts = 1700000000 * 1000000 + i * 10
    return struct.pack("<IIII", ts // 1000000, ts % 1000000, len(frame), len(frame)) + frame


def syn_flood(n=400000):
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for i in range(n):
        src = bytes([10, (i >> 16) & 255, (i >> 8) & 255, i & 255])
        out.append(tcp_record(i, src, b"\x02\0\0\0\0\x01", 1024 + i % 60000, 80, i * 7, 0x02))
    return b"".join(out)


def hello_flood(n=200000):
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    hello = bytes.fromhex("1603010fa0") + b"\x01\x00\x0f\x9c\x03\x03" + bytes(range(256)) * 5
    head = b"GET /" + b"a" * 1100 + b" HTTP/1.1\r\nHost: flood.example\r\nX-Filler: " + b"b" * 100
    for i in range(n):
        src = bytes([10, (i >> 16) & 255, (i >> 8) & 255, i & 255])
        mac = b"\x02" + struct.pack(">I", i) + b"\x01"
        sport, seq = 1024 + i % 60000, i * 7
        dport, payload = (443, hello[:1200]) if i % 2 else (80, head[:1200])
        out.append(tcp_record(len(out), src, mac, sport, dport, seq, 0x02))
        out.append(tcp_record(len(out), src, mac, sport, dport, seq + 1, 0x18, payload))
    return b"".join(out)


def main():
    kind, out = sys.argv[1], sys.argv[2]
    if kind == "caplen-over-snaplen":
        data = pcap(64, [FRAME + b"\0" * 86])
    elif kind == "pcapng-unknown-block":
        data = pcapng_unknown_block()
    elif kind == "hostile-http":
        data = hostile_http()
    elif kind == "many-flows":
        data = many_flows()
    elif kind == "syn-flood":
        data = syn_flood()
    elif kind == "hello-flood":
        data = hello_flood()
    else:
        sys.exit(f"unknown kind {kind}")
    with open(out, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
