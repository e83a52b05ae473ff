"""sdlib - a real systemd 252 booted as PID 1 of a private PID + mount
namespace, for tests/systemd/*.t.

The namespace gets its own /proc, /run, /tmp and /var/tmp (boot-time
tmpfiles would otherwise empty the machine's /tmp; a source tree under
/tmp is bound back at its own path inside) and copy-on-write
overlays over /etc, /usr and /var whose upper layers live in a tmpfs of
the namespace: `make install`, systemd-sysusers, dpkg -i and journald
write there and the machine's own files never change. /dev is shared, so
the /dev/log link journald creates is removed again at the end (only when
the machine had none before). Stopped with `systemctl exit`.
"""
import atexit
import json
import os
import re
import shutil
import subprocess
import time

from popgate_test import TOP, wait_until

DEV_LOG = "/dev/log"
JOURNAL_DEV_LOG = "/run/systemd/journal/dev-log"

BOOT_SCRIPT = r'''
set -e
w="$1"
mount -t proc proc /proc
mount -t tmpfs -o mode=0755 tmpfs "$w"
for d in etc usr var; do
	mkdir -p "$w/$d.up" "$w/$d.work"
	mount -t overlay overlay \
		-o "lowerdir=/$d,upperdir=$w/$d.up,workdir=$w/$d.work" "/$d"
done
mount -t tmpfs tmpfs /run
# a private /tmp and /var/tmp; a source tree under one stays at its path
top="$2"
private_tmp() {
	mkdir -p "$w/$2"
	mount -t tmpfs tmpfs "$w/$2"
	case "$top/" in "$1"/*)
		mkdir -p "$w/$2${top#"$1"}"
		mount --bind "$top" "$w/$2${top#"$1"}";;
	esac
	mount --move "$w/$2" "$1"
}
private_tmp /tmp tmp
private_tmp /var/tmp vartmp
exec env container=other /lib/systemd/systemd --system --unit=basic.target
'''


def available():
    """None when a booted systemd can be used here, else why not"""
    if os.geteuid() != 0:
        return "needs root"
    for path in ("/lib/systemd/systemd", "/usr/bin/unshare",
                 "/usr/bin/nsenter"):
        if not os.path.exists(path):
            return "missing " + path
    return None


class Systemd:
    """one booted systemd; run() executes a command inside it"""

    def __init__(self, workdir):
        self.workdir = workdir
        self.overlay = os.path.join(workdir, "ns")
        os.makedirs(self.overlay, exist_ok=True)
        self.had_dev_log = os.path.lexists(DEV_LOG)
        self.proc = None
        self.pid = None

    def boot(self, timeout=120):
        """start systemd; returns seconds until it reported running"""
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            ["unshare", "--pid", "--fork", "--mount", "--propagation",
             "private", "sh", "-c", BOOT_SCRIPT, "sh", self.overlay,
             os.path.abspath(TOP)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        atexit.register(self.shutdown)
        ok, _ = wait_until(self._find_pid, 30, 0.05)
        if not ok:
            raise RuntimeError("no systemd process under unshare")
        ok, _ = wait_until(lambda: self.run(
            ["systemctl", "is-system-running"]).stdout.strip()
            in ("running", "degraded"), timeout, 0.1)
        if not ok:
            raise RuntimeError("systemd did not finish booting: %s" %
                               self.run(["systemctl", "list-jobs"]).stdout)
        return time.monotonic() - t0

    def _find_pid(self):
        try:
            with open("/proc/%d/task/%d/children" %
                      (self.proc.pid, self.proc.pid)) as f:
                kids = f.read().split()
        except OSError:
            return False
        for k in kids:
            try:
                with open("/proc/%s/comm" % k) as f:
                    if f.read().strip() == "systemd":
                        self.pid = int(k)
                        return True
            except OSError:
                pass
        return False

    def run(self, cmd, timeout=120, input=None):
        """CMD (a list) inside the namespace; a CompletedProcess"""
        return subprocess.run(
            ["nsenter", "-t", str(self.pid), "-m", "-p"] + list(cmd),
            capture_output=True, text=True, errors="replace",
            timeout=timeout, input=input)

    def sh(self, script, timeout=120):
        return self.run(["sh", "-c", script], timeout=timeout)

    def systemctl(self, *args, timeout=120):
        return self.run(["systemctl", "--no-pager"] + list(args),
                        timeout=timeout)

    def write(self, path, text, mode=0o644):
        """a file inside the namespace (its overlays or tmpfs)"""
        r = self.run(["sh", "-c", 'mkdir -p "$(dirname "$1")" && '
                      'cat > "$1" && chmod %o "$1"' % mode, "sh", path],
                     input=text)
        if r.returncode != 0:
            raise RuntimeError("write %s: %s" % (path, r.stderr))

    def show(self, unit, prop):
        return self.systemctl("show", "-p", prop, "--value",
                              unit).stdout.strip()

    def pids(self, name):
        """pids (in the namespace) of processes called NAME"""
        r = self.run(["pgrep", "-x", name])
        return [int(p) for p in r.stdout.split()]

    def host_path(self, path):
        """PATH inside the namespace as the machine can reach it"""
        return "/proc/%d/root%s" % (self.pid, path)

    def journal(self, *args):
        """entries as dicts (journalctl -o json)"""
        self.run(["journalctl", "--sync"])
        r = self.run(["journalctl", "--no-pager", "-o", "json"] +
                     list(args))
        out = []
        for line in r.stdout.splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def shutdown(self):
        """systemctl exit, wait; only our own processes are ever killed"""
        if self.proc is None:
            return
        if self.proc.poll() is None and self.pid:
            try:
                self.run(["systemctl", "exit"], timeout=30)
            except subprocess.TimeoutExpired:
                pass
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, 9)    # our PID 1: its namespace dies
                self.proc.wait(30)
        self.proc = None
        if not self.had_dev_log and os.path.islink(DEV_LOG) and \
                os.readlink(DEV_LOG) == JOURNAL_DEV_LOG:
            os.unlink(DEV_LOG)


