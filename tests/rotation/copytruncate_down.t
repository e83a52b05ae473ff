#!/usr/bin/python3
"""Issue 19 class 2: copytruncate while popgated is stopped or its reader
stalled (SIGSTOP): the lines written since it last read exist only in
the copy (mail.log.1, or mail.log.1.gz when compressed at once). They are
read from the copy, the truncated file from its start: every login
exactly once, nothing old read as live."""
import gzip
import os
import shutil

import rotlib  # noqa: E402

pt = rotlib.pt
tap = pt.Tap()


def copytruncate(log, compress):
    shutil.copyfile(log, log + ".1")
    with open(log, "r+") as f:
        f.truncate(0)
    if compress:
        with open(log + ".1", "rb") as src, gzip.open(log + ".1.gz", "wb") as dst:
            shutil.copyfileobj(src, dst)
        os.unlink(log + ".1")


def case(mode, net, compress=False):
    name = "%s%s" % (mode, ", compressed at once" if compress else "")
    d, log = rotlib.started(tap)
    a = rotlib.first_logins(tap, d, log, net, name, 4)
    b = rotlib.ips(net, 11, 4)
    c = rotlib.ips(net, 21, 4)
    with rotlib.Across(tap, d, mode):
        pt.append(log, rotlib.logins(b, age=300))   # not read before the copy
        copytruncate(log, compress)
        pt.append(log, rotlib.logins(c, age=200))
    rotlib.recorded_once(tap, d, a + b + c, name)
    rotlib.stamped_old(tap, d, b + c, 200, "%s: B and C stamped by their own time" % name)
    tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())


case("stopped", "192.0.2")
case("stalled", "198.51.100")
case("stopped", "203.0.113", compress=True)
case("stalled", "192.0.2", compress=True)
tap.finish()
