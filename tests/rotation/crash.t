#!/usr/bin/python3
"""kill -9 of the daemon in the middle of a 100k-line burst (20k logins
from distinct addresses among noise), then a restart: no login lost and
none counted twice, because positions commit with the records (rule 4)."""
import ipaddress
import os
import sys

import rotlib  # noqa: E402

pt = rotlib.pt
tap = pt.Tap()
LINES, EVERY, CHUNK = 100000, 5, 500
d, log = rotlib.started(tap)


def ip_of(n):
    return str(ipaddress.IPv6Address("2001:db8::") + n)


def entries():
    out = d.dump("-s").stdout
    for line in out.splitlines():
        if line.startswith("entries:"):
            return int(line.split()[1])
    return 0


ips = []
with open(log, "a") as f:
    for start in range(0, LINES, CHUNK):
        if start == LINES // 2:
            ok, t = pt.wait_until(lambda: entries() > 0, 30)
            tap.ok(ok, "logins being recorded mid-burst (%.3fs)" % t)
            d.kill()       # SIGKILL master and workers mid-stream
            tap.note("killed with %d entries recorded" % entries())
        text = []
        for i in range(start, start + CHUNK):
            if i % EVERY == 0:
                ips.append(ip_of(len(ips) + 1))
                text.append(pt.login_line(ips[-1], user="u%d" % i, pid=i))
            else:
                text.append(pt.noise_line(i))
        f.write("".join(text))
        f.flush()

rotlib.start(tap, d)
ok, t = pt.wait_until(lambda: entries() >= len(ips), 120, 0.1)
tap.ok(ok, "after restart all %d logins are recorded (%.3fs)" % (len(ips), t))
got = rotlib.counts(d)
rotlib.exactly_once(tap, got, ips, "no login lost, none replayed")
tap.ok(len(got) == len(ips), "nothing else recorded (%d entries)" % len(got))
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())
tap.finish()
