#!/usr/bin/python3
"""make stress's loss and duplicate classes (issue 19), each on its own:
1. a copytruncate of a file popgated follows but has not read yet (it
   was empty when opened): only the copy beside it holds those logins;
   nothing about the file itself tells. Stalled (SIGSTOP), and
   killed (SIGKILL) just after the next save, before the copy has a
   position of its own: after the restart the copy must not pass for a
   file read before that save.
2. a rotated file that got late lines (syslog before its HUP), read to
   its end and retired while the new file had nothing to save: a restart
   does not read it a second time.
Every login exactly once."""
import os
import signal
import time

import rotlib  # noqa: E402
import stresslib  # noqa: E402

pt = rotlib.pt
tap = pt.Tap()


def copy_of_unread(mode, net):
    name = "copy of a file not read yet (%s)" % mode
    d, log = rotlib.started(tap)
    ips = rotlib.first_logins(tap, d, log, net, name)
    rotlib.new_file_followed(tap, d, name)
    a, b = rotlib.ips(net, 10, 5), rotlib.ips(net, 20, 5)
    rotlib.workers(d, signal.SIGSTOP)
    pt.append(log, rotlib.logins(a))
    stresslib.rotate_copytruncate(log)      # a is only in mail.log.1 now
    pt.append(log, rotlib.logins(b))
    rotlib.workers(d, signal.SIGCONT)
    if mode == "killed":
        ok, t, _ = rotlib.wait_ips(d, b)    # a save after the copy ...
        tap.ok(ok, "%s: the logins after the copy saved (%.3fs)" % (name, t))
        d.kill()                            # ... and down at once
        rotlib.start(tap, d)
    rotlib.recorded_once(tap, d, ips + a + b, name)
    tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())


def retired_then_restart(net):
    name = "rotated file retired, then a restart"
    d, log = rotlib.started(tap)
    ips = rotlib.first_logins(tap, d, log, net, name)
    rotlib.new_file_followed(tap, d, name)
    time.sleep(0.05)            # the late lines are newer than that save
    late = rotlib.ips(net, 10, 3)
    pt.append(log + ".1", rotlib.logins(late))
    ok, t, _ = rotlib.wait_ips(d, late)
    tap.ok(ok, "%s: late lines in the renamed file read (%.3fs)" % (name, t))
    ok, t = pt.wait_until(lambda: "rotated file done" in d.log(), 30, 0.1)
    tap.ok(ok, "%s: the renamed file is retired (%.3fs)" % (name, t))
    tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())
    rotlib.start(tap, d)
    rotlib.recorded_once(tap, d, ips + late, name)
    tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())


copy_of_unread("stalled", "192.0.2")
copy_of_unread("killed", "198.51.100")
retired_then_restart("203.0.113")
tap.finish()
