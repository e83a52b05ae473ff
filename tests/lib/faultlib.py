"""faultlib - what the fault-injection suites share: popgated started
through a wrapper (without the DAC-override capabilities, in a private
mount namespace, under a low RLIMIT_NOFILE), the worker that does the
ingest, counting the daemon's own log lines, and the check that an
unlisted client never gets OK. Only loopback traffic."""

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

import popgate_test as pt  # noqa: E402

NO_DAC = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
          "--bounding-set=-dac_override,-dac_read_search"]
POPGATED = pt.POPGATED      # the real binary, whatever pt.POPGATED is set to
UNLISTED = ["192.0.2.250", "198.51.100.250", "2001:db8:ffff::1"]


def skip_all(tap, why):
    print("ok 1 # skip " + why, flush=True)
    tap.finish()


def need_root(tap, namespace=False):
    """skip the suite unless root (and unshare -m works, if NAMESPACE)"""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        skip_all(tap, "needs root and setpriv")
    if namespace and (not shutil.which("unshare") or
                      subprocess.run(["unshare", "-m", "true"]).returncode != 0):
        skip_all(tap, "needs unshare -m")


def wrap(dir, prefix=(), setup=""):
    """a script that runs popgated under PREFIX (argv list), after the
    shell commands SETUP in a private mount namespace when SETUP is given;
    returns its path (set pt.POPGATED to it)"""
    cmd = " ".join(shlex.quote(a) for a in list(prefix) + [POPGATED])
    fd, path = tempfile.mkstemp(prefix="popgated-", dir=dir)
    os.close(fd)
    with open(path, "w") as f:
        if setup:
            f.write("#!/bin/sh\nexec unshare -m --propagation private sh -c %s sh \"$@\"\n"
                    % shlex.quote("%s && exec %s \"$@\"" % (setup, cmd)))
        else:
            f.write("#!/bin/sh\nexec %s \"$@\"\n" % cmd)
    os.chmod(path, 0o755)
    return path


def daemon(tap, prefix=(), setup="", **settings):
    """a pt.Daemon in a fresh temp dir whose popgated runs through wrap()"""
    dir = pt.temp_dir("popgate-fault-")
    if prefix or setup:
        pt.POPGATED = wrap(dir, prefix, setup)
    return pt.Daemon(dir, **settings)


def start(tap, d, **kw):
    try:
        d.start(**kw)
        return True
    except RuntimeError as e:
        tap.ok(False, "popgated starts", str(e)[-3000:])
        tap.finish()


def log_lines(d, pattern):
    """the daemon's stderr lines matching the regular expression PATTERN"""
    rx = re.compile(pattern)
    return [line for line in d.log().splitlines() if rx.search(line)]


def ingest_pid(d):
    """the worker holding an inotify fd (ingest), or None"""
    for pid in d.children():
        try:
            for fd in os.listdir("/proc/%d/fd" % pid):
                if "inotify" in os.readlink("/proc/%d/fd/%s" % (pid, fd)):
                    return pid
        except OSError:
            continue
    return None


def running(d):
    """the master and both workers are alive"""
    return d.proc.poll() is None and len(d.children()) >= 2


def never_ok(tap, d, desc, ips=UNLISTED):
    """no unlisted client gets OK (an error or no answer is fine)"""
    answers = {}
    for ip in ips:
        try:
            answers[ip] = d.policy(ip, timeout=10)
        except OSError as e:
            answers[ip] = "error: %s" % e
    return tap.ok(all(a != "OK" for a in answers.values()),
                  "%s: no OK for an unlisted client" % desc, answers)


def wait_ok(tap, d, ip, desc, timeout=30):
    """the policy answer for IP becomes OK"""
    def answer():
        try:
            return d.policy(ip, timeout=5) == "OK"
        except OSError:
            return False
    ok, t = pt.wait_until(answer, timeout, 0.05)
    return tap.ok(ok, "%s (%.3fs)" % (desc, t), d.log()[-2000:])
