#!/usr/bin/python3
"""privileges.t - what each worker of the real daemon can reach (needs root;
skipped otherwise). The serve worker: no capabilities, NoNewPrivs, no
supplementary groups, the database open read-only, no way to write it with
its credentials, an empty working directory. Ingest: only the files it
follows, their directories' inotify watches, the database and its lock
file, pipes, and no listening socket. The master holds no database."""

import os
import pwd
import stat
import subprocess
import sys

import hostilelib as hl  # noqa: E402
from hostilelib import pt, LISTED, UNLISTED  # noqa: E402

TEST_USER = "popgate-test"
PROBE = "192.0.2.9"
t = pt.Tap()

if os.geteuid() != 0:
    t.ok(True, "privileges # SKIP not running as root")
    t.finish()


def ensure_user():
    """the popgate-test system user, created when missing (as worker.t)"""
    try:
        return pwd.getpwnam(TEST_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--user-group",
                        "--shell", "/usr/sbin/nologin", TEST_USER], capture_output=True)
    return pwd.getpwnam(TEST_USER)


def fds(pid):
    """{fd: (target, open flags)} of PID"""
    out = {}
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                flags = int([x for x in f if x.startswith("flags:")][0].split()[1], 8)
        except (OSError, IndexError):
            continue
        out[int(fd)] = (target, flags)
    return out


def listening_inodes():
    """inodes of every listening unix and TCP socket on the machine"""
    inodes = set()
    with open("/proc/net/unix") as f:
        for line in list(f)[1:]:
            p = line.split()
            if len(p) >= 7 and int(p[3], 16) & 0x10000:  # __SO_ACCEPTCON
                inodes.add(p[6])
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                for line in list(f)[1:]:
                    p = line.split()
                    if p[3] == "0A":  # TCP_LISTEN
                        inodes.add(p[9])
        except OSError:
            pass
    return inodes


def as_worker(pw, argv):
    """run ARGV with the serve worker's credentials (no groups, no caps)"""
    return subprocess.run(["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid,
                           "--clear-groups", "--no-new-privs"] + argv,
                          capture_output=True, text=True, errors="replace")


pw = ensure_user()
tmp = pt.temp_dir()
os.chmod(tmp, 0o755)    # the unprivileged worker must reach the database
logs2 = os.path.join(tmp, "logs2")
os.mkdir(logs2)
followed = [os.path.join(tmp, "mail.log"), os.path.join(logs2, "b.log")]
for path in followed:
    pt.append(path, "")
missing = os.path.join(tmp, "later", "c.log")   # waited for, not there yet
d, eps, pid = hl.start_daemon(tmp, user=TEST_USER, log_files=", ".join(followed + [missing]))
ingest = hl.pids_in_log(d, "ingest")[-1]
db = os.path.realpath(d.database)
lock = db + "-lock"
t.ok(d.policy(LISTED) == "OK" and d.policy(UNLISTED) == "DUNNO",
     "daemon answers OK/DUNNO with the serve worker as %s (pid %s)" % (TEST_USER, pid))

# --- the serve worker's credentials ---
st = hl.proc_status(pid)
t.ok(st.get("NoNewPrivs", "").strip() == "1" and st.get("Groups", "").strip() == ""
     and st.get("Uid", "").split() == [str(pw.pw_uid)] * 4,
     "serve worker: NoNewPrivs, no supplementary groups, uid %d" % pw.pw_uid,
     {k: st.get(k) for k in ("Uid", "Gid", "Groups", "NoNewPrivs")})
caps = {k: int(st.get(k, "f"), 16) for k in ("CapInh", "CapPrm", "CapEff", "CapAmb")}
t.ok(not any(caps.values()), "serve worker holds no capabilities", caps)

# --- the database files ---
for path, mode in ((db, 0o640), (lock, 0o660)):
    s = os.stat(path)
    t.ok(stat.S_IMODE(s.st_mode) == mode and s.st_uid == 0 and s.st_gid == pw.pw_gid,
         "%s: mode %o, root:%s" % (os.path.basename(path), mode, TEST_USER),
         "mode %o uid %d gid %d" % (stat.S_IMODE(s.st_mode), s.st_uid, s.st_gid))

