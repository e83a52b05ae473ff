"""rotlib - what the rotation suites share: a daemon in a temp dir (and
started on its log file), the set of recorded logins as {ip: count},
waiting for an IP to appear (after appending its login), the last
committed LMDB transaction id read straight from the meta pages (to time
write -> commit without asking the daemon), counters, and doing steps
while the daemon runs, is stalled (SIGSTOP) or is stopped."""

import os
import signal
import struct
import sys
import time

import popgate_test as pt  # noqa: E402
import stresslib  # noqa: E402

# MDB_meta after the 16-byte page header: magic, version, address,
# mapsize, two 48-byte MDB_db, last_pg, then txnid
TXNID_OFFSET = 16 + 4 + 4 + 8 + 8 + 2 * 48 + 8


def daemon(**settings):
    d = pt.Daemon(pt.temp_dir("popgate-rot-"), **settings)
    return d


def counts(d):
    """{ip: count} of every record, expired ones included"""
    return {r["ip"]: r["count"] for r in d.dump_json(all=True)}


def wait_ips(d, ips, timeout=30):
    """wait until every ip in IPS is recorded; (ok, seconds, counts)"""
    last = {}

    def have():
        last.clear()
        last.update(counts(d))
        return all(ip in last for ip in ips)
    ok, elapsed = pt.wait_until(have, timeout, 0.02)
    return bool(ok), elapsed, dict(last)


def exactly_once(tap, got, ips, desc):
    """every ip of IPS recorded with count 1"""
    bad = ["%s=%s" % (ip, got.get(ip)) for ip in ips if got.get(ip) != 1]
    return tap.ok(not bad, desc, "wrong counts: " + ", ".join(bad[:20]))


def txnid(path):
    """the last committed transaction id of the LMDB file at PATH"""
    with open(path, "rb") as f:
        data = f.read(8192)
    psize = 4096
    ids = []
    for page in (0, 1):
        off = page * psize + TXNID_OFFSET
        if len(data) >= off + 8:
            ids.append(struct.unpack_from("<Q", data, off)[0])
    return max(ids) if ids else 0


def started(tap, first=""):
    """a daemon in a temp dir, started on a log file holding FIRST;
    (d, log path)"""
    d = daemon()
    pt.append(d.log_file, first)
    start(tap, d)
    return d, d.log_file


def login_recorded(tap, d, ip, desc, path=None):
    """append a login from IP to PATH (the daemon's log file by default),
    wait for it to be recorded and report DESC with the time taken;
    returns the counts seen"""
    pt.append(path or d.log_file, pt.login_line(ip))
    ok, t, got = wait_ips(d, [ip])
    tap.ok(ok, "%s (%.3fs)" % (desc, t))
    return got


def start(tap, d, **kw):
    try:
        d.start(**kw)
        return True
    except RuntimeError as e:
        tap.ok(False, "popgated starts", str(e))
        tap.finish()


def counter(d, name):
    """the counter NAME shown by popgate-dump -s (0 when not shown)"""
    for line in d.dump("-s").stdout.splitlines():
        key, _, value = line.strip().partition(": ")
        if key == name and value.isdigit():
            return int(value)
    return 0


def workers(d, sig):
    """send SIG to the master's workers (SIGSTOP: a reader stalled,
    starved of CPU; SIGCONT: it runs again)"""
    for pid in d.children():
        try:
            os.kill(pid, sig)
        except OSError:
            pass


MODES = ("running", "stalled", "stopped")


class Across:
    """with Across(tap, d, mode): the steps inside happen while the daemon
    runs (the caller waits for it between steps), while its workers are
    stopped with SIGSTOP, or while it is stopped (TERM, restarted after)"""

    def __init__(self, tap, d, mode):
        self.tap, self.d, self.mode = tap, d, mode

    def __enter__(self):
        if self.mode == "stalled":
            workers(self.d, signal.SIGSTOP)
        elif self.mode == "stopped":
            self.tap.ok(self.d.stop() == 0, "popgated exits 0 on TERM", self.d.log())
        return self

    def __exit__(self, *exc):
        if self.mode == "stalled":
            workers(self.d, signal.SIGCONT)
        elif self.mode == "stopped":
            start(self.tap, self.d)
        return False


def logins(ips, age=0, user="alice"):
    """login lines from IPS, stamped AGE seconds ago"""
    t = time.time() - age
    return "".join(pt.login_line(ip, user=user, t=t) for ip in ips)


def stamped_old(tap, d, ips, age, desc):
    """every ip of IPS has last_seen about AGE seconds ago: read as
    backlog (its own stamp), not as live (arrival time)"""
    rows = {r["ip"]: r for r in d.dump_json(all=True)}
    now = time.time()
    bad = ["%s: last_seen %ds ago" % (ip, now - rows[ip]["last_seen"])
           for ip in ips if ip in rows and now - rows[ip]["last_seen"] < age / 2]
    return tap.ok(not bad, desc, ", ".join(bad[:10]))


def recorded_once(tap, d, ips, desc, absent=()):
    """wait for every ip of IPS; each exactly once, none of ABSENT (old
    lines that must not count) and nothing else"""
    ok, t, got = wait_ips(d, ips)
    time.sleep(0.3)             # a second reading would show now
    got = counts(d)
    exactly_once(tap, got, ips, "%s: each login exactly once (%.3fs)" % (desc, t))
    extra = [ip for ip in got if ip not in ips and ip in absent]
    tap.ok(not extra, "%s: no old login recorded" % desc, ", ".join(extra))
    return got


def ips(net, first, n):
    """N documentation addresses NET.FIRST, NET.FIRST+1, ..."""
    return ["%s.%d" % (net, i) for i in range(first, first + n)]


def new_file_followed(tap, d, name, first="", what="the new empty file"):
    """rename rotation (logrotate 'create') to a new file holding FIRST;
    wait until the daemon has saved a position on it"""
    stresslib.rotate_rename(d.log_file)
    pt.append(d.log_file, first)
    ok, t = pt.wait_until(lambda: stresslib.file_known(d, d.log_file), 30, 0.02)
    tap.ok(ok, "%s: %s is followed (%.3fs)" % (name, what, t))


def first_logins(tap, d, path, net, name, n=3):
    """append N logins from NET.1.. to PATH, wait until they are recorded
    and report it under NAME; the addresses"""
    a = ips(net, 1, n)
    pt.append(path, logins(a))
    ok, t, _ = wait_ips(d, a)
    tap.ok(ok, "%s: logins A recorded (%.3fs)" % (name, t))
    return a
