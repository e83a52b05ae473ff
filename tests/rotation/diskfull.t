#!/usr/bin/python3
"""A commit that fails (database on a full file system) loses nothing:
the batch is kept and retried, the files are not read further meanwhile,
and once there is room every login is recorded exactly once. The
database lives on a 4 MiB tmpfs in a private mount namespace."""
import json
import os
import shutil
import subprocess
import sys

import rotlib  # noqa: E402

pt = rotlib.pt
tap = pt.Tap()
N = 3000
if os.geteuid() != 0 or not shutil.which("unshare") or \
        subprocess.run(["unshare", "-m", "true"]).returncode != 0:
    print("ok 1 # skip needs root and unshare -m")
    tap.finish()

dir = pt.temp_dir("popgate-rot-")
dbdir = os.path.join(dir, "db")
os.mkdir(dbdir)
wrapper = os.path.join(dir, "popgated-on-tmpfs")
with open(wrapper, "w") as f:
    f.write('#!/bin/sh\nexec unshare -m sh -c \'mount -t tmpfs -o size=4m tmpfs "%s" '
            '&& exec "$0" "$@"\' "%s" "$@"\n' % (dbdir, pt.POPGATED))
os.chmod(wrapper, 0o755)
pt.POPGATED = wrapper
d = pt.Daemon(dir, database=os.path.join(dbdir, "popgate.lmdb"))
pt.append(d.log_file, "")
rotlib.start(tap, d)
inside = "/proc/%d/root%s" % (d.proc.pid, dbdir)   # the tmpfs, seen from here
db = os.path.join(inside, "popgate.lmdb")


def counts():
    r = subprocess.run([pt.POPGATE_DUMP, "-d", db, "-j", "-a"], capture_output=True, text=True)
    rows = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    return {row["ip"]: row["count"] for row in rows}


filler = os.path.join(inside, "filler")
try:
    with open(filler, "wb") as f:
        while True:
            f.write(b"\0" * 65536)
            f.flush()
except OSError:
    pass
ips = ["2001:db8:5::%x" % (i + 1) for i in range(N)]
pt.append(d.log_file, "".join(pt.login_line(ip) for ip in ips))
ok, t = pt.wait_until(lambda: "cannot commit" in d.log(), 30)
tap.ok(ok, "the failed commit is logged (%.3fs)" % t, d.log()[-2000:])
tap.ok(len(counts()) < N, "not everything could be stored")
tap.ok(d.proc.poll() is None, "popgated keeps running")
os.unlink(filler)
ok, t = pt.wait_until(lambda: len(counts()) >= N, 60, 0.1)
tap.ok(ok, "once there is room all %d logins are stored (%.3fs)" % (N, t))
rotlib.exactly_once(tap, counts(), ips, "each login exactly once")
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())
tap.finish()
