#!/usr/bin/python3
"""The ingest worker exits when the master is gone (its pipe hangs up),
and SIGTERM makes it commit and exit 0."""
import os
import signal
import sys

import rotlib  # noqa: E402

pt = rotlib.pt
tap = pt.Tap()
d, _ = rotlib.started(tap)
rotlib.login_recorded(tap, d, "192.0.2.1", "login recorded")


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


workers = d.children()
tap.ok(len(workers) == 2, "two workers running", workers)
os.kill(d.proc.pid, signal.SIGKILL)     # the master only
d.proc.wait()
ok, t = pt.wait_until(lambda: not any(alive(p) for p in workers), 10)
tap.ok(ok, "the workers exit when the master is killed (%.3fs)" % t,
       [p for p in workers if alive(p)])
for p in workers:
    if alive(p):
        os.kill(p, signal.SIGKILL)
tap.finish()
