#!/usr/bin/env python3
"""monitor_control.py - the control socket of a running capture.

netsift capture reads the sample capture from a FIFO that this script
keeps open, so the capture runs (and serves its socket) as long as the
test needs.  Checked: socket mode and replacement rules, PING, STATS,
QUERY_FLOWS, QUERY_FINGERPRINT with every operator and protocol filters,
malformed and over-long commands, injection attempts (FAIL, table
unchanged), 50 concurrent clients, too many clients, trickling clients
(slowloris), a silent client, two flooding clients (with and without newlines), and that the capture ends on
time while they are connected and removes its socket.  Prints one line
per failure and "N passed, N failed"; exit status 1 on any failure.
"""
import argparse
import os
import random
import select
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time

PASSED = FAILED = 0
MAC1 = "02:00:00:00:00:01"
T_HTTP = 1700000000020000
MAC1_TIMES = [1700000000007000, 1700000000009000, T_HTTP, 1700000000030000,
              1700000000071000, 1700000000073000]


def check(what, ok, detail=""):
    global PASSED, FAILED
    if ok:
        PASSED += 1
    else:
        FAILED += 1
        print(f"FAIL: {what} {detail}".rstrip(), flush=True)


class Client:
    def __init__(self, path, timeout=10):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode("utf-8", "replace")

    def ask(self, cmd):
        """Send one command; the reply lines, terminator included."""
        self.s.sendall(cmd.encode() + b"\n")
        lines = []
        while True:
            line = self.line()
            lines.append(line)
            if line == "END" or line.startswith("FAIL"):
                return lines

    def closed(self, timeout):
        """True when the server closes the connection within timeout s."""
        self.s.settimeout(timeout)
        try:
            while True:
                if not self.s.recv(65536):
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self):
        self.s.close()


