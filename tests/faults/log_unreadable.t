#!/usr/bin/python3
"""A log file the daemon may not read (mode 000, popgated without
CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH), at start and after a rotation:
popgated keeps running and answering, says so in a few rate-limited
lines, never answers OK for a client it has not seen, and reads the file
once its mode is fixed."""
import os
import sys
import time

import faultlib as fl  # noqa: E402

pt = fl.pt
tap = pt.Tap()
fl.need_root(tap)
FAULT_SECONDS = 6           # three periodic scans, several retries
MAX_LINES = 1               # once per failing spell
d = fl.daemon(tap, prefix=fl.NO_DAC, start_at="beginning", journal="no")
log = d.log_file
DENIED = "cannot open.*Permission denied"

# 1. unreadable from the start
pt.append(log, pt.login_line("192.0.2.1"))
os.chmod(log, 0)
fl.start(tap, d)
ok, t = pt.wait_until(lambda: fl.log_lines(d, DENIED), 30)
tap.ok(ok, "the unreadable file is reported (%.3fs)" % t, d.log()[-2000:])
pt.append(log, pt.login_line("192.0.2.2"))
time.sleep(FAULT_SECONDS)
lines = fl.log_lines(d, DENIED)
tap.ok(1 <= len(lines) <= MAX_LINES, "reported once (%d lines over %ds), not once per retry"
       % (len(lines), FAULT_SECONDS), "\n".join(lines))
tap.ok(fl.running(d), "master and workers keep running", d.log()[-2000:])
fl.never_ok(tap, d, "file unreadable", ["192.0.2.1", "192.0.2.2"] + fl.UNLISTED)
os.chmod(log, 0o640)
fl.wait_ok(tap, d, "192.0.2.2", "mode fixed: the file is read")
fl.wait_ok(tap, d, "192.0.2.1", "  from its beginning")

# 2. the file created by a rotation is unreadable (count the reports
# before the rotation: the daemon may report the new file at once)
before = len(fl.log_lines(d, DENIED))
os.rename(log, log + ".1")
os.close(os.open(log, os.O_CREAT | os.O_WRONLY, 0))  # born unreadable
ok, t = pt.wait_until(lambda: len(fl.log_lines(d, DENIED)) > before, 30)
tap.ok(ok, "the unreadable new file is reported (%.3fs)" % t, d.log()[-2000:])
pt.append(log, pt.login_line("192.0.2.3"))
time.sleep(FAULT_SECONDS)
new = len(fl.log_lines(d, DENIED)) - before
tap.ok(1 <= new <= MAX_LINES, "reported once (%d lines over %ds)" % (new, FAULT_SECONDS))
tap.ok(fl.running(d), "master and workers keep running", d.log()[-2000:])
fl.never_ok(tap, d, "new file unreadable", ["192.0.2.3"] + fl.UNLISTED)
os.chmod(log, 0o640)
fl.wait_ok(tap, d, "192.0.2.3", "mode fixed: the new file is read")
counts = {r["ip"]: r["count"] for r in d.dump_json()}
tap.ok(counts == {"192.0.2.1": 1, "192.0.2.2": 1, "192.0.2.3": 1},
       "each login recorded once", counts)
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log()[-2000:])

# 3. a file that exists at start but cannot be opened is read, once it
# can be, as backlog: a login logged hours ago (outside the window) must
# not authorize now.
d = fl.daemon(tap, prefix=fl.NO_DAC, journal="no", window="30m")
pt.append(d.log_file, pt.login_line("192.0.2.40", t=time.time() - 7200))
os.chmod(d.log_file, 0)
fl.start(tap, d)
pt.wait_until(lambda: fl.log_lines(d, DENIED), 30)
os.chmod(d.log_file, 0o640)
pt.append(d.log_file, pt.login_line("192.0.2.41"))
fl.wait_ok(tap, d, "192.0.2.41", "unreadable at start, then fixed: a new login is read")
tap.ok(d.policy("192.0.2.40") != "OK", "a login from 2 h ago (window 30m) gets no OK")
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log()[-2000:])
tap.finish()
