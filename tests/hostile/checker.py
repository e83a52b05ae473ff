#!/usr/bin/python3
"""checker.py - the well-behaved client of the hostile suites, run in its
own process: checker.py LISTED UNLISTED ENDPOINT... asks, in a loop, for
LISTED (must be OK) and UNLISTED (must be DUNNO) on a kept connection per
endpoint (both requests pipelined in one write) and on a fresh connection
every few rounds. Each line NAME on stdin makes it print the counts since
the previous line as one JSON object; EOF on stdin ends it. Never counts
an OK for UNLISTED as anything but wrong."""

import json
import os
import select
import socket
import sys
import time

ANSWER_TIMEOUT = 20.0
PAUSE = 0.02


def connect(ep):
    if ep.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        addr = ep[5:]
    else:
        host, _, port = ep[5:].rpartition(":")
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        addr = (host, int(port))
    s.settimeout(ANSWER_TIMEOUT)
    try:
        s.connect(addr)
    except OSError:
        s.close()
        raise
    return s


def request(ip):
    return b"request=smtpd_access_policy\nclient_address=%s\n\n" % ip.encode()


def read_answers(s, n):
    data = b""
    while data.count(b"\n\n") < n:
        c = s.recv(4096)
        if not c:
            raise ConnectionError("closed after %d of %d answers" % (data.count(b"\n\n"), n))
        data += c
    return [b.decode(errors="replace") for b in data.split(b"\n\n")[:n]]


class Stats:
    def __init__(self):
        self.v = {"ok": 0, "dunno": 0, "wrong": 0, "failed": 0, "max_latency": 0.0,
                  "wrong_detail": [], "fail_detail": []}

    def answered(self, want, got, latency):
        v = self.v
        v["max_latency"] = max(v["max_latency"], latency)
        for w, g in zip(want, got):
            if g != "action=" + w:
                v["wrong"] += 1
                if len(v["wrong_detail"]) < 10:
                    v["wrong_detail"].append("want %s got %r" % (w, g))
            else:
                v["ok" if w == "OK" else "dunno"] += 1

    def failed(self, ep, err):
        self.v["failed"] += 1
        if len(self.v["fail_detail"]) < 10:
            self.v["fail_detail"].append("%s: %s" % (ep, err))


def ask(s, ips, want, stats):
    start = time.monotonic()
    s.sendall(b"".join(request(ip) for ip in ips))
    stats.answered(want, read_answers(s, len(ips)), time.monotonic() - start)


def one_round(eps, kept, n, listed, unlisted, stats):
    for ep in eps:
        try:
            if kept.get(ep) is None:
                kept[ep] = connect(ep)
            ask(kept[ep], [listed, unlisted], ["OK", "DUNNO"], stats)
        except OSError as e:
            stats.failed(ep, "kept: %r" % e)
            if kept.get(ep) is not None:
                kept[ep].close()
            kept[ep] = None
        if n % 5 == 0:
            ip, want = (listed, "OK") if n % 10 == 0 else (unlisted, "DUNNO")
            try:
                s = connect(ep)
                try:
                    ask(s, [ip], [want], stats)
                finally:
                    s.close()
            except OSError as e:
                stats.failed(ep, "fresh: %r" % e)


def main():
    listed, unlisted, eps = sys.argv[1], sys.argv[2], sys.argv[3:]
    kept = {}
    stats = Stats()
    pending = b""
    n = 0
    while True:
        r, _, _ = select.select([0], [], [], 0 if n else 1)
        if r:
            chunk = os.read(0, 4096)
            if not chunk:
                break
            pending += chunk
            while b"\n" in pending:
                _, pending = pending.split(b"\n", 1)
                print(json.dumps(stats.v), flush=True)
                stats = Stats()
        one_round(eps, kept, n, listed, unlisted, stats)
        n += 1
        time.sleep(PAUSE)
    for s in kept.values():
        if s is not None:
            s.close()


if __name__ == "__main__":
    main()
