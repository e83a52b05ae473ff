#!/usr/bin/python3
"""journald_latency.py - the journal source against a real systemd-journald
(no systemd: journald alone, in a private mount namespace with its own
/run, started by bench_race.py through unshare). A child process placed in
the cgroup .../dovecot.service (so journald stamps _SYSTEMD_UNIT as for
the real unit) sends Dovecot login messages to journald's native socket;
popgated (sync_wait = 0: this measures recording, not waiting) follows
the journal and a policy connection asks every 0.5 ms until action=OK.
Prints one key=value line: login -> recorded p50/p99/max (ms) of every
login but the first (no entry before it: journald's notice wakes the
reader), the first, the first login after a quiet spell, the ingest worker's CPU while reading eagerly
and while idle, and (a second daemon, sync_wait = 200ms) how many of
LOGINS queries sent right after the message to journald were answered OK.
   journald_latency.py BUILD LOGINS IDLE_SECONDS      Benchmark code only."""

import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time

BUILD, LOGINS, IDLE = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
EAGER_FOR = 30.0	# journal.c EAGER_FOR_MS: reading eagerly after an entry
POPGATED = os.path.join(BUILD, "popgated")
JOURNALD = "/lib/systemd/systemd-journald"
CGROOT = os.environ.get("POPGATE_CGROUP_ROOT", "/sys/fs/cgroup/unified")
SLICE = os.path.join(CGROOT, "popgate-bench-%d.slice" % os.getpid())
UNIT_CG = os.path.join(SLICE, "dovecot.service")
SOCK = "/run/systemd/journal/socket"


def wait_for(fn, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.01)
    return None


def sender():
    """a child in the dovecot.service cgroup; sends each line it reads"""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(w)
        with open(os.path.join(UNIT_CG, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        for line in os.fdopen(r):
            s.sendto(("MESSAGE=%s\nSYSLOG_IDENTIFIER=dovecot\nPRIORITY=6\n"
                      % line.rstrip("\n")).encode(), SOCK)
        os._exit(0)
    os.close(r)
    return pid, os.fdopen(w, "w")


def ask(conn, ip):
    conn.sendall(b"request=smtpd_access_policy\nclient_address=%s\n\n" % ip.encode())
    data = b""
    while not data.endswith(b"\n\n"):
        data += conn.recv(4096)
    return data.startswith(b"action=OK")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ingest_pid(master):
    with open("/proc/%d/task/%d/children" % (master, master)) as f:
        kids = [int(p) for p in f.read().split()]
    for k in kids:      # the first worker forked is ingest
        return k


def main():
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/run"], check=True)
    os.makedirs("/run/systemd/journal")
    jd = subprocess.Popen([JOURNALD], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    os.makedirs(UNIT_CG)
    tmp = tempfile.mkdtemp(prefix="popgate-jbench-")
    pg = snd = None
    try:
        jdir = wait_for(lambda: [os.path.join("/run/log/journal", d)
                                 for d in os.listdir("/run/log/journal")]
                        if os.path.isdir("/run/log/journal") else None)
        wait_for(lambda: os.path.exists(SOCK))
        pg, conn = popgated(tmp, "a", jdir[0], "0")
        snd, pipe = sender()
        rnd = random.Random(16)
        lat = []
        for i in range(LOGINS):
            time.sleep(rnd.uniform(0.1, 0.6))
            ip = "198.51.100.%d" % (i % 250 + 1) if i < 250 else "203.0.113.%d" % (i % 250 + 1)
            pipe.write("pop3-login: Login: user=<alice>, method=PLAIN, rip=%s, "
                       "lip=127.0.0.1, mpid=%d, session=<bench%d>\n" % (ip, 7000 + i, i))
            pipe.flush()
            t0 = time.monotonic()
            while not ask(conn, ip) and time.monotonic() - t0 < 5:
                time.sleep(0.0005)
            lat.append(time.monotonic() - t0)
        ing = ingest_pid(pg.pid)
        # CPU while eager (no entries), then once idle; then one login
        c0 = cpu_seconds(ing)
        time.sleep(EAGER_FOR + 1)
        eager_cpu = cpu_seconds(ing) - c0
        c0 = cpu_seconds(ing)
        time.sleep(IDLE)
        idle_cpu = cpu_seconds(ing) - c0
        pipe.write("pop3-login: Login: user=<alice>, method=PLAIN, rip=192.0.2.99, "
                   "lip=127.0.0.1, mpid=1, session=<cold>\n")
        pipe.flush()
        t0 = time.monotonic()
        while not ask(conn, "192.0.2.99") and time.monotonic() - t0 < 5:
            time.sleep(0.0005)
        cold = time.monotonic() - t0
        pg.send_signal(signal.SIGTERM)
        pg.wait(15)
        pg, conn = popgated(tmp, "b", jdir[0], "200ms")
        race_ok = 0
        for i in range(LOGINS):
            time.sleep(rnd.uniform(0.1, 0.6))
            ip = "192.0.2.%d" % (i % 200 + 1)
            pipe.write("pop3-login: Login: user=<bob>, method=PLAIN, rip=%s, "
                       "lip=127.0.0.1, mpid=%d, session=<race%d>\n" % (ip, 8000 + i, i))
            pipe.flush()
            race_ok += ask(conn, ip)
        first = lat[0]		# before it, no entry: journald's notice wakes us
        lat = sorted(lat[1:])
        print("logins=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f first_ms=%.1f "
              "cold_ms=%.1f eager_s=%.0f eager_cpu_ms=%.0f idle_s=%.0f "
              "idle_cpu_ms=%.0f race_ok=%d race_n=%d" % (
                  len(lat), 1000 * lat[len(lat) // 2],
                  1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))],
                  1000 * lat[-1], 1000 * first, 1000 * cold, EAGER_FOR + 1,
                  1000 * eager_cpu, IDLE, 1000 * idle_cpu, race_ok, LOGINS))
        pipe.close()
    finally:
        for p in (pg, jd):
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(15)
        if snd:
            os.waitpid(snd, 0)
        subprocess.run(["rm", "-rf", tmp])
        for d in (UNIT_CG, SLICE):
            try:
                os.rmdir(d)
            except OSError:
                pass


def popgated(tmp, name, jdir, sync_wait):
    """popgated on the journal in JDIR: (process, open policy connection)"""
    sock = os.path.join(tmp, name + ".sock")
    conf = os.path.join(tmp, name + ".conf")
    with open(conf, "w") as f:
        f.write("database = %s/%s.lmdb\nlog_files = %s/absent.log\n"
                "journal = yes\njournal_directory = %s\n"
                "journal_units = dovecot.service\npolicy_listen = unix:%s\n"
                "user =\nignore_networks =\nsync_wait = %s\n"
                % (tmp, name, tmp, jdir, sock, sync_wait))
    pg = subprocess.Popen([POPGATED, "-f", "-c", conf],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return pg, wait_for(lambda: connect(sock))


def connect(path):
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        return s
    except OSError:
        return None


if __name__ == "__main__":
    main()