def table_digest(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    row = con.execute("SELECT count(*), total(length(mac || protocol || fingerprint || timestamp "
                      "|| ifnull(query, ''))) FROM fingerprint").fetchone()
    con.close()
    return row


def start_capture(args, db_dir, fifo, extra=()):
    """One worker: reading a FIFO, it still runs on a thread of its own and
    ticks (commits rows, publishes counters) while the reading thread waits
    inside libpcap for the FIFO's next bytes."""
    log = open(os.path.join(args.work, "capture.log"), "a")
    return subprocess.Popen([args.netsift, "capture", "-q", "-r", fifo, "--db-path", db_dir,
                             "--no-db-write", "--process-interval", "100", "--workers", "1",
                             *extra],
                            stdout=log, stderr=log)


def wait_for(pred, timeout):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if pred():
                return True
        except (OSError, EOFError):
            pass
        time.sleep(0.1)
    return False


def rows_of(path, cmd):
    c = Client(path)
    try:
        return c.ask(cmd)
    finally:
        c.close()


def ops_and_filters(path):
    for op, want in ((">=", [t for t in MAC1_TIMES if t >= T_HTTP]),
                     ("<=", [t for t in MAC1_TIMES if t <= T_HTTP]),
                     (">", [t for t in MAC1_TIMES if t > T_HTTP]),
                     ("<", [t for t in MAC1_TIMES if t < T_HTTP]),
                     ("=", [T_HTTP])):
        reply = rows_of(path, f"QUERY_FINGERPRINT {MAC1} {T_HTTP} {op} all")
        got = [int(r.split(",")[3]) for r in reply[:-1]]
        check(f"op {op}", reply[-1] == "END" and got == want, f"{reply}")
    for proto, n in (("all", 6), ("DNS", 3), ("dns", 3), ("MDNS", 2), ("HTTP", 1), ("SSH", 0),
                     ("ALL", 6)):
        reply = rows_of(path, f"QUERY_FINGERPRINT {MAC1} 0 >= {proto}")
        check(f"protocol {proto}", reply[-1] == "END" and len(reply) - 1 == n, f"{reply}")
    reply = rows_of(path, "QUERY_FINGERPRINT 02:00:00:00:00:0A 0 >= DNS")
    check("spec DNS example over the socket",
          reply == ["02:00:00:00:00:0a,DNS,NqRTRWiNdfG4zMkiXE9P0eRQIefPgMYV/vXUymxdvNw,"
                    "1700000000011000,1.0.0.10.in-addr.arpa", "END"], f"{reply}")
    reply = rows_of(path, "QUERY_FINGERPRINT 02:00:00:00:00:01 0 >= all")
    check("rows ordered by timestamp",
          [int(r.split(",")[3]) for r in reply[:-1]] == MAC1_TIMES, f"{reply}")


def malformed(path):
    c = Client(path)
    for cmd in ["", "ping", "HELLO", "PING extra", "QUERY_FINGERPRINT",
                "QUERY_FINGERPRINT 02:00:00:00:00:01 0 >=",
                "QUERY_FINGERPRINT 02:00:00:00:00:1 0 >= all",
                "QUERY_FINGERPRINT 02:00:00:00:00:01 -5 >= all",
                "QUERY_FINGERPRINT 02:00:00:00:00:01 18446744073709551616 >= all",
                "QUERY_FINGERPRINT 02:00:00:00:00:01 0 >== all",
                "QUERY_FINGERPRINT 02:00:00:00:00:01 0 >= TLS/x",
                "QUERY_FLOWS 1 2", "\x00\x01\x02", "\xff\xfe garbage"]:
        reply = c.ask(cmd)
        check(f"malformed {cmd!r}", len(reply) == 1 and reply[0].startswith("FAIL "), f"{reply}")
    check("connection usable after FAILs", c.ask("PING") == ["PONG", "END"])
    c.close()
    for payload in (b"A" * 5000, b"QUERY_FINGERPRINT " + b"9" * 5000 + b"\n"):
        c = Client(path)
        c.s.sendall(payload)
        reply = c.line()
        check("over-long line", reply.startswith("FAIL line too long"), reply)
        check("over-long line closes", c.closed(5))
        c.close()


def injection(path, db):
    before = table_digest(db)
    evil = "' OR 1=1 --"
    for cmd in [f"QUERY_FINGERPRINT {evil} 0 >= all",
                f"QUERY_FINGERPRINT {MAC1} {evil} >= all",
                f"QUERY_FINGERPRINT {MAC1} 0 {evil} all",
                f"QUERY_FINGERPRINT {MAC1} 0 >= {evil}",
                f"QUERY_FINGERPRINT {MAC1}' 0 >= all",
                f"QUERY_FINGERPRINT {MAC1} 0 >= all'--",
                f"QUERY_FINGERPRINT {MAC1} 0 >= DNS;DROP",
                f"QUERY_FINGERPRINT {MAC1} 0 >= all; DROP TABLE fingerprint",
                f"QUERY_FLOWS {evil}", f"STATS {evil}", f"PING {evil}", evil]:
        reply = rows_of(path, cmd)
        check(f"injection {cmd!r}", len(reply) == 1 and reply[0].startswith("FAIL "), f"{reply}")
    check("table unchanged after injection attempts", table_digest(db) == before)


def concurrent(path, n=50):
    results = [None] * n

    def one(i):
        try:
            c = Client(path)
            a = c.ask("PING")
            b = c.ask(f"QUERY_FINGERPRINT {MAC1} 0 >= all")
            s = c.ask("STATS")
            c.close()
            results[i] = a == ["PONG", "END"] and len(b) == 7 and b[-1] == "END" and s[-1] == "END"
        except Exception as e:  # noqa: BLE001 - any failure counts
            results[i] = repr(e)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    check(f"{n} concurrent clients", all(r is True for r in results), f"{results}")


def too_many(path):
    """All 64 places taken: a 65th client takes the place of the one idle
    for the longest (told why), and is served."""
    held = []
    try:
        for _ in range(64):
            held.append(Client(path))
            time.sleep(0.002)  # distinct times of last progress: the first is the oldest
        check("65th client served", rows_of(path, "PING") == ["PONG", "END"])
        try:
            line = held[0].line()
        except (EOFError, OSError) as e:
            line = repr(e)
        check("the longest idle client made room", line == "FAIL closed to make room for another client", line)
    finally:
        for c in held:
            c.close()
    check("served again once clients left",
          wait_for(lambda: rows_of(path, "PING") == ["PONG", "END"], 5))


def tricklers(path):
    """Clients trickling a command line a byte at a time hold nothing:
    one is cut at the line deadline (told why), and while 100 trickle
    (more than the 64 places) STATS and QUERY_FLOWS are answered."""
    here = os.path.dirname(os.path.abspath(__file__))
    c = Client(path, timeout=15)
    t0 = time.time()
    try:
        for b in b"QUERY_FLOWS QUERY_FLOWS":  # 11 s at a byte per half second
            if select.select([c.s], [], [], 0.5)[0]:
                break  # the server said something: read it
            c.s.sendall(bytes([b]))
        line = c.line()
    except (EOFError, OSError) as e:
        line = repr(e)
    c.close()
    check("a trickled command line is cut at its deadline",
          line == "FAIL command line not complete within 2 s", f"{line} after {time.time() - t0:.1f}s")
    ready = os.path.join(os.path.dirname(path), "trickle.ready")
    t = subprocess.Popen([sys.executable, os.path.join(here, "trickle.py"), "--unix", path,
                          "--clients", "100", "--seconds", "8", "--ready", ready],
                         stdout=subprocess.PIPE, text=True)
    wait_for(lambda: os.path.exists(ready), 30)
    answered = 0
    for _ in range(3):
        try:
            st = rows_of(path, "STATS")
            fl = rows_of(path, f"QUERY_FLOWS {MAC1}")
            answered += st[-1] == "END" and any(x.startswith("packets ") for x in st) and fl[-1] == "END"
        except (EOFError, OSError):
            pass
    out, _ = t.communicate(timeout=60)
    check("STATS and QUERY_FLOWS answered 3 times while 100 clients trickle", answered == 3,
          f"{answered}; trickle: {out!r}")
    cut = int(out.split()[1]) if out.startswith("cut ") else 0
    check("tricklers cut", cut >= 100, out)


def flood(path, newlines, stop):
    """Send up to 100 MB of garbage; returns (bytes sent, closed by server)."""
    rnd = random.Random(7)
    block = bytes(rnd.getrandbits(8) for _ in range(65536))
    if not newlines:
        block = block.replace(b"\n", b"x")
    sent = 0
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(path)
    try:
        while sent < 100 << 20 and not stop.is_set():
            sent += s.send(block)
    except (BrokenPipeError, ConnectionResetError):
        return sent, True
    except socket.timeout:
        return sent, False
    finally:
        s.close()
    return sent, False


def silent_and_floods(path):
    silent = Client(path)
    stop = threading.Event()
    out = {}
    threads = [threading.Thread(target=lambda k=k: out.__setitem__(k, flood(path, k, stop)))
               for k in (False, True)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    t0 = time.time()
    ok = rows_of(path, "PING") == ["PONG", "END"]
    check("PING answered while a silent and two flooding clients are connected",
          ok and time.time() - t0 < 2, f"{time.time() - t0:.2f}s")
    for t in threads:
        t.join(40)
    for k in (False, True):
        sent, closed = out.get(k, (0, False))
        check(f"flood ({'with' if k else 'without'} newlines) cut off", closed,
              f"sent {sent} bytes")
    check("silent client closed after the idle time", silent.closed(15))
    silent.close()


def socket_rules(args, fifo_dir):
    """Stale socket replaced; a live one or a plain file refused."""
    path = os.path.join(fifo_dir, "stale.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.close()  # the file stays: a stale socket
    empty = os.path.join(args.work, "empty.pcap")
    subprocess.run(["sh", "-c", f"head -c 24 {args.sample} > {empty}"], check=True)
    p = subprocess.run([args.netsift, "capture", "-q", "-r", args.sample, "--no-db-write",
                        "--db-path", os.path.join(fifo_dir, "db2"), "--control", path],
                       capture_output=True, text=True)
    check("stale socket replaced", p.returncode == 0, p.stderr)
    check("socket removed at exit", not os.path.exists(path))
    plain = os.path.join(fifo_dir, "plain")
    open(plain, "w").write("keep me")
    p = subprocess.run([args.netsift, "capture", "-q", "-r", args.sample, "--no-db-write",
                        "--db-path", os.path.join(fifo_dir, "db3"), "--control", plain],
                       capture_output=True, text=True)
    check("a plain file in the way is refused", p.returncode != 0 and "not a socket" in p.stderr,
          p.stderr)
    check("the plain file is left alone", open(plain).read() == "keep me")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--netsift", required=True)
    ap.add_argument("--sample", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    db_dir = os.path.join(args.work, "live")
    sock = os.path.join(db_dir, "control.sock")
    fifo = os.path.join(args.work, "feed")
    os.mkfifo(fifo)
    cap = start_capture(args, db_dir, fifo)
    feeder = open(fifo, "wb")
    feeder.write(open(args.sample, "rb").read())
    feeder.flush()
    db = os.path.join(db_dir, "fingerprint.sqlite")
    ready = wait_for(lambda: len(rows_of(sock, f"QUERY_FINGERPRINT {MAC1} 0 >= all")) == 7, 20)
    check("capture serves its socket with the sample's fingerprints", ready)
    if not ready:
        feeder.close()
        cap.wait(30)
        print(open(os.path.join(args.work, "capture.log")).read())
        print(f"{PASSED} passed, {FAILED} failed")
        return 1
    mode = stat.S_IMODE(os.stat(sock).st_mode)
    check("socket mode 0660", mode == 0o660, oct(mode))
    second = subprocess.run([args.netsift, "capture", "-q", "-r", args.sample, "--no-db-write",
                             "--db-path", os.path.join(args.work, "other"), "--control", sock],
                            capture_output=True, text=True)
    check("a live socket is not taken over", second.returncode != 0 and "in use" in second.stderr,
          second.stderr)
    check("PING", rows_of(sock, "PING") == ["PONG", "END"])
    wait_for(lambda: "packets 82" in rows_of(sock, "STATS"), 5)  # published on the next tick
    stats = rows_of(sock, "STATS")
    check("STATS", stats[-1] == "END" and "packets 82" in stats and
          any(s.startswith("flows_active ") for s in stats) and
          any(s.startswith("rows.fingerprint.fingerprint ") for s in stats), f"{stats}")
    flows = rows_of(sock, f"QUERY_FLOWS {MAC1}")
    check("QUERY_FLOWS mac", flows[-1] == "END" and len(flows) > 10 and
          all(MAC1 in f for f in flows[:-1]), f"{flows}")
    ops_and_filters(sock)
    malformed(sock)
    injection(sock, db)
    concurrent(sock)
    too_many(sock)
    tricklers(sock)
    silent_and_floods(sock)
    # the end: with a silent client connected, closing the input ends the capture at once
    silent = Client(sock)
    t0 = time.time()
    feeder.close()
    try:
        rc = cap.wait(10)
    except subprocess.TimeoutExpired:
        cap.kill()
        rc = "timeout"
    check("capture ends on time with a client connected", rc == 0 and time.time() - t0 < 10,
          f"rc {rc} after {time.time() - t0:.1f}s")
    silent.close()
    check("socket removed when the capture ends", not os.path.exists(sock))
    socket_rules(args, args.work)
    print(f"{PASSED} passed, {FAILED} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
