#!/usr/bin/env bash
# make-seeds.sh OUT_DIR - extra fuzz_decode seeds from the shared development
# captures, made at run time (the captures are never copied into the repo).
#
# Reads the Ethernet (link type 1) pcap and pcapng files under
# ../shared/pcaps/dev beside the repository (or $NETSIFT_SHARED/pcaps/dev),
# taking up to PER_FILE frames (default 2) from each file, round-robin over
# the sub-folders, until MAX_FRAMES (default 200) distinct frames are
# written.  Each seed file is the fuzz_decode selector byte 0 (Ethernet)
# followed by the frame.  Skips cleanly, writing nothing and exiting 0,
# when the shared captures or python3 are not there.
set -euo pipefail

out=${1:?usage: make-seeds.sh OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
shared=${NETSIFT_SHARED:-$here/../../../shared}
dev=$shared/pcaps/dev

if [ ! -d "$dev" ]; then
  echo "make-seeds: no shared captures at $dev: no extra seeds"
  exit 0
fi
if ! command -v python3 >/dev/null; then
  echo "make-seeds: python3 not found: no extra seeds"
  exit 0
fi
mkdir -p "$out"

python3 - "$dev" "$out" "${MAX_FRAMES:-200}" "${PER_FILE:-2}" <<'EOF'
import hashlib, os, struct, sys

dev, out, max_frames, per_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ETHERNET = 1

def pcap_frames(data):
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return
    if len(data) < 24 or struct.unpack(e + "I", data[20:24])[0] & 0xFFFF != ETHERNET:
        return
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(e + "I", data[off + 8:off + 12])[0]
        off += 16
        if incl > 262144 or off + incl > len(data):
            return
        yield data[off:off + incl]
        off += incl

def pcapng_frames(data):
    off, e, links = 0, "<", []
    while off + 12 <= len(data):
        btype = struct.unpack(e + "I", data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:  # section header: byte order, new interfaces
            e = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            links = []
        blen = struct.unpack(e + "I", data[off + 4:off + 8])[0]
        if blen < 12 or off + blen > len(data):
            return
        body = data[off + 8:off + blen - 4]
        if btype == 1 and len(body) >= 8:  # interface description
            links.append(struct.unpack(e + "H", body[:2])[0])
        elif btype == 6 and len(body) >= 20:  # enhanced packet
            ifc, _, _, cap, _ = struct.unpack(e + "IIIII", body[:20])
            if ifc < len(links) and links[ifc] == ETHERNET:
                yield body[20:20 + cap]
        elif btype == 3 and len(body) >= 4 and links and links[0] == ETHERNET:
            orig = struct.unpack(e + "I", body[:4])[0]
            yield body[4:4 + orig]
        off += blen

def frames(path):
    try:
        with open(path, "rb") as f:
            data = f.read(4 << 20)
    except OSError:
        return
    gen = pcapng_frames(data) if data[:4] == b"\x0a\x0d\x0d\x0a" else pcap_frames(data)
    n = 0
    try:
        for fr in gen:
            if n == per_file:
                return
            n += 1
            yield fr
    except struct.error:
        return

queues = []
for sub in sorted(os.listdir(dev)):
    d = os.path.join(dev, sub)
    if os.path.isdir(d):
        queues.append([os.path.join(d, f) for f in sorted(os.listdir(d))])
seen, written = set(), 0
while written < max_frames and any(queues):
    for q in queues:
        if not q or written >= max_frames:
            continue
        path = q.pop(0)
        for i, fr in enumerate(frames(path)):
            h = hashlib.sha1(fr).hexdigest()
            if not fr or h in seen or written >= max_frames:
                continue
            seen.add(h)
            name = "%s-%d" % (os.path.basename(path).rsplit(".", 1)[0][:60], i)
            with open(os.path.join(out, name), "wb") as f:
                f.write(b"\x00" + fr)
            written += 1
print("make-seeds: %d Ethernet frames from %s" % (written, dev))
EOF
