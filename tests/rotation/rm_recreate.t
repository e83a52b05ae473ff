#!/usr/bin/python3
"""The log file is deleted and created again; and a log file or its
directory missing at start appears later (tailer rules 2 and 6)."""
import os
import sys

import rotlib  # noqa: E402

pt = rotlib.pt
tap = pt.Tap()
d, log = rotlib.started(tap)
rotlib.login_recorded(tap, d, "192.0.2.1", "login before rm recorded")
os.unlink(log)
got = rotlib.login_recorded(tap, d, "192.0.2.2", "login in the re-created file recorded")
rotlib.exactly_once(tap, got, ["192.0.2.1", "192.0.2.2"], "rm + recreate: each login exactly once")
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())

# a missing file and a missing directory at start
dir = pt.temp_dir("popgate-rot-")
plain = os.path.join(dir, "mail.log")
deep = os.path.join(dir, "a", "b", "mail.log")
d = pt.Daemon(dir, log_files="%s, %s" % (plain, deep))
rotlib.start(tap, d)
rotlib.login_recorded(tap, d, "192.0.2.3",
                      "file missing at start: login recorded once it appears", path=plain)
os.makedirs(os.path.dirname(deep))
pt.append(deep, pt.login_line("192.0.2.4") + pt.login_line("192.0.2.5"))
ok, t, got = rotlib.wait_ips(d, ["192.0.2.4", "192.0.2.5"])
tap.ok(ok, "directory missing at start: logins recorded once it appears (%.3fs)" % t)
rotlib.exactly_once(tap, got, ["192.0.2.%d" % i for i in (3, 4, 5)], "each login exactly once")
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())
tap.finish()
