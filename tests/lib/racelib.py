"""racelib - what the read-your-writes, slow-client and push suites share
on top of popgate_test: the serve counters, the ingest worker's
pid, a socketmap exchange and the login-then-query race itself."""

import os
import re
import time

import popgate_test as pt
from servelib import worker_pid  # noqa: F401 (for the suites)

DEADLINE = 10.0


def counters(d):
    """{name: value} of popgate-dump -s (flushed with ingest's commits)"""
    r = d.dump("-s")
    if r.returncode != 0 or "counters:\n" not in r.stdout:
        return {}
    text = r.stdout.split("counters:\n", 1)[1]
    return {k: int(v) for k, v in re.findall(r"^  ([^:\n]+): (\d+)$", text, re.M)}


def wait_counter(d, name, pred):
    """wait until pred(value of counter NAME) holds; (value, elapsed)"""
    _, elapsed = pt.wait_until(lambda: pred(counters(d).get(name, 0)),
                               DEADLINE, 0.05)
    return counters(d).get(name, 0), elapsed


def flushed(d):
    """make ingest commit (a noise line) and wait for it: the serve
    counters counted so far are then in the database"""
    before = counters(d).get("lines_read", 0)
    pt.append(d.log_file, pt.noise_line(before))
    return wait_counter(d, "lines_read", lambda v: v > before)[0] > before


def netstring(text):
    data = text.encode()
    return b"%d:%s," % (len(data), data)


def read_netstring(s):
    data = b""
    while True:
        head, sep, rest = data.partition(b":")
        if sep and len(rest) >= int(head) + 1:
            return rest[:int(head)].decode(errors="replace")
        chunk = s.recv(4096)
        if not chunk:
            return ""
        data += chunk


def race(d, conn, ips, ask):
    """for each ip: append its login line to the followed file and at once
    (no polling, no sleep) ask on the open connection CONN with
    ask(conn, ip). Returns [(answer, seconds from the write to the answer)]"""
    got = []
    for i, ip in enumerate(ips):
        line = pt.login_line(ip, pid=5000 + i)
        with open(d.log_file, "a") as f:
            f.write(line)
        t0 = time.monotonic()
        answer = ask(conn, ip)
        got.append((answer, time.monotonic() - t0))
    return got


def ask_policy(conn, ip):
    conn.sendall(pt.policy_request(ip))
    return pt.read_policy_answer(conn)


def ask_socketmap(conn, ip):
    conn.sendall(netstring("popgate " + ip))
    return read_netstring(conn)


def describe(times):
    times = sorted(times)
    if not times:
        return "no samples"
    return "p50 %.2f ms, p99 %.2f ms, max %.2f ms over %d" % (
        1000 * times[len(times) // 2],
        1000 * times[min(len(times) - 1, int(len(times) * 0.99))],
        1000 * times[-1], len(times))
