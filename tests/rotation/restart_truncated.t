#!/usr/bin/python3
"""Down across a copytruncate and then a rename (tailer rules 3 and 5):
the saved position's inode is found at mail.log.1 with a new first line,
or with its first line but shorter than the saved offset. It is read
from 0 as backlog, never skipped: every login exactly once."""
import os
import sys

import rotlib  # noqa: E402
import stresslib  # noqa: E402

pt = rotlib.pt
tap = pt.Tap()
d, log = rotlib.started(tap)


def down_truncate_refill_rename(refill, new_text, stop):
    """stop the daemon (SIGKILL or TERM) with the position saved; then
    copytruncate (the copy holds what was read), refill the truncated
    inode with REFILL, rotate it away by rename and start a new log
    with NEW_TEXT; restart"""
    if stop == "kill":
        d.kill()
    else:
        tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())
    ino = os.stat(log).st_ino
    stresslib.rotate_copytruncate(log)
    pt.append(log, refill)
    stresslib.shift(log)
    os.rename(log, log + ".1")
    tap.ok(os.stat(log + ".1").st_ino == ino, "the refilled inode is now at mail.log.1")
    pt.append(log, new_text)
    rotlib.start(tap, d)


# A committed, then down: truncated, refilled with B (new first line,
# longer than the saved offset), renamed; C in a new file
a = ["192.0.2.%d" % i for i in range(1, 4)]
pt.append(log, "".join(pt.login_line(ip) for ip in a))
ok, t, _ = rotlib.wait_ips(d, a)
tap.ok(ok, "logins A recorded (%.3fs)" % t)
b = ["198.51.100.%d" % i for i in range(1, 6)]
c = ["203.0.113.%d" % i for i in range(1, 3)]
refill = "".join(pt.login_line(ip, user="bob") for ip in b)
assert len(refill) > os.path.getsize(log)
down_truncate_refill_rename(refill, pt.noise_line(7) + "".join(pt.login_line(ip) for ip in c),
                            "kill")
ok, t, got = rotlib.wait_ips(d, a + b + c)
tap.ok(ok, "new first line: B (mail.log.1) and C (mail.log) recorded (%.3fs)" % t)
rotlib.exactly_once(tap, got, a + b + c, "A not read again, B and C exactly once")

# same first line, file now shorter than the saved offset
d2 = ["198.51.100.%d" % i for i in range(11, 14)]
pt.append(log, "".join(pt.login_line(ip) for ip in d2))
ok, t, _ = rotlib.wait_ips(d, d2)
tap.ok(ok, "logins D recorded (%.3fs)" % t)
e = ["198.51.100.20"]
f = ["203.0.113.20"]
with open(log) as fh:
    refill = fh.readline() + pt.login_line(e[0])   # its first line (noise) kept
assert len(refill) < os.path.getsize(log)
down_truncate_refill_rename(refill, pt.login_line(f[0]), "term")
ips = a + b + c + d2 + e + f
ok, t, got = rotlib.wait_ips(d, ips)
tap.ok(ok, "same first line, shorter: E (mail.log.1) and F recorded (%.3fs)" % t)
rotlib.exactly_once(tap, got, ips, "D not read again, E and F exactly once")
tap.ok(len(got) == len(ips), "nothing else recorded (%d entries)" % len(got))
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())
tap.finish()
