#!/usr/bin/env python3
"""sandbox.t - the master under the shipped unit's capability set (no
CAP_KILL), started with setpriv outside systemd: the serve worker runs as
another user, yet HUP replaces it (the new policy_action is answered) and
TERM ends every process, because the master commands its workers through
their pipes. Also popgated without -f: the parent returns only when a
policy query is answered, and exits non-zero when start-up fails; and the
quiet check -nq."""
import os
import re
import signal
import subprocess
import time

from popgate_test import (Tap, Daemon, temp_dir, wait_until,
                          POPGATED, TOP)

CAP_KILL = 5
t = Tap()
unit = open(os.path.join(TOP, "contrib", "popgated.service")).read()
caps = re.search(r"^CapabilityBoundingSet=(.*)$", unit, re.M).group(1).split()
bset = "-all," + ",".join("+" + c[4:].lower() for c in caps)
t.ok("CAP_KILL" not in caps, "the shipped unit's bounding set: %s" % bset)


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


class Sandboxed(Daemon):
    def start(self, ready=True, timeout=30, args=()):
        err = open(self.err_path, "a")
        self.proc = subprocess.Popen(
            ["setpriv", "--bounding-set", bset, POPGATED, "-f", "-c",
             self.conf], stdout=err, stderr=subprocess.STDOUT,
            start_new_session=True)
        err.close()
        if ready and not self.wait_ready(timeout):
            raise RuntimeError("not ready:\n" + self.log())
        return self


d = Sandboxed(temp_dir(), user="nobody")
os.chmod(d.dir, 0o755)      # the serve worker (nobody) opens the database
d.start()
with open("/proc/%d/status" % d.proc.pid) as f:
    capbnd = int(re.search(r"CapBnd:\s*([0-9a-f]+)", f.read()).group(1), 16)
t.ok(not capbnd & (1 << CAP_KILL), "master runs without CAP_KILL "
     "(CapBnd %x)" % capbnd)
workers = d.children()
users = sorted(subprocess.run(["ps", "-o", "user=", "-p", ",".join(
    map(str, workers))], capture_output=True, text=True).stdout.split())
t.ok(users == ["nobody", "root"], "serve worker is another user: %s" % users)
d.dump("-t", "192.0.2.5")
t.ok(d.wait_action("192.0.2.5", "OK", 30) is not None, "listed: OK")

d.settings["policy_action"] = "PREPEND X-Popgate: sandboxed"
d.write_config()
t0 = time.monotonic()
d.hup()
el = d.wait_action("192.0.2.5", "PREPEND X-Popgate: sandboxed", 30)
t.ok(el is not None, "HUP without CAP_KILL: the new serve worker answers "
     "the new action (%.2f s)" % (time.monotonic() - t0), d.log())
t.ok(wait_until(lambda: not any(pid_alive(p) for p in workers), 30)[0],
     "both old workers (one of them another user) are gone after the reload")

workers = d.children()
t0 = time.monotonic()
d.signal(signal.SIGTERM)
try:
    rc = d.proc.wait(30)
except subprocess.TimeoutExpired:
    rc = None
el = time.monotonic() - t0
ok, _ = wait_until(lambda: not any(pid_alive(p) for p in workers), 30)
t.ok(rc == 0 and ok, "TERM without CAP_KILL: master exits 0 and every "
     "process is gone after %.2f s" % el, d.log())
t.ok("did not stop" not in d.log() and "still running" not in d.log(),
     "no worker needed more than the stop request", d.log())

# without -f: the parent stays until start-up is over
d2 = Daemon(temp_dir())
t0 = time.monotonic()
r = subprocess.run([POPGATED, "-c", d2.conf], capture_output=True,
                   text=True, timeout=60)
answer = d2.try_policy("192.0.2.9")    # once: exit 0 means ready
t.ok(r.returncode == 0 and answer == "DUNNO",
     "popgated without -f exits 0 only when a policy query is answered "
     "(%.2f s, %r)" % (time.monotonic() - t0, answer), r.stderr)
pids = subprocess.run(["pgrep", "-f", "-x", "%s -c %s" % (POPGATED, d2.conf)],
                      capture_output=True, text=True).stdout.split()
master = min(int(p) for p in pids) if pids else None
if master:
    os.kill(master, signal.SIGTERM)
    t.ok(wait_until(lambda: not pid_alive(master), 30)[0],
         "the daemonized master stops on TERM")

# start-up failure: the listener's path is taken by a regular file
d3 = Daemon(temp_dir())
open(d3.policy_endpoint()[5:], "w").close()
r = subprocess.run([POPGATED, "-c", d3.conf], capture_output=True,
                   text=True, timeout=60)
t.ok(r.returncode != 0 and "not a socket" in r.stderr,
     "start-up failure: the waiting parent exits %d and says why: %r" %
     (r.returncode, r.stderr.strip()[-200:]))

# the quiet check for ExecStartPre
r = subprocess.run([POPGATED, "-nq", "-c", d3.conf], capture_output=True,
                   text=True)
t.ok(r.returncode == 0 and r.stdout == "" and r.stderr == "",
     "-nq prints nothing for a good configuration")
with open(d3.conf, "a") as f:
    f.write("no_such_key = 1\n")
r = subprocess.run([POPGATED, "-n", "-q", "-c", d3.conf],
                   capture_output=True, text=True)
t.ok(r.returncode == 1 and r.stdout == "" and
     re.match(r"^\S+:\d+: ", r.stderr),
     "-n -q on a bad one: FILE:LINE: message, exit 1: %r" % r.stderr.strip())
t.finish()
