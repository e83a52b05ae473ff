"""hostilelib - what the hostile-client suites (tests/hostile/*.t) share on
top of servelib.py: a daemon listening on a unix socket and on
inet:127.0.0.1 at once, a raised fd limit, the well-behaved client that
runs beside the load (checker.py, in its own process so the load cannot
starve it), non-blocking socket crowds, and the serve worker's memory."""

import json
import os
import re
import resource
import select
import subprocess
import sys
import time

from servelib import pt, add, serve_pid, proc_status, crash_free, LISTED, UNLISTED  # noqa: E402,F401


def raise_nofile(want):
    """raise the soft fd limit (inherited by the daemon we spawn); returns
    the limit now in force"""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    new = min(max(soft, want), hard)
    if new != soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    return new


def start_daemon(tmp=None, **settings):
    """popgated -v with a unix and an inet policy listener, files in TMP
    (a new temp dir by default); (daemon, [unix endpoint, inet endpoint],
    serve pid)"""
    tmp = tmp or pt.temp_dir()
    eps = ["unix:" + os.path.join(tmp, "policy.sock"), "inet:127.0.0.1:%d" % pt.free_port()]
    d = pt.Daemon(tmp, policy_listen=", ".join(eps), **settings)
    for path in d.settings["log_files"].split(","):
        if os.path.isdir(os.path.dirname(path.strip())):
            pt.append(path.strip(), "")     # follow a file, not the journal
    d.start(args=["-v"])
    add(d, LISTED)
    return d, eps, serve_pid(d)


def memory(pid):
    """(VmHWM, VmRSS) of PID in KiB, (0, 0) if it is gone"""
    st = proc_status(pid)
    return tuple(int(st.get(k, "0 kB").split()[0]) for k in ("VmHWM", "VmRSS"))


def fd_count(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return -1


def is_asan(pid):
    try:
        with open("/proc/%d/maps" % pid) as f:
            return "libasan" in f.read()
    except OSError:
        return False


def build_kind(pid):
    return "ASan" if is_asan(pid) else "normal"


def connect_nb(ep, deadline=30.0):
    """a connected non-blocking socket; retries while a unix backlog is full"""
    end = time.monotonic() + deadline
    while True:
        try:
            s = pt.connect_endpoint(ep, 30)
            s.setblocking(False)
            return s
        except (BlockingIOError, ConnectionRefusedError):
            if time.monotonic() > end:
                raise
            time.sleep(0.002)


def short_request(ip):
    return b"request=smtpd_access_policy\nclient_address=%s\n\n" % ip.encode()


def answers(data):
    """the actions of a reply stream, in order"""
    return [b.decode(errors="replace")[len("action="):]
            for b in data.split(b"\n\n") if b.startswith(b"action=")]


def recv_all(s, limit=1 << 20):
    """everything readable now on non-blocking S: (bytes, closed)"""
    got = b""
    while len(got) < limit:
        try:
            c = s.recv(65536)
        except (BlockingIOError, InterruptedError):
            return got, False
        except OSError:
            return got, True
        if not c:
            return got, True
        got += c
    return got, False


class Checker:
    """checker.py in its own process: a well-behaved client asking for
    LISTED (want OK) and UNLISTED (want DUNNO) on every endpoint, on kept
    and on fresh connections, checking every answer. mark() returns the
    counts since the previous mark."""

    def __init__(self, eps):
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(pt.TOP, "tests/hostile/checker.py"), LISTED, UNLISTED] + eps,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.mark("start")

    def mark(self, name, timeout=60):
        self.proc.stdin.write(name + "\n")
        self.proc.stdin.flush()
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if r else ""
        return json.loads(line) if line else {"dead": True}

    def stop(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def checker_ok(t, stats, phase, refusals_expected=False):
    """TAP lines for one checker period: every answer right, answers came"""
    t.ok(not stats.get("dead") and stats.get("wrong", 1) == 0,
         "%s: well-behaved client never got a wrong answer (%d OK, %d DUNNO checked)"
         % (phase, stats.get("ok", 0), stats.get("dunno", 0)), json.dumps(stats))
    t.ok(stats.get("ok", 0) > 0 and stats.get("dunno", 0) > 0,
         "%s: well-behaved client kept getting answers" % phase, json.dumps(stats))
    failures = stats.get("failed", 0)
    if not refusals_expected:
        t.ok(failures == 0, "%s: no connection of the well-behaved client failed" % phase,
             json.dumps(stats))
    t.note("%s: checker %d answers, max latency %.3fs, %d connection failures"
           % (phase, stats.get("ok", 0) + stats.get("dunno", 0),
              stats.get("max_latency", 0), failures))


def report_memory(t, pid, phase):
    hwm, rss = memory(pid)
    t.note("%s: serve worker (%s build) VmHWM %d kB, VmRSS %d kB, %d fds"
           % (phase, build_kind(pid), hwm, rss, fd_count(pid)))
    return hwm


def pids_in_log(d, name):
    return [int(p) for p in re.findall(r"started %s worker, pid (\d+)" % name, d.log())]
