"""stresslib - what the crash stress test needs besides popgate_test:
the planned logins (distinct documentation addresses, some repeated), a
log writer that behaves like syslog, like a program that opens the file
for each line, or like one that keeps its own offset (no O_APPEND: a
hole after a copytruncate), every way of rotating (logrotate's rename,
copytruncate and delete, compressed at once with gzip/xz/zstd, a file
with content moved into place), and the daemon's saved positions read
back with popgate-dump -s. Addresses are only text in log lines; no
traffic leaves loopback."""

import ipaddress
import os
import random
import re
import shutil
import subprocess
import sys

import popgate_test as pt  # noqa: E402

V4_NETS = ["192.0.2.", "198.51.100.", "203.0.113."]


def plan_logins(rng, total, repeat_share=0.1, max_repeat=5):
    """(events, expected): TOTAL login events, a list of (text address as
    logged, key), shuffled; expected maps each key (ipaddress object) to
    the number of logins it must show. Most addresses log in once, a
    share of them 2..MAX_REPEAT times; v4 addresses appear now and then in
    their ::ffff: form, which must count for the same entry"""
    expected = {}
    events = []
    n = 0
    v4 = [net + str(i) for net in V4_NETS for i in range(1, 255)]
    while len(events) < total:
        if n < len(v4):
            text = v4[n]
        else:
            text = str(ipaddress.IPv6Address("2001:db8::") + (n << 16) + n % 7919)
        n += 1
        key = ipaddress.ip_address(text)
        times = 1
        if rng.random() < repeat_share:
            times = rng.randint(2, max_repeat)
        times = min(times, total - len(events))
        expected[key] = times
        for _ in range(times):
            shown = text
            if key.version == 4 and rng.random() < 0.2:
                shown = "::ffff:" + text
            events.append((shown, key))
    rng.shuffle(events)
    return events, expected


def login_text(events, start, end, rng):
    """log lines for events[start:end], with noise lines between them"""
    out = []
    for i in range(start, end):
        shown, _ = events[i]
        service = "imap" if i % 3 == 0 else "pop3"
        out.append(pt.login_line(shown, user="u%d" % i, service=service, pid=i + 1))
        if rng.random() < 0.3:
            out.append(pt.noise_line(i))
    return "".join(out)


class Writer:
    """appends to PATH either through one kept fd (syslog: survives a
    rename until it is told to reopen), with a fresh open per write, or
    (keep="offset") through a kept fd without O_APPEND, writing at its own
    offset: after a copytruncate its next line lands after a NUL hole"""

    def __init__(self, path):
        self.path = path
        self.f = None
        self.keep = True

    def write(self, text):
        if not self.keep:
            self.close()
            with open(self.path, "a") as f:
                f.write(text)
            return
        if self.f is None and self.keep == "offset":
            self.f = os.fdopen(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o644), "w")
            self.f.seek(0, os.SEEK_END)
        elif self.f is None:
            self.f = open(self.path, "a")
        self.f.write(text)
        self.f.flush()

    def close(self):
        if self.f is not None:
            self.f.close()
        self.f = None

    def reopen(self, keep):
        self.close()
        self.keep = keep


NUMBERED = re.compile(r"^\.(\d+)(\.gz|\.xz|\.zst)?$")
COMPRESS = {".gz": ["gzip", "-q"], ".xz": ["xz", "-q"], ".zst": ["zstd", "-q", "--rm"]}


def rotated_names(path):
    """PATH.1, PATH.2, ... (compressed or not) that exist, newest first"""
    base = os.path.basename(path)
    found = []
    for name in os.listdir(os.path.dirname(path) or "."):
        m = NUMBERED.match(name[len(base):]) if name.startswith(base) else None
        if m:
            found.append((int(m.group(1)), m.group(2) or ""))
    return ["%s.%d%s" % (path, n, ext) for n, ext in sorted(found)]


def shift(path):
    """logrotate's numbering: PATH.k[.ext] -> PATH.k+1[.ext], oldest first"""
    for name in reversed(rotated_names(path)):
        m = NUMBERED.match(name[len(path):])
        os.rename(name, "%s.%d%s" % (path, int(m.group(1)) + 1, m.group(2) or ""))


def compress(name, ext):
    """compress NAME at once (logrotate compress without delaycompress)"""
    subprocess.run(COMPRESS[ext] + [name], check=True)