def check_available(t):
    """a failed TAP line and exit when no systemd can be booted here"""
    why = available()
    if why:
        t.ok(False, "a booted systemd can be used here", why)
        t.finish()


def booted(t, name):
    """a Systemd booted for suite NAME, its work directory in the build
    tree (the namespace hides the machine's /tmp), removed at exit"""
    work = os.path.abspath(os.path.join(
        os.environ.get("POPGATE_BUILD", "build"),
        "systemd-%s.%d" % (name, os.getpid())))
    os.makedirs(work)
    atexit.register(shutil.rmtree, work, True)
    sd = Systemd(work)
    t.note("booted in %.1f s" % sd.boot())
    return sd


def make_install(sd, prefix="/usr/local"):
    """`make install` of this tree into the namespace, then what README
    says an operator runs (sysusers, tmpfiles, daemon-reload)"""
    return sd.sh('cd "%s" && make -s install PREFIX=%s >/dev/null && '
                 'systemd-sysusers && systemd-tmpfiles --create && '
                 'systemctl daemon-reload' % (TOP, prefix), timeout=300)


def installed(t, name):
    """booted(), then make install as an operator does (one TAP line)"""
    sd = booted(t, name)
    r = make_install(sd)
    t.ok(r.returncode == 0, "make install PREFIX=/usr/local, sysusers, "
         "tmpfiles, daemon-reload", r.stdout + r.stderr)
    return sd


def exposure(sd, unit):
    """systemd-analyze security: the overall exposure number"""
    r = sd.run(["systemd-analyze", "security", "--no-pager", unit])
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout)
    return (float(m.group(1)) if m else None), r.stdout


def duplicates(entries, window_us=50000):
    """messages of one popgated process that reached the journal twice
    (two copies arrive microseconds apart; a message repeated on purpose,
    one per reload, comes much later)"""
    last, dup = {}, []
    for e in entries:
        msg = e.get("MESSAGE")
        if not isinstance(msg, str) or e.get("_COMM") != "popgated":
            continue
        if e.get("_TRANSPORT") == "stdout":     # "popgated: warning: ..."
            msg = re.sub(r"^\S+: ", "", msg)
        key = (e.get("_PID"), msg)
        ts = int(e.get("__REALTIME_TIMESTAMP", "0"))
        if key in last and ts - last[key] < window_us:
            dup.append(msg)
        last[key] = ts
    return dup


def percentile(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]
