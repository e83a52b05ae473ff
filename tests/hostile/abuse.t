#!/usr/bin/python3
"""abuse.t - clients that misbehave on purpose, on the real daemon (unix
and inet:127.0.0.1 listeners): pipeliners that send thousands of requests
and never read (memory stays bounded, every answer right and in order once
they do read), and a flood of garbage from many connections (random bytes,
huge lines and requests, NULs, CR-LF, smuggling a listed address into a
request that must be DUNNO), and connections reset mid-request. Garbage is closed without an answer and never
gets OK; a well-behaved client checks every answer throughout."""

import bisect
import os
import selectors
import socket
import struct
import sys
import time

import hostilelib as hl  # noqa: E402
from hostilelib import pt, LISTED, UNLISTED  # noqa: E402

N_PIPE = 40
BLOCK = 750             # pipe_ip() repeats every 750 requests
MAX_REQUESTS = 300000   # per pipeliner
PIPE_SECONDS = 4
N_CHURN = 3000
N_GARBAGE = 3000
WAVE = 250

t = pt.Tap()
hl.raise_nofile(2 * WAVE + N_PIPE + 200)


# ---- pipeliners that never read ----

def pipe_ip(k):
    return LISTED if k % 3 == 0 else "203.0.113.%d" % (k % 250 + 1)


