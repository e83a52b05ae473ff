#!/usr/bin/python3
"""Issue 19 class 7: two (and three) renames while the reader is stalled
(SIGSTOP: paused, starved of CPU). When it runs again the file at the
path is a third one; the file in between, never opened, is found among
the rotated siblings and read: every login exactly once. Also with a
writer that keeps writing to the renamed file until it reopens (syslog
before its HUP)."""
import os
import signal

import rotlib  # noqa: E402
import stresslib  # noqa: E402

pt = rotlib.pt
tap = pt.Tap()


def case(name, net, renames, late_writer):
    d, log = rotlib.started(tap)
    ips = rotlib.first_logins(tap, d, log, net, name)
    rotlib.workers(d, signal.SIGSTOP)
    for i in range(renames):
        old = open(log, "a")
        more = ["%s.%d" % (net, 10 * (i + 1) + k) for k in range(3)]
        stresslib.rotate_rename(log)
        if late_writer:     # written to the renamed file before the HUP
            old.write(rotlib.logins(more[:1]))
            old.flush()
            pt.append(log, rotlib.logins(more[1:]))
        else:
            pt.append(log, rotlib.logins(more))
        old.close()
        ips += more
    rotlib.workers(d, signal.SIGCONT)
    rotlib.recorded_once(tap, d, ips, name)
    last = ["%s.200" % net]
    pt.append(log, rotlib.logins(last))
    rotlib.recorded_once(tap, d, ips + last, "%s, then a login appended" % name)
    tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())


case("two renames", "192.0.2", 2, False)
case("three renames", "198.51.100", 3, False)
case("two renames, writer late to reopen", "203.0.113", 2, True)
tap.finish()