def rotate_rename(path):
    """logrotate 'create': rename to PATH.1 and create an empty PATH"""
    shift(path)
    os.rename(path, path + ".1")
    open(path, "a").close()


def rotate_copytruncate(path):
    shift(path)
    shutil.copyfile(path, path + ".1")
    with open(path, "r+") as f:
        f.truncate(0)


def rotate_move_in(path, text):
    """a log shipper: the old file renamed away, a new one that already
    holds TEXT moved into place"""
    shift(path)
    os.rename(path, path + ".1")
    with open(path + ".new", "w") as f:
        f.write(text)
    os.rename(path + ".new", path)


def rotate_remove(path):
    """'rotate 0': the old file is deleted, an empty one created"""
    os.unlink(path)
    open(path, "a").close()


POSITION_RE = re.compile(r"^  (.*): dev (\d+) ino (\d+) offset (\d+)$")


def positions(d):
    """[(name, ino, offset)] saved in the database, [] if unreadable"""
    r = d.dump("-s")
    out = []
    in_positions = False
    for line in r.stdout.splitlines():
        if line == "positions:":
            in_positions = True
        elif not line.startswith("  "):
            in_positions = False
        elif in_positions:
            m = POSITION_RE.match(line)
            if m:
                out.append((m.group(1), int(m.group(3)), int(m.group(4))))
    return out


def file_known(d, path):
    """the file now at PATH has a saved position (so a restart finds it
    again wherever it is renamed to)"""
    try:
        ino = os.stat(path).st_ino
    except OSError:
        return True
    return any(p[1] == ino for p in positions(d))


def backlog(d, path):
    """bytes of complete lines in the file now at PATH past its saved
    position (all of them when it has none)"""
    try:
        st = os.stat(path)
    except OSError:
        return 0
    with open(path, "rb") as f:        # complete lines only
        f.seek(max(0, st.st_size - 65536))
        tail = f.read()
    end = st.st_size - (len(tail) - tail.rfind(b"\n") - 1)
    offsets = [p[2] for p in positions(d) if p[1] == st.st_ino]
    return max(0, end - (max(offsets) if offsets else 0))


def caught_up(d, path):
    """everything in the file now at PATH is committed"""
    try:
        st = os.stat(path)
    except OSError:
        return True
    return any(p[1] == st.st_ino and p[2] == st.st_size for p in positions(d))


def recorded(rows):
    """{key: count} of popgate-dump -j rows"""
    got = {}
    for r in rows:
        key = ipaddress.ip_address(r["ip"])
        got[key] = got.get(key, 0) + r["count"]
    return got


def tally(rows, expected):
    """compare popgate-dump -j rows with EXPECTED {key: count}; a dict of
    present / duplicated / missing logins and a few examples"""
    got = recorded(rows)
    res = {"present": 0, "duplicated": 0, "missing": 0, "unexpected": 0,
           "examples": []}
    for key, want in expected.items():
        have = got.get(key, 0)
        res["present"] += min(have, want)
        if have > want:
            res["duplicated"] += have - want
        if have < want:
            res["missing"] += want - have
        if have != want and len(res["examples"]) < 10:
            res["examples"].append("%s: want %d, have %d" % (key, want, have))
    for key, have in got.items():
        if key not in expected:
            res["unexpected"] += have
            if len(res["examples"]) < 10:
                res["examples"].append("%s: not logged in, have %d" % (key, have))
    return res


def mismatched_logins(events, rows, expected):
    """(fewer, more): the login numbers (indexes into EVENTS, the order
    they were written in) of the addresses recorded fewer, or more, times
    than they logged in"""
    got = recorded(rows)
    fewer = [i for i, (_, k) in enumerate(events) if got.get(k, 0) < expected[k]]
    more = [i for i, (_, k) in enumerate(events) if got.get(k, 0) > expected[k]]
    return fewer, more


def lmdb_check(db):
    """mdb_stat and mdb_dump read every sub-database of the file; (ok,
    output of the failing one)"""
    for cmd in (["mdb_stat", "-n", "-a", db], ["mdb_stat", "-n", "-e", db],
                ["mdb_dump", "-n", "-a", db]):
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           errors="replace")
        if r.returncode != 0:
            return False, "%s: exit %d\n%s" % (" ".join(cmd), r.returncode, r.stderr)
    return True, ""
