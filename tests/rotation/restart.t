#!/usr/bin/python3
"""Restarts (tailer rule 5): with no change nothing is read again; the
same inode with new content is read from 0; start_at = end skips what was
there; start_at = beginning records only lines inside the window."""
import os
import sys
import time

import rotlib  # noqa: E402

pt = rotlib.pt
tap = pt.Tap()
d, log = rotlib.started(tap, pt.login_line("192.0.2.30"))  # there before the first start
pt.append(log, pt.login_line("192.0.2.1") + pt.noise_line(1))
ok, t, got = rotlib.wait_ips(d, ["192.0.2.1"])
tap.ok(ok, "login recorded (%.3fs)" % t)
tap.ok("192.0.2.30" not in got, "start_at = end: a line already there is not read")
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())

rotlib.start(tap, d)
got = rotlib.login_recorded(tap, d, "192.0.2.2", "login after a restart recorded")
rotlib.exactly_once(tap, got, ["192.0.2.1", "192.0.2.2"],
                    "restart with no change: nothing read again")
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())

# same inode, new content, longer than the saved offset
ino = os.stat(log).st_ino
text = pt.login_line("192.0.2.3", user="carol") + "".join(pt.noise_line(i) for i in range(10))
assert len(text) > os.path.getsize(log)
with open(log, "r+") as f:
    f.truncate(0)
    f.write(text)
tap.ok(os.stat(log).st_ino == ino, "the file kept its inode")
rotlib.start(tap, d)
ok, t, got = rotlib.wait_ips(d, ["192.0.2.3"])
tap.ok(ok, "same inode, new first line: read from the start (%.3fs)" % t)
rotlib.exactly_once(tap, got, ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
                    "each login exactly once")
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())

# rotated while down: the old file is finished from its saved offset
# under its new name, the new one read from its start
rotlib.start(tap, d)
rotlib.login_recorded(tap, d, "192.0.2.4", "login recorded")
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())
pt.append(log, pt.login_line("192.0.2.5"))
os.rename(log, log + ".1")
pt.append(log, pt.login_line("192.0.2.6"))
rotlib.start(tap, d)
ips = ["192.0.2.%d" % i for i in range(1, 7)]
ok, t, got = rotlib.wait_ips(d, ips)
tap.ok(ok, "rotated while down: both files finished (%.3fs)" % t)
rotlib.exactly_once(tap, got, ips, "rotated while down: each login exactly once")
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())

# start_at = beginning: only lines inside the window
d = rotlib.daemon(start_at="beginning", window="30m")
now = time.time()
pt.append(d.log_file, pt.login_line("192.0.2.20", t=now - 7200) +
          pt.login_line("192.0.2.21", t=now - 60) + pt.noise_line(2))
rotlib.start(tap, d)
ok, t, got = rotlib.wait_ips(d, ["192.0.2.21"])
tap.ok(ok, "start_at = beginning: a recent login is recorded (%.3fs)" % t)
tap.ok("192.0.2.20" not in got, "start_at = beginning: a login older than the window is not")
rec = [r for r in d.dump_json() if r["ip"] == "192.0.2.21"]
tap.ok(rec and abs(rec[0]["last_seen"] - (now - 60)) <= 2,
       "a backlog login keeps its logged time", rec)
stats = d.dump("-s").stdout
tap.ok("backlog_skipped: 1" in stats, "the old login is counted as skipped", stats)
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())
tap.finish()
