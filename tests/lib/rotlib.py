"""rotlib - what the rotation suites share: a daemon in a temp dir (and
started on its log file), the set of recorded logins as {ip: count},
waiting for an IP to appear (after appending its login), and
the last committed LMDB transaction id read straight from the meta pages
(to time write -> commit without asking the daemon)."""

import os
import struct
import sys

import popgate_test as pt  # noqa: E402

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
