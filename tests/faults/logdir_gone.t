#!/usr/bin/python3
"""The directory of the followed log file is deleted (rm -r) and created
again, twice, also while the daemon is down: popgated keeps running,
watches the directory again when it comes back, reads the new file from
its start, logs no flood of lines meanwhile, and never answers OK for a
client it has not seen."""
import os
import shutil
import sys
import time

import faultlib as fl  # noqa: E402

pt = fl.pt
tap = pt.Tap()
FAULT_SECONDS = 5
MAX_LINES = 5
dir = pt.temp_dir("popgate-fault-")
logdir = os.path.join(dir, "log")
log = os.path.join(logdir, "mail.log")
d = pt.Daemon(dir, log_files=log, journal="no")
os.mkdir(logdir)
pt.append(log, "")
fl.start(tap, d)

pt.append(log, pt.login_line("192.0.2.1"))
fl.wait_ok(tap, d, "192.0.2.1", "login in the first directory")
lines_before = len(d.log().splitlines())
for round in (1, 2):
    ip = "192.0.2.%d" % (round + 10)
    shutil.rmtree(logdir)
    time.sleep(FAULT_SECONDS)
    tap.ok(fl.running(d), "round %d: master and workers keep running without the "
           "directory" % round, d.log()[-2000:])
    fl.never_ok(tap, d, "round %d, directory gone" % round)
    new = d.log().splitlines()[lines_before:]
    tap.ok(len(new) <= MAX_LINES, "round %d: %d lines logged over %ds without the directory"
           % (round, len(new), FAULT_SECONDS), "\n".join(new))
    os.mkdir(logdir)
    pt.append(log, pt.login_line(ip))
    fl.wait_ok(tap, d, ip, "round %d: a login in the recreated directory is read" % round)
    lines_before = len(d.log().splitlines())

# deleted and recreated while the daemon is down
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log()[-2000:])
shutil.rmtree(logdir)
fl.start(tap, d)
time.sleep(1)
os.mkdir(logdir)
pt.append(log, pt.login_line("192.0.2.20"))
fl.wait_ok(tap, d, "192.0.2.20", "directory missing at start: read once it exists")
counts = {r["ip"]: r["count"] for r in d.dump_json()}
want = {"192.0.2.1": 1, "192.0.2.11": 1, "192.0.2.12": 1, "192.0.2.20": 1}
tap.ok(counts == want, "each login recorded once", counts)
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log()[-2000:])
tap.finish()
