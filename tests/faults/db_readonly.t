#!/usr/bin/python3
"""The database directory turns read-only (a read-only bind mount stacked
on it in popgated's private mount namespace) and the ingest worker dies:
its restarts fail, the master keeps them backed off and keeps serving
what is recorded, no unlisted client gets OK, and once the mount is gone
ingest comes back and records the logins written meanwhile. A daemon
started on a read-only database directory exits 1 with a message."""
import os
import signal
import subprocess
import sys
import time

import faultlib as fl  # noqa: E402

pt = fl.pt
tap = pt.Tap()
fl.need_root(tap, namespace=True)
FAULT_SECONDS = 6
MAX_RESTARTS = 8            # back-off 0.1 s doubling: 7 tries in 6 s at most
dir = pt.temp_dir("popgate-fault-")
dbdir = os.path.join(dir, "db")
os.mkdir(dbdir)
pt.POPGATED = fl.wrap(dir, setup="mount --bind %s %s" % (dbdir, dbdir))
d = pt.Daemon(dir, database=os.path.join(dbdir, "popgate.lmdb"), journal="no")
pt.append(d.log_file, "")
fl.start(tap, d)


def in_namespace(cmd):
    return subprocess.run(["nsenter", "-t", str(d.proc.pid), "-m", "sh", "-c", cmd],
                          capture_output=True, text=True)


pt.append(d.log_file, pt.login_line("192.0.2.1"))
fl.wait_ok(tap, d, "192.0.2.1", "login recorded before the fault")
r = in_namespace("mount --bind %s %s && mount -o remount,bind,ro %s" % (dbdir, dbdir, dbdir))
tap.ok(r.returncode == 0, "read-only mount stacked on the database directory", r.stderr)
pid = fl.ingest_pid(d)
lines_before = len(d.log().splitlines())
os.kill(pid, signal.SIGKILL)
pt.append(d.log_file, pt.login_line("192.0.2.2"))
time.sleep(FAULT_SECONDS)
new = d.log().splitlines()[lines_before:]
fails = [line for line in new if "ingest worker" in line and "exited" in line]
tap.note("during the fault: %d ingest restarts failed, %d lines logged" % (len(fails), len(new)))
tap.ok(1 <= len(fails) <= MAX_RESTARTS, "ingest restarts are backed off (%d in %ds)"
       % (len(fails), FAULT_SECONDS), "\n".join(new[-30:]))
tap.ok(any("Read-only" in line for line in new), "the cause is logged",
       "\n".join(new[-30:]))
tap.ok(d.proc.poll() is None, "the master keeps running", d.log()[-2000:])
fl.wait_ok(tap, d, "192.0.2.1", "the recorded login still gets OK")
fl.never_ok(tap, d, "database read-only", ["192.0.2.2"] + fl.UNLISTED)

r = in_namespace("umount %s" % dbdir)
tap.ok(r.returncode == 0, "read-only mount removed", r.stderr)
fl.wait_ok(tap, d, "192.0.2.2", "ingest back: the login written meanwhile is recorded", 60)
counts = {r["ip"]: r["count"] for r in d.dump_json()}
tap.ok(counts == {"192.0.2.1": 1, "192.0.2.2": 1}, "each login recorded once", counts)
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log()[-2000:])

# read-only from the start: a clear error, exit 1, no hang
pt.POPGATED = fl.wrap(dir, setup="mount --bind -o ro %s %s" % (dbdir, dbdir))
for db in ("popgate.lmdb", "missing.lmdb"):
    d2 = pt.Daemon(pt.temp_dir("popgate-fault-"), database=os.path.join(dbdir, db),
                   journal="no")
    d2.start(ready=False)
    try:
        rc = d2.proc.wait(60)
    except subprocess.TimeoutExpired:
        rc = None
    tap.ok(rc == 1, "%s on a read-only directory at start: exit 1 (%s)" % (db, rc),
           d2.log()[-2000:])
    tap.ok(dbdir in d2.log(), "  the message names the database", d2.log()[-2000:])
tap.finish()
