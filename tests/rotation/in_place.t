#!/usr/bin/python3
"""Issue 19 class 4: a file that already holds lines is renamed, linked
or symlinked into place while popgated runs (a log shipper, `mv new
mail.log`, a symlink swapped). Its lines are backlog: stamped by their
own time, so a login 45 minutes old (window 30m) authorizes nothing and
one 10 minutes old keeps its own time; lines appended later are live."""
import os
import time

import rotlib  # noqa: E402

pt = rotlib.pt
tap = pt.Tap()


def check(d, name, stale, recent, live_ip, path):
    """STALE (45 min) absent, RECENT (10 min) with its own time, then a
    login appended to PATH recorded as live"""
    ok, t, _ = rotlib.wait_ips(d, recent)
    tap.ok(ok, "%s: the 10-minute-old login is recorded (%.3fs)" % (name, t))
    rotlib.stamped_old(tap, d, recent, 600, "%s: stamped by its own time, not as live" % name)
    pt.append(path, rotlib.logins([live_ip]))
    ok, t, got = rotlib.wait_ips(d, [live_ip])
    tap.ok(ok, "%s: a login appended later is recorded (%.3fs)" % (name, t))
    row = [r for r in d.dump_json() if r["ip"] == live_ip]
    tap.ok(row and time.time() - row[0]["last_seen"] < 60, "%s: ... as live" % name)
    tap.ok(not any(ip in got for ip in stale),
           "%s: the 45-minute-old login authorizes nothing" % name, str(got))


def prepared(path, stale, recent):
    with open(path, "w") as f:
        f.write(rotlib.logins(stale, age=2700) + rotlib.logins(recent, age=600))


# mv new mail.log
d, log = rotlib.started(tap)
new = os.path.join(d.dir, "incoming")
prepared(new, ["192.0.2.1"], ["192.0.2.2"])
os.rename(new, log)
check(d, "renamed into place", ["192.0.2.1"], ["192.0.2.2"], "192.0.2.3", log)

# a hard link into place after the old file was removed
prepared(new, ["192.0.2.11"], ["192.0.2.12"])
os.unlink(log)
os.link(new, log)
check(d, "linked into place", ["192.0.2.11"], ["192.0.2.12"], "192.0.2.13", log)
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())

# a symlink swapped to a file that already has lines
d = rotlib.daemon(log_files=None)
link = os.path.join(d.dir, "current.log")
a = os.path.join(d.dir, "a.log")
b = os.path.join(d.dir, "b.log")
pt.append(a, "")
os.symlink(a, link)
d.settings["log_files"] = link
d.write_config()
rotlib.start(tap, d)
pt.append(a, rotlib.logins(["198.51.100.1"]))
ok, t, _ = rotlib.wait_ips(d, ["198.51.100.1"])
tap.ok(ok, "symlink: a login in the first target recorded (%.3fs)" % t)
prepared(b, ["198.51.100.2"], ["198.51.100.3"])
os.symlink(b, link + ".new")
os.rename(link + ".new", link)
check(d, "symlink swapped", ["198.51.100.2"], ["198.51.100.3"], "198.51.100.4", b)
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())
tap.finish()
