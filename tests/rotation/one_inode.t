#!/usr/bin/python3
"""Issue 19 class 5: one file under two configured names (a hard link,
two spellings of one path), rotated while popgated runs and across a
restart. The file is read once whatever names lead to it, the second
name is noted in the log once: every login exactly once."""
import os
import time

import rotlib  # noqa: E402

pt = rotlib.pt
tap = pt.Tap()


def case(name, second, net, link):
    d = rotlib.daemon()
    log = d.log_file
    other = second(d.dir)
    pt.append(log, "")
    if link:
        os.link(log, other)
    d.settings["log_files"] = "%s, %s" % (log, other)
    d.write_config()
    rotlib.start(tap, d)
    a = rotlib.first_logins(tap, d, log, net, name)
    b = rotlib.ips(net, 11, 3)
    c = rotlib.ips(net, 21, 3)
    os.rename(log, log + ".1")
    pt.append(log, rotlib.logins(b))
    time.sleep(5)   # rotate_wait (2 s) and the 2 s rescan both pass
    if link:        # the old inode is still at the second name
        pt.append(other, rotlib.logins(c))
    else:
        c = []
    rotlib.recorded_once(tap, d, a + b + c, name)
    tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())
    rotlib.start(tap, d)
    d2 = rotlib.ips(net, 31, 3)
    pt.append(log, rotlib.logins(d2))
    rotlib.recorded_once(tap, d, a + b + c + d2, "%s, after a restart" % name)
    notes = d.log().count("the same file as")
    tap.ok(notes >= 1, "%s: the second name is noted in the log (%d times over "
           "two starts)" % (name, notes))
    tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())


case("a hard link", lambda dir: os.path.join(dir, "mail2.log"), "192.0.2", True)
case("two spellings", lambda dir: os.path.join(dir, ".", "mail.log"), "198.51.100", False)
tap.finish()
