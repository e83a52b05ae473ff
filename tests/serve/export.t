#!/usr/bin/python3
"""export.t - the exported access map on the real daemon: written at
start, rewritten (atomically, then export_command) after popgate-dump -t
and -r, in Postfix and Sendmail formats (tests/mta/ runs each format with its
MTA)."""

import os
import socket
import sys

from servelib import pt, add, remove, sanitizer_clean  # noqa: E402


read = pt.read


def key(ip):
    """the database key order: IPv4 as ::ffff:a.b.c.d, then byte order"""
    if ":" in ip:
        return socket.inet_pton(socket.AF_INET6, ip)
    return b"\0" * 10 + b"\xff\xff" + socket.inet_pton(socket.AF_INET, ip)


def run(t, fmt, line_of):
    tmp = pt.temp_dir()
    access = os.path.join(tmp, "access")
    ran = os.path.join(tmp, "ran")
    d = pt.Daemon(tmp, export_map=access, export_format=fmt,
                  export_command="cat %s >> %s" % (access, ran))
    d.start()
    ok, elapsed = pt.wait_until(lambda: read(access) == "", 30, 0.05)
    t.ok(ok, "%s: empty map written at start" % fmt, read(access))
    add(d, "192.0.2.7")
    want = line_of("192.0.2.7")
    ok, elapsed = pt.wait_until(lambda: read(access) == want, 30, 0.05)
    t.ok(ok, "%s: map lists an entry added by popgate-dump -t" % fmt, read(access))
    t.note("%s: map updated %.2fs after popgate-dump -t" % (fmt, elapsed))
    add(d, "2001:db8::1", "198.51.100.1")
    want = "".join(line_of(ip) for ip in sorted(["198.51.100.1", "192.0.2.7", "2001:db8::1"], key=key))
    ok, _ = pt.wait_until(lambda: read(access) == want, 30, 0.05)
    t.ok(ok, "%s: map replaced with three entries" % fmt, read(access))
    remove(d, "192.0.2.7")
    ok, _ = pt.wait_until(lambda: "192.0.2.7 " not in (read(access) or "192.0.2.7 "), 30, 0.05)
    t.ok(ok, "%s: removed entry leaves the map" % fmt, read(access))
    ok, _ = pt.wait_until(lambda: (read(ran) or "").endswith(read(access) or "x"), 30, 0.05)
    t.ok(ok, "%s: export_command ran after the rewrite" % fmt, read(ran))
    leftovers = [n for n in os.listdir(tmp) if n.startswith("access.")]
    t.ok(not leftovers, "%s: no temp file left behind" % fmt, leftovers)
    t.ok(d.stop() == 0 and sanitizer_clean(d), "%s: daemon stops cleanly" % fmt, d.log())


t = pt.Tap()
run(t, "postfix", lambda ip: "%s OK\n" % ip)
def sendmail_lines(ip):
    """IPv4 as it is; IPv6 in the full form of IPV6_FULL, then shortened"""
    if ":" not in ip:
        return "Connect:%s RELAY\n" % ip
    b = socket.inet_pton(socket.AF_INET6, ip)
    full = ":".join("%x" % (b[i] << 8 | b[i + 1]) for i in range(0, 16, 2))
    return "Connect:IPv6:%s RELAY\nConnect:IPv6:%s RELAY\n" % (full, ip)


run(t, "sendmail", sendmail_lines)
t.finish()
