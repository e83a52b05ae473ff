"""bench_race.py - section 5 of bench.py: the race between a login and the
first relay attempt. Login -> OK through the Dovecot push source, journal
login -> recorded under a real journald (journald_latency.py in a private
mount namespace; SKIPPED without root, unshare or a writable cgroup2),
and the policy throughput for unlisted clients with sync_wait on and off.
Benchmark code only; never asserts a time."""

import json
import os
import shutil
import socket
import subprocess
import time

from benchlib import (BUILD, POLICY_SECONDS, Daemon, bench, prog, run_kv,
                      say)

PUSH_LOGINS = int(os.environ.get("BENCH_PUSH_LOGINS", "500"))
JOURNAL_LOGINS = int(os.environ.get("BENCH_JOURNAL_LOGINS", "60"))
JOURNAL_IDLE = os.environ.get("BENCH_JOURNAL_IDLE_SECONDS", "20")
HERE = os.path.dirname(os.path.abspath(__file__))


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def http_report(conn, ip):
    body = json.dumps({"login": "alice", "protocol": "pop3", "remote": ip,
                       "session_id": "b", "success": True}).encode()
    conn.sendall(b"POST /?command=report HTTP/1.1\r\nHost: b\r\n"
                 b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    data = b""
    while not data.endswith(b'"msg":""}'):
        data += conn.recv(4096)


def ask(conn, ip):
    conn.sendall(b"request=smtpd_access_policy\nclient_address=%s\n\n"
                 % ip.encode())
    data = b""
    while not data.endswith(b"\n\n"):
        data += conn.recv(4096)
    return data.startswith(b"action=OK")


def push():
    """a report sent (as Dovecot does, on a kept-alive connection), then
    the policy asked on an open connection until OK"""
    port = socket.socket()
    port.bind(("127.0.0.1", 0))
    pnum = port.getsockname()[1]
    port.close()
    d = Daemon(extra="dovecot_policy_listen = inet:127.0.0.1:%d\n" % pnum)
    try:
        if d.ready() is None:
            say("  push SKIPPED: popgated never answered: " + d.stderr_tail())
            return
        http = socket.create_connection(("127.0.0.1", pnum))
        pol = socket.socket(socket.AF_UNIX)
        pol.connect(d.sock)
        lat, first_ok = [], 0
        for i in range(PUSH_LOGINS):
            ip = "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255 or 1)
            t0 = time.monotonic()
            http_report(http, ip)
            tries = 1
            while not ask(pol, ip) and time.monotonic() - t0 < 5:
                tries += 1
            lat.append(time.monotonic() - t0)
            first_ok += tries == 1
    finally:
        d.stop()
    say("  push: report -> OK p50 %.2f ms, p99 %.2f ms over %d logins; "
        "first policy answer OK %d/%d" % (1000 * pct(lat, 50),
                                          1000 * pct(lat, 99), len(lat),
                                          first_ok, len(lat)))
    bench("push_login_ok_p50_ms", "%.2f" % (1000 * pct(lat, 50)))
    bench("push_login_ok_p99_ms", "%.2f" % (1000 * pct(lat, 99)))


def journal():
    why = None
    if os.geteuid() != 0:
        why = "needs root"
    elif not shutil.which("unshare") or not os.path.exists(
            "/lib/systemd/systemd-journald"):
        why = "needs unshare and systemd-journald"
    elif not os.access("/sys/fs/cgroup/unified", os.W_OK) and \
            not os.access("/sys/fs/cgroup/cgroup.procs", os.W_OK):
        why = "needs a writable cgroup2 hierarchy"
    if why:
        say("  journal SKIPPED: " + why)
        return
    root = "/sys/fs/cgroup/unified"
    if not os.path.isdir(root):
        root = "/sys/fs/cgroup"
    r = run_kv(["unshare", "-m", "--propagation", "private", "python3",
                os.path.join(HERE, "journald_latency.py"), BUILD,
                str(JOURNAL_LOGINS), JOURNAL_IDLE],
               env=dict(os.environ, POPGATE_CGROUP_ROOT=root))
    say("  journal (real journald): login -> recorded p50 %.1f ms, p99 %.1f "
        "ms, max %.1f ms over %d; the very first %.1f ms, one after %ds "
        "quiet %.1f ms" % (r["p50_ms"], r["p99_ms"], r["max_ms"],
                          r["logins"], r["first_ms"],
                          r["eager_s"] + r["idle_s"], r["cold_ms"]))
    say("  ingest worker CPU: %d ms in %ds reading eagerly, %d ms in %ds "
        "idle" % (r["eager_cpu_ms"], r["eager_s"], r["idle_cpu_ms"],
                  r["idle_s"]))
    say("  query sent right after the message to journald (sync_wait "
        "200ms): OK %d/%d (the rest: journald had not written it yet)"
        % (r["race_ok"], r["race_n"]))
    bench("journal_login_recorded_p50_ms", "%.1f" % r["p50_ms"])
    bench("journal_login_recorded_p99_ms", "%.1f" % r["p99_ms"], "<= 50")
    bench("journal_idle_cpu_ms", "%d" % r["idle_cpu_ms"])


def unlisted():
    """64 connections asking only about unlisted clients"""
    got = {}
    for wait in ("200ms", "0"):
        d = Daemon(extra="sync_wait = %s\n" % wait)
        try:
            if d.ready() is None:
                say("  unlisted SKIPPED: " + d.stderr_tail())
                return
            got[wait] = run_kv([prog("bench_policy"), "unix:" + d.sock, "64",
                                str(POLICY_SECONDS), "unlisted"])
        finally:
            d.stop()
    for wait, r in got.items():
        say("  unlisted clients, sync_wait %-5s %8.0f req/s  p50 %7.1f us  "
            "p99 %7.1f us  errors %d  OK %d" % (wait, r["rps"], r["p50_us"],
                                               r["p99_us"], r["errors"],
                                               r["ok_unlisted"]))
    bench("unlisted_req_per_s_sync", "%.0f" % got["200ms"]["rps"])
    bench("unlisted_req_per_s_nosync", "%.0f" % got["0"]["rps"])
    bench("unlisted_sync_vs_nosync", "%.3f" % (got["200ms"]["rps"] /
                                               got["0"]["rps"]))


def race():
    say("== 5. login -> relay race: push source, journal, waiting answers")
    for part in (push, journal, unlisted):
        try:
            part()
        except Exception as e:		# one broken part must not hide the rest
            say("  %s FAILED: %s" % (part.__name__, e))