class Pipeliner:
    """an endless stream of requests (a block of BLOCK requests repeated);
    counts how many were handed to the kernel"""

    def __init__(self, ep, full):
        self.sock = hl.connect_nb(ep)
        make = pt.policy_request if full else hl.short_request
        reqs = [make(pipe_ip(k)) for k in range(BLOCK)]
        self.block = b"".join(reqs)
        self.ends = []
        end = 0
        for r in reqs:
            end += len(r)
            self.ends.append(end)
        self.limit = len(self.block) * (MAX_REQUESTS // BLOCK)
        self.sent = 0
        self.blocked = False
        self.error = None

    def push(self):
        try:
            while self.sent < self.limit:
                off = self.sent % len(self.block)
                self.sent += self.sock.send(self.block[off:] + self.block[:off])
        except BlockingIOError:
            self.blocked = True
        except OSError as e:
            self.error = e

    def complete(self):
        blocks, off = divmod(self.sent, len(self.block))
        return blocks * BLOCK + bisect.bisect_right(self.ends, off)

    def read_back(self):
        """half-close, read every answer: (answers, closed by the daemon)"""
        s = self.sock
        s.setblocking(True)
        s.settimeout(30)
        s.shutdown(socket.SHUT_WR)
        got = []
        try:
            while True:
                c = s.recv(1 << 20)
                if not c:
                    return hl.answers(b"".join(got)), True
                got.append(c)
        except OSError:
            return hl.answers(b"".join(got)), False


def pipeliners(d, eps, pid, checker):
    before = hl.report_memory(t, pid, "before the pipeliners")
    pls = [Pipeliner(eps[i % 2], full=(i % 8 == 0)) for i in range(N_PIPE)]
    end = time.monotonic() + PIPE_SECONDS
    while time.monotonic() < end and not all(p.blocked or p.error or p.sent == p.limit
                                             for p in pls):
        for p in pls:
            p.push()
        time.sleep(0.05)
    time.sleep(0.5)
    for p in pls:
        p.push()
    sent = [p.complete() for p in pls]
    t.ok(not any(p.error for p in pls), "pipeliners not cut off by the daemon",
         [repr(p.error) for p in pls if p.error][:5])
    t.note("%d pipeliners that never read handed %d .. %d requests each to the kernel "
           "(%d in all) before blocking" % (N_PIPE, min(sent), max(sent), sum(sent)))
    after = hl.report_memory(t, pid, "%d pipeliners blocked" % N_PIPE)
    bound = before + N_PIPE * 512 + 32 * 1024
    t.ok(after <= bound, "serve worker memory bounded while pipeliners do not read "
         "(VmHWM %d kB <= %d kB)" % (after, bound))
    hl.checker_ok(t, checker.mark("pipe"), "%d pipeliners not reading" % N_PIPE)
    bad = []
    for i, p in enumerate(pls):
        got, closed = p.read_back()
        want = ["OK" if pipe_ip(k) == LISTED else "DUNNO" for k in range(sent[i])]
        if got != want or not closed:
            bad.append((i, len(got), len(want), closed,
                        next((k for k, (a, b) in enumerate(zip(got, want)) if a != b), None)))
        p.sock.close()
    t.ok(not bad, "every pipelined request answered right and in order once read "
         "(%d answers)" % sum(sent), bad[:10])


# ---- garbage ----

def smuggle(*lines):
    return b"".join(x + b"\n" for x in lines) + b"\n"


L, U = LISTED.encode(), UNLISTED.encode()
CA = b"client_address="
# name: (payload, answers wanted before the daemon closes; None = any
# number of DUNNO). When a malformed request follows a valid one in the
# same read, the daemon drops the answers it has not sent yet: for those
# (LOSSY) no answer at all is right too.
GARBAGE = {
    "random bytes": (None, None),
    "valid request then random bytes": (None, ["DUNNO"]),
    "huge line": (b"x=" + b"A" * (1 << 20), []),
    "huge line after a listed address": (CA + L + b"\n" + b"y=" + b"B" * 8192, []),
    "huge request ending with a listed address":
        (b"a=b\n" * 17000 + CA + L + b"\n\n", []),
    "NUL after a listed address": (CA + L + b"\0\n\n", []),
    "NUL inside the name": (b"client_\0address=" + L + b"\n\n", []),
    "line without '='": (CA + L + b"\nhello\n\n", []),
    "CR-LF line ends": (CA + L + b"\r\n\r\n", []),
    "empty name": (CA + L + b"\n=x\n\n", []),
    "listed then unlisted (last wins)": (smuggle(CA + L, CA + U), ["DUNNO"]),
    "listed then over-long address": (smuggle(CA + L, CA + b"1" * 100), ["DUNNO"]),
    "address does not leak into the next request": (smuggle(CA + L) + smuggle(b"x=y"), ["OK", "DUNNO"]),
    "listed with a trailing dot": (smuggle(CA + L + b"."), ["DUNNO"]),
    "OK then NUL": (smuggle(CA + L) + b"\0", ["OK"]),
}
KINDS = sorted(GARBAGE)
LOSSY = {"OK then NUL", "valid request then random bytes"}


def garbage_payload(kind):
    data, _ = GARBAGE[kind]
    if kind == "random bytes":
        return os.urandom(65536)
    if kind == "valid request then random bytes":
        return hl.short_request(UNLISTED) + os.urandom(32768)
    return data


class Garbler:
    def __init__(self, ep, kind):
        self.kind = kind
        self.sock = hl.connect_nb(ep)
        self.data = garbage_payload(kind)
        self.sent = 0
        self.got = b""
        self.closed = None	# seconds after connect when the daemon closed
        self.start = time.monotonic()

    def on_write(self):
        try:
            while self.sent < len(self.data):
                self.sent += self.sock.send(self.data[self.sent:self.sent + 65536])
        except BlockingIOError:
            return False
        except OSError:
            self.sent = len(self.data)	# the daemon closed: stop sending
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        return True

    def on_read(self):
        got, gone = hl.recv_all(self.sock)
        self.got += got
        if gone:
            self.closed = time.monotonic() - self.start
        return gone

    def verdict(self):
        """'' when right, else what is wrong"""
        _, want = GARBAGE[self.kind]
        got = hl.answers(self.got)
        if self.closed is None:
            return "not closed by the daemon"
        if "OK" in got and want != ["OK"] and want != ["OK", "DUNNO"]:
            return "OK for garbage: %r" % got
        if want is None:
            return "" if all(a == "DUNNO" for a in got) else "answers %r" % got
        if self.kind in LOSSY and got == []:
            return ""
        if self.kind.startswith("valid"):
            return "" if got[:1] == want and "OK" not in got else "answers %r" % got
        return "" if got == want else "answers %r, want %r" % (got, want)


def run_wave(gs, timeout=30):
    sel = selectors.DefaultSelector()
    for g in gs:
        sel.register(g.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, g)
    open_ = len(gs)
    end = time.monotonic() + timeout
    while open_ and time.monotonic() < end:
        for key, ev in sel.select(0.5):
            g = key.data
            if ev & selectors.EVENT_WRITE and g.on_write():
                sel.modify(g.sock, selectors.EVENT_READ, g)
            if ev & selectors.EVENT_READ and g.on_read():
                sel.unregister(g.sock)
                open_ -= 1
    sel.close()
    for g in gs:
        g.sock.close()


def flood(d, eps, pid, checker):
    wrong = {}
    closed = []
    start = time.monotonic()
    for w in range(0, N_GARBAGE, WAVE):
        gs = [Garbler(eps[i % 2], KINDS[i % len(KINDS)]) for i in range(w, w + WAVE)]
        run_wave(gs)
        for g in gs:
            why = g.verdict()
            if why:
                wrong.setdefault(g.kind, why)
            if g.closed is not None:
                closed.append(g.closed)
    t.note("%d garbage connections (%d at a time) in %.2fs; closed at most %.3fs after connecting"
           % (N_GARBAGE, WAVE, time.monotonic() - start, max(closed or [0])))
    for kind in KINDS:
        t.ok(kind not in wrong, "garbage: %s" % kind, wrong.get(kind, ""))
    hl.report_memory(t, pid, "after the garbage flood")
    hl.checker_ok(t, checker.mark("garbage"), "garbage flood")
    t.ok("malformed policy request" in d.log(), "malformed requests logged")


def churn(d, eps, pid, checker):
    """connections reset at once (SO_LINGER 0), some mid-request"""
    start = time.monotonic()
    for i in range(N_CHURN):
        s = hl.connect_nb(eps[i % 2])
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        if i % 2:
            try:
                s.send(hl.short_request(LISTED)[:20 + i % 20])
            except OSError:
                pass
        s.close()
    t.note("%d connections reset by the client in %.2fs" % (N_CHURN, time.monotonic() - start))
    hl.checker_ok(t, checker.mark("churn"), "connection churn")


# request_timeout 1h: the pipeliners are read back one after another, and
# under -v (a log line per decision) on a sanitizer build that can take
# longer than the default 10 s for the last ones; slow.t tests the deadline
d, eps, pid = hl.start_daemon(idle_timeout="60s", max_clients="2000",
                              request_timeout="1h")
checker = hl.Checker(eps)
time.sleep(0.3)
base_fds = hl.fd_count(pid)
pipeliners(d, eps, pid, checker)
flood(d, eps, pid, checker)
churn(d, eps, pid, checker)
back, _ = pt.wait_until(lambda: hl.fd_count(pid) <= base_fds, 30, 0.05)
t.ok(back, "serve worker back to %d fds once the clients are gone (no fd leak)" % base_fds,
     "%d fds" % hl.fd_count(pid))
t.note("PEAK serve worker VmHWM in abuse.t: %d kB (%s build)"
       % (hl.memory(pid)[0], hl.build_kind(pid)))
checker.stop()
t.ok(d.stop() == 0 and hl.crash_free(d), "daemon stops cleanly", d.log()[-3000:])
t.finish()