# --- what the serve worker has open ---
sfds = fds(pid)
db_fds = [(fd, fl) for fd, (tg, fl) in sfds.items() if tg == db]
t.ok(db_fds and all(fl & os.O_ACCMODE == os.O_RDONLY for _, fl in db_fds),
     "serve worker has the database open read-only only", db_fds)
writable = sorted("%d %s" % (fd, tg) for fd, (tg, fl) in sfds.items()
                  if tg.startswith("/") and fl & os.O_ACCMODE != os.O_RDONLY
                  and tg != lock and fd > 2)
t.ok(not writable, "serve worker has no file open for writing but the lock file", writable)
t.note("serve worker fds: " + ", ".join("%d %s" % (fd, sfds[fd][0]) for fd in sorted(sfds)))

# --- writing the database with the worker's credentials ---
r = as_worker(pw, [pt.POPGATE_DUMP, "-d", db, "-t", PROBE])
t.ok(r.returncode != 0, "popgate-dump -t with the worker's credentials fails",
     "exit %d: %s%s" % (r.returncode, r.stdout, r.stderr))
t.note("popgate-dump -t as %s: exit %d: %s" % (TEST_USER, r.returncode, r.stderr.strip()[:200]))
r = as_worker(pw, [sys.executable, "-c", "open(%r, 'r+b')" % db])
t.ok(r.returncode != 0 and "PermissionError" in r.stderr,
     "opening the database for writing with the worker's credentials: EACCES", r.stderr[-300:])
t.ok(d.policy(PROBE) == "DUNNO" and PROBE not in d.dump("-a").stdout,
     "the write attempts left no entry behind")

# --- the serve worker's working directory ---
cwd = "/proc/%d/cwd" % pid
try:
    entries = os.listdir(cwd)
except OSError as e:
    entries = ["(%s)" % e]
t.ok(entries == [], "serve worker works in an empty directory (%s)" % os.readlink(cwd),
     entries[:10])
r = as_worker(pw, [sys.executable, "-c", "open('/proc/%d/cwd/x', 'w')" % pid])
t.ok(r.returncode != 0, "nothing can be created in it with the worker's credentials",
     r.stderr[-300:])

# --- what ingest has open ---
listeners = listening_inodes()
allowed_dirs = set()
for path in followed + [missing]:
    p = os.path.dirname(path)
    while p not in allowed_dirs and p != "/":
        allowed_dirs.add(p)
        p = os.path.dirname(p)
dir_inodes = {"%x" % os.stat(p).st_ino for p in allowed_dirs if os.path.exists(p)}
unexpected, watches = [], []
ifds = fds(ingest)
for fd, (target, flags) in sorted(ifds.items()):
    if fd <= 2 or target in followed or target in (db, lock) or target.startswith("pipe:"):
        continue
    if target == "anon_inode:inotify":
        with open("/proc/%d/fdinfo/%d" % (ingest, fd)) as f:
            watches += [w.split("ino:")[1].split()[0] for w in f if w.startswith("inotify")]
        continue
    if target.startswith("socket:[") and target[8:-1] not in listeners:
        continue    # e.g. syslog's /dev/log: a client socket
    unexpected.append("%d %s" % (fd, target))
t.note("ingest fds: " + ", ".join("%d %s" % (fd, ifds[fd][0]) for fd in sorted(ifds)))
t.ok(not unexpected, "ingest holds nothing but followed files, inotify, the database, "
     "pipes and client sockets", unexpected)
t.ok(all(os.path.exists(p) for p in followed) and
     all(any(ifds[fd][0] == p for fd in ifds) for p in followed),
     "ingest has every existing followed file open")
t.ok(watches and set(watches) <= dir_inodes,
     "ingest's inotify watches are on the followed files' directories (%d watches)" % len(watches),
     "watches %s, directories %s" % (watches, dir_inodes))
t.ok(not any(tg.startswith("socket:[") and tg[8:-1] in listeners for tg, _ in ifds.values()),
     "ingest holds no listening socket")

# --- the master ---
mfds = fds(d.proc.pid)
t.ok(not any(tg in (db, lock) for tg, _ in mfds.values()), "the master holds no database",
     sorted(tg for tg, _ in mfds.values()))

t.ok(d.stop() == 0 and hl.crash_free(d), "daemon stops cleanly", d.log()[-3000:])
t.finish()
