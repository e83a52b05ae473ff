"""benchlib.py - what bench.py's sections share: running the C bench
programs, BENCH result lines, private popgated instances in temp dirs
(killed and removed on every exit path), policy probes and RSS sums.
Benchmark code only; never used by make test."""

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(BUILD, "bench")
LOG = os.path.join(OUT, "mail.log")
POPGATED = os.path.join(BUILD, "popgated")
DUMP = os.path.join(BUILD, "popgate-dump")
TRIVIAL = os.path.join(BUILD, "tests", "bin", "trivial_policy")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
POLICY_SECONDS = float(os.environ.get("BENCH_POLICY_SECONDS", "3"))
SCALE_ENTRIES = int(os.environ.get("BENCH_SCALE_ENTRIES", "1000000"))

RESULTS = []		# (name, value, goal text)
NOTES = []		# what limits each figure
PROCS = []


def prog(name):
    return os.path.join(OUT, name)


def bench(name, value, goal=""):
    RESULTS.append((name, value, goal))
    print("BENCH %s %s" % (name, value), flush=True)


def say(text=""):
    print(text, flush=True)


def run_kv(args, env=None, check=True):
    """run a bench program; its last stdout line as a dict of key=value"""
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, env=env)
    lines = p.stdout.strip().splitlines()
    if (check and p.returncode != 0) or not lines:
        raise RuntimeError("%s failed (%d): %s %s" % (
            " ".join(args), p.returncode, p.stdout[-500:], p.stderr[-500:]))
    out = {}
    for field in lines[-1].split():
        key, _, val = field.partition("=")
        out[key] = float(val) if val.replace(".", "", 1).isdigit() else val
    return out


def best_of(fn, rounds=ROUNDS):
    """the run with the smallest 'seconds' (the least disturbed one)"""
    runs = [fn() for _ in range(rounds)]
    return min(runs, key=lambda r: r["seconds"])


# ---- processes and temp dirs --------------------------------------------

def cleanup():
    for p in PROCS:
        stop(p, grace=5)


atexit.register(cleanup)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))


def temp_dir():
    d = tempfile.mkdtemp(prefix="popgate-bench-")
    atexit.register(shutil.rmtree, d, True)
    return d


def start(args, **kw):
    p = subprocess.Popen(args, **kw)
    PROCS.append(p)
    return p


def stop(p, grace=10):
    """TERM P if it still runs; KILL it after GRACE seconds"""
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def policy_answer(path, ip="192.0.2.250"):
    """one policy question over unix socket PATH; the answer or None"""
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        s.connect(path)
        s.sendall(("request=smtpd_access_policy\nprotocol_state=RCPT\n"
                   "client_address=%s\n\n" % ip).encode())
        data = b""
        while b"\n\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        return data.decode(errors="replace") or None
    except OSError:
        return None


def wait_answer(path, timeout):
    """seconds until PATH answers a policy question, or None"""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if policy_answer(path):
            return time.monotonic() - t0
        time.sleep(0.001)
    return None


class Daemon:
    """popgated -f on a private config in a temp dir"""

    def __init__(self, database=None, log=None, extra="", window="30m"):
        self.dir = temp_dir()
        # the log in its own directory: popgated's stderr file must not
        # wake the watch on the log's directory
        os.mkdir(os.path.join(self.dir, "log"))
        self.log = log or os.path.join(self.dir, "log", "mail.log")
        self.sock = os.path.join(self.dir, "policy.sock")
        self.db = database or os.path.join(self.dir, "popgate.lmdb")
        if log is None:
            open(self.log, "w").close()
        self.conf = os.path.join(self.dir, "popgate.conf")
        with open(self.conf, "w") as f:
            f.write("database = %s\nlog_files = %s\npolicy_listen = unix:%s\n"
                    "user =\nignore_networks =\nwindow = %s\n%s"
                    % (self.db, self.log, self.sock, window, extra))
        self.err = open(os.path.join(self.dir, "popgated.err"), "w")
        self.t0 = time.monotonic()
        self.proc = start([POPGATED, "-f", "-c", self.conf],
                          stdout=self.err, stderr=self.err)

    def ready(self, timeout=60):
        """seconds from exec to the first policy answer, or None"""
        t = wait_answer(self.sock, timeout)
        return None if t is None else time.monotonic() - self.t0

    def stderr_tail(self):
        self.err.flush()
        with open(self.err.name, errors="replace") as f:
            return f.read()[-800:]

    def stop(self):
        stop(self.proc)
        self.err.close()


def pids_of(root):
    """ROOT and all its descendants"""
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def rss_kib(root):
    """sums of RssAnon, RssFile, VmRSS (KiB) over ROOT and its children"""
    tot = {"RssAnon": 0, "RssFile": 0, "VmRSS": 0}
    for pid in pids_of(root):
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    key = line.split(":")[0]
                    if key in tot:
                        tot[key] += int(line.split()[1])
        except OSError:
            pass
    return tot


def saved_offset(db, path):
    """the offset popgated saved for PATH (popgate-dump -s), or -1"""
    p = subprocess.run([DUMP, "-s", "-d", db], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, universal_newlines=True)
    for line in p.stdout.splitlines():
        if line.strip().startswith(path + ":") and " offset " in line:
            return int(line.rsplit(" ", 1)[1])
    return -1


def cpu_seconds(root):
    """user+system CPU seconds used so far by ROOT and its descendants"""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids_of(root):
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / ticks


def bytes_read(root):
    """the largest rchar (bytes read) of ROOT's descendants: the ingest
    worker's progress through a file it reads with pread"""
    best = 0
    for pid in pids_of(root)[1:]:
        try:
            with open("/proc/%d/io" % pid) as f:
                for line in f:
                    if line.startswith("rchar:"):
                        best = max(best, int(line.split()[1]))
        except OSError:
            pass
    return best
