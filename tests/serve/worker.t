#!/usr/bin/python3
"""worker.t - the serve worker as a process: restarted by the master after
SIGKILL, runs as the configured user with no way back (when the tests run
as root), keeps the old configuration on a HUP with a bad one, picks up a
good one, and exits when the master dies."""

import os
import pwd
import signal
import subprocess
import sys
import time

from servelib import pt, add, serve_pid, proc_status, sanitizer_clean, LISTED, UNLISTED  # noqa: E402

TEST_USER = "popgate-test"
t = pt.Tap()
tmp = pt.temp_dir()
os.chmod(tmp, 0o755)    # the unprivileged worker must reach the database


def ensure_user():
    """the system user for the privilege test, created when missing"""
    try:
        return pwd.getpwnam(TEST_USER)
    except KeyError:
        pass
    subprocess.run(["useradd", "--system", "--no-create-home", "--user-group",
                    "--shell", "/usr/sbin/nologin", TEST_USER],
                   capture_output=True)
    try:
        return pwd.getpwnam(TEST_USER)
    except KeyError:
        return None


pw = ensure_user() if os.geteuid() == 0 else None
settings = {"user": TEST_USER} if pw else {}
d = pt.Daemon(tmp, **settings)
d.start(args=["-v"])
add(d, LISTED)
pid = serve_pid(d)
t.ok(pid is not None and d.policy(LISTED) == "OK", "daemon answers, serve worker pid %s" % pid)

# --- privilege drop ---
if pw:
    st = proc_status(pid)
    uids = st.get("Uid", "").split()
    gids = st.get("Gid", "").split()
    t.ok(uids == [str(pw.pw_uid)] * 4, "worker runs as %s (Uid %s)" % (TEST_USER, st.get("Uid")))
    t.ok(gids == [str(pw.pw_gid)] * 4, "worker has the user's group (Gid %s)" % st.get("Gid"))
    t.ok(st.get("Groups", "").strip() == "", "no supplementary groups (%r)" % st.get("Groups"))
    t.ok(st.get("NoNewPrivs", "").strip() == "1", "NoNewPrivs is set")
else:
    t.ok(True, "privilege drop # SKIP not running as root")
# the master did not drop
t.ok(proc_status(d.proc.pid).get("Uid", "").split()[:1] == [str(os.geteuid())],
     "master keeps its own uid")

# --- SIGKILL: the master restarts the worker ---
os.kill(pid, signal.SIGKILL)
start = time.monotonic()


def restarted():
    p = serve_pid(d, timeout=0.1)
    if p is None or p == pid:
        return None
    try:
        return p if d.policy(LISTED, timeout=2) == "OK" else None
    except OSError:
        return None


new, elapsed = pt.wait_until(restarted, 60, 0.05)
t.ok(new, "serve worker killed with SIGKILL is restarted and answers OK")
t.note("answering again %.2fs after SIGKILL (new pid %s)" % (elapsed, new))
pid = new or pid

# --- HUP with a bad configuration keeps the old one ---
with open(d.conf) as f:
    good = f.read()
with open(d.conf, "a") as f:
    f.write("no_such_key = 1\n")
d.hup()
logged, elapsed = pt.wait_until(lambda: "keeping the running configuration" in d.log(), 30, 0.05)
t.ok(logged, "bad configuration on HUP logged and rejected")
t.ok(":%d:" % (good.count("\n") + 1) in d.log(), "rejection names FILE:LINE")
t.ok(d.policy(LISTED) == "OK" and d.policy(UNLISTED) == "DUNNO", "old configuration still answers")

# --- HUP with a good one: new policy_action ---
with open(d.conf, "w") as f:
    f.write(good + "policy_action = PERMIT\n")
d.hup()
ok, elapsed = pt.wait_until(lambda: d.try_policy(LISTED) == "PERMIT", 30, 0.05)
t.ok(ok, "good configuration on HUP: policy_action PERMIT in force")
t.note("new configuration answering %.2fs after HUP" % elapsed)
t.ok(d.policy(UNLISTED) == "DUNNO", "unlisted still DUNNO after reload")
pid = serve_pid(d)

# --- the master dies: the worker exits ---
os.kill(d.proc.pid, signal.SIGKILL)
d.proc.wait()


def gone():
    st = proc_status(pid)
    return not st or st.get("State", "").startswith("Z")


ok, elapsed = pt.wait_until(gone, 30, 0.05)
t.ok(ok, "serve worker exits when the master is killed")
t.note("worker gone %.2fs after the master" % elapsed)
for p in [pid] + d.children():
    try:
        os.kill(p, signal.SIGKILL)
    except OSError:
        pass
t.ok(sanitizer_clean(d), "no sanitizer report", d.log())
t.finish()
