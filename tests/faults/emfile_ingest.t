#!/usr/bin/python3
"""EMFILE in ingest: more log files than the fd limit allows (popgated
under prlimit --nofile). popgated keeps running and answering, follows
the files it could open, logs a bounded number of lines, never answers
OK for a client it has not seen, and once the limit of the running
ingest worker is raised (prlimit --pid) picks up the other files from
their start."""
import os
import subprocess
import sys
import time

import faultlib as fl  # noqa: E402

pt = fl.pt
tap = pt.Tap()
FILES = 40
NOFILE = 32
FAULT_SECONDS = 6
MAX_LINES = 5                # one limiter for EMFILE
dir = pt.temp_dir("popgate-fault-")
logs = [os.path.join(dir, "mail%02d.log" % i) for i in range(FILES)]
# soft limit only: raising it again needs no CAP_SYS_RESOURCE
pt.POPGATED = fl.wrap(dir, ["prlimit", "--nofile=%d:4096" % NOFILE])
d = pt.Daemon(dir, log_files=", ".join(logs), journal="no")
for p in logs:
    pt.append(p, "")
fl.start(tap, d)
pid = fl.ingest_pid(d)
tap.ok(pid is not None, "ingest worker found (pid %s)" % pid)
ips = {p: "2001:db8:e::%x" % (i + 1) for i, p in enumerate(logs)}
for p in logs:
    pt.append(p, pt.login_line(ips[p]))
EMFILE = "Too many open files"


def recorded():
    return {r["ip"] for r in d.dump_json()}


ok, t = pt.wait_until(lambda: len(recorded()) >= NOFILE // 3, 30, 0.1)
tap.ok(ok, "logins from the files it could open are recorded (%.3fs)" % t)
time.sleep(FAULT_SECONDS)
have = recorded()
tap.note("%d of %d files read under RLIMIT_NOFILE %d" % (len(have), FILES, NOFILE))
tap.ok(len(have) < FILES, "not every file could be opened")
lines = fl.log_lines(d, EMFILE)
tap.ok(1 <= len(lines) <= MAX_LINES, "EMFILE reported in %d lines over %ds"
       % (len(lines), FAULT_SECONDS), "\n".join(lines[:20]))
tap.ok(fl.running(d), "master and workers keep running", d.log()[-2000:])
fl.never_ok(tap, d, "EMFILE", [ips[p] for p in logs if ips[p] not in have] + fl.UNLISTED)
fl.wait_ok(tap, d, sorted(have)[0], "a recorded login still gets OK")

r = subprocess.run(["prlimit", "--pid", str(pid), "--nofile=1024:4096"],
                   capture_output=True, text=True)
tap.ok(r.returncode == 0, "limit of the running ingest raised", r.stderr)
ok, t = pt.wait_until(lambda: len(recorded()) >= FILES, 60, 0.1)
tap.ok(ok, "limit raised: every file is read (%.3fs)" % t,
       "%d of %d\n%s" % (len(recorded()), FILES, d.log()[-2000:]))
counts = {r["ip"]: r["count"] for r in d.dump_json()}
tap.ok(sorted(counts.values()) == [1] * FILES, "each login recorded once", counts)
tap.ok(fl.ingest_pid(d) == pid, "the same ingest worker did it (no restart)")
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log()[-2000:])
tap.finish()
