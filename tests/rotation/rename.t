#!/usr/bin/python3
"""Rename (logrotate "create") rotation while the writer still appends to
the old file, then reopens; and a rename whose new file appears only
after rotate_wait. Every login exactly once (tailer rule 2)."""
import os
import sys
import time

import rotlib  # noqa: E402

pt = rotlib.pt
tap = pt.Tap()
d, log = rotlib.started(tap)


def write_fd(fd, ip):
    os.write(fd, pt.login_line(ip).encode())


old = os.open(log, os.O_WRONLY | os.O_APPEND)
write_fd(old, "192.0.2.1")
ok, t, _ = rotlib.wait_ips(d, ["192.0.2.1"])
tap.ok(ok, "login before rotation recorded (%.3fs)" % t)

os.rename(log, log + ".1")
write_fd(old, "192.0.2.2")             # writer has not noticed yet
pt.append(log, pt.login_line("192.0.2.3"))   # the new file
write_fd(old, "192.0.2.4")             # still the old fd
ok, t, _ = rotlib.wait_ips(d, ["192.0.2.2", "192.0.2.3", "192.0.2.4"])
tap.ok(ok, "logins in the old and the new file recorded (%.3fs)" % t)
os.close(old)                          # the writer reopens
got = rotlib.login_recorded(tap, d, "192.0.2.5", "login after the writer reopened recorded")
rotlib.exactly_once(tap, got, ["192.0.2.%d" % i for i in range(1, 6)],
                    "rename rotation: each login exactly once")

# rename, then the new file appears after rotate_wait (2 s)
os.rename(log, log + ".2")
time.sleep(2.5)
got = rotlib.login_recorded(tap, d, "192.0.2.6",
                            "login in a file created after rotate_wait recorded")
rotlib.exactly_once(tap, got, ["192.0.2.%d" % i for i in range(1, 7)],
                    "delayed create: each login exactly once")

# restart: nothing of the rotated files is read again
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())
rotlib.start(tap, d)
got = rotlib.login_recorded(tap, d, "192.0.2.7", "login after restart recorded")
rotlib.exactly_once(tap, got, ["192.0.2.%d" % i for i in range(1, 8)],
                    "after restart: each login exactly once")
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())
tap.finish()
