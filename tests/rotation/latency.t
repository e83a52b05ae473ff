#!/usr/bin/python3
"""A login appended to the log authorizes at once: the policy answer turns
OK (median/max over 200 single logins), and the write -> commit delay
(over 1000 single logins, read from LMDB's meta pages). Prints the
numbers; asserts only generous deadlines."""
import os
import socket
import sys
import time

import rotlib  # noqa: E402

pt = rotlib.pt
tap = pt.Tap()
DEADLINE = 10.0
POLICY_N = int(os.environ.get("POPGATE_LATENCY_POLICY", "200"))
COMMIT_N = int(os.environ.get("POPGATE_LATENCY_COMMIT", "1000"))
d, log = rotlib.started(tap)


def summary(name, xs):
    xs = sorted(xs)
    if not xs:
        return
    tap.note("%s over %d: median %.2f ms, p99 %.2f ms, max %.2f ms" % (
        name, len(xs), xs[len(xs) // 2] * 1000,
        xs[min(len(xs) - 1, int(len(xs) * 0.99))] * 1000, xs[-1] * 1000))


def ask(s, ip):
    s.sendall(pt.policy_request(ip))
    return pt.read_policy_answer(s)


s = d.connect()
delays, late = [], []
with open(log, "a") as f:
    for n in range(1, POLICY_N + 1):
        ip = "2001:db8:2::%x" % n
        f.write(pt.login_line(ip))
        f.flush()
        t0 = time.monotonic()
        while ask(s, ip) != "OK":
            if time.monotonic() - t0 > DEADLINE:
                late.append(ip)
                break
        if late:
            break
        delays.append(time.monotonic() - t0)
s.close()
tap.ok(not late, "policy says OK after each of %d appended logins" % POLICY_N, late)
summary("append -> policy OK", delays)

delays, late = [], []
with open(log, "a") as f:
    for n in range(1, COMMIT_N + 1):
        before = rotlib.txnid(d.database)
        f.write(pt.login_line("2001:db8:1::%x" % n))
        f.flush()
        t0 = time.monotonic()
        while rotlib.txnid(d.database) == before:
            time.sleep(0.0001)     # leave the CPU to popgated (2 cores)
            if time.monotonic() - t0 > DEADLINE:
                late.append(n)
                break
        if late:
            break
        delays.append(time.monotonic() - t0)
tap.ok(not late, "each of %d single logins committed" % COMMIT_N, late[:10])
summary("write -> commit", delays)
got = rotlib.counts(d)
ips = ["2001:db8:2::%x" % n for n in range(1, POLICY_N + 1)] + \
      ["2001:db8:1::%x" % n for n in range(1, COMMIT_N + 1)]
rotlib.exactly_once(tap, got, ips, "each login recorded exactly once")
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())
tap.finish()
