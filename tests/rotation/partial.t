#!/usr/bin/python3
"""A login line written in two pieces is recorded once, only when its
newline arrives (tailer rule 1)."""
import os
import sys
import time

import rotlib  # noqa: E402

pt = rotlib.pt
tap = pt.Tap()
d, _ = rotlib.started(tap, pt.noise_line(1))

line = pt.login_line("192.0.2.10", user="bob")
cut = line.index("lip=")
pt.append(d.log_file, pt.login_line("192.0.2.11") + line[:cut])
ok, t, got = rotlib.wait_ips(d, ["192.0.2.11"])
tap.ok(ok, "the complete line before the partial one is recorded (%.3fs)" % t)
time.sleep(0.3)
tap.ok("192.0.2.10" not in rotlib.counts(d), "a partial line is not recorded")
pt.append(d.log_file, line[cut:])
ok, t, got = rotlib.wait_ips(d, ["192.0.2.10"])
tap.ok(ok, "the line is recorded once its newline arrives (%.3fs)" % t)
rotlib.exactly_once(tap, got, ["192.0.2.10", "192.0.2.11"], "each login exactly once")
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())
tap.finish()
