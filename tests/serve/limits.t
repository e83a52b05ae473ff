#!/usr/bin/python3
"""limits.t - connection limits on the real daemon: 1000 concurrent
connections all answered, max_clients refusal (accept and close) and
recovery once a slot frees up."""

import os
import resource
import socket
import sys
import time

from servelib import pt, add, crash_free, serve_pid, LISTED  # noqa: E402

t = pt.Tap()
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = min(hard, 4096)
if soft < want:
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
t.note("RLIMIT_NOFILE %d (hard %d)" % (max(soft, want), hard))

# --- 1000 concurrent connections ---
d = pt.Daemon(pt.temp_dir(), max_clients="1100")
d.start()
add(d, LISTED)
N = 1000 if want >= 1100 else want - 100
socks = []


def connect_retry(d):
    """a unix socket connect fails with EAGAIN while the backlog is full"""
    for _ in range(3000):
        try:
            return d.connect(timeout=30)
        except BlockingIOError:
            time.sleep(0.01)
    return d.connect(timeout=30)


start = time.monotonic()
try:
    for i in range(N):
        socks.append(connect_retry(d))
    for i, s in enumerate(socks):
        s.sendall(pt.policy_request(LISTED if i % 2 == 0 else "203.0.113.%d" % (i % 250 + 1)))
    got = [pt.read_policy_answer(s) for s in socks]
finally:
    for s in socks:
        s.close()
want_answers = ["OK" if i % 2 == 0 else "DUNNO" for i in range(N)]
t.ok(got == want_answers, "%d concurrent connections all answered correctly" % N,
     "%d wrong" % sum(1 for a, b in zip(got, want_answers) if a != b))
t.note("%d connections opened and answered in %.2fs" % (N, time.monotonic() - start))
t.ok(d.policy(LISTED) == "OK", "daemon still answers after they close")
t.ok(d.stop() == 0 and crash_free(d), "daemon stops cleanly", d.log())

# --- max_clients: refusal at accept, recovery ---
d = pt.Daemon(pt.temp_dir(), max_clients="5")
d.start()
add(d, LISTED)
held = []
for i in range(5):
    s = d.connect()
    s.sendall(pt.policy_request(LISTED))
    held.append((s, pt.read_policy_answer(s)))
t.ok(all(a == "OK" for _, a in held), "5 connections (max_clients = 5) answered")
extra = d.connect()
extra.settimeout(10)
try:
    extra.sendall(pt.policy_request(LISTED))
    reply = extra.recv(100)
except (ConnectionResetError, BrokenPipeError):
    reply = b""
except socket.timeout:
    reply = None
extra.close()
t.ok(reply == b"", "6th connection closed without an answer", reply)
t.ok("max_clients" in d.log(), "refusal logged")
held[0][0].close()
# until the worker has seen that close, a new connection is still refused
ok, elapsed = pt.wait_until(lambda: d.try_policy(LISTED) == "OK", 10, 0.05)
t.ok(ok, "a freed slot is used again")
t.note("new connection answered %.2fs after a slot was freed" % elapsed)
for s, _ in held[1:]:
    s.close()
t.ok(d.stop() == 0 and crash_free(d), "daemon stops cleanly", d.log())

# --- EMFILE: pause accepting instead of spinning ---
resource.setrlimit(resource.RLIMIT_NOFILE, (48, hard))
try:
    d = pt.Daemon(pt.temp_dir())
    d.start(args=["-v"])
finally:
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))
add(d, LISTED)
pid = serve_pid(d)


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


many = [connect_retry(d) for _ in range(80)]
paused, _ = pt.wait_until(lambda: "pausing" in d.log(), 10, 0.05)
t.ok(paused, "EMFILE at accept logged, accepting paused")
c0 = cpu_ticks(pid)
time.sleep(1)
t.note("serve worker CPU while out of fds: %d ticks in 1s (100 = 1 CPU)" % (cpu_ticks(pid) - c0))
for s in many:
    s.close()
ok, elapsed = pt.wait_until(lambda: d.try_policy(LISTED) == "OK", 10, 0.05)
t.ok(ok, "answers again once fds are free")
t.note("answered %.2fs after the connections closed" % elapsed)
t.ok(d.stop() == 0 and crash_free(d), "daemon stops cleanly", d.log())
t.finish()
