#!/usr/bin/python3
"""journal crash: the cursor commits in the same transaction as the
records, so kill -9 of the ingest worker in the middle of a large journal
neither loses nor replays a login (every address counted exactly once)."""

import os
import re
import signal
import subprocess
import sys
import time

import jlib  # noqa: E402
from jlib import pt  # noqa: E402

N = 12000
PER_FILE = 2000   # journal-remote slows down quadratically within one file
t = jlib.tap()

tmp, jdir = jlib.journal_dir()
now = time.time()
ips = ["10.%d.%d.%d" % (1 + i // 65536, (i // 256) % 256, i % 256) for i in range(N)]
for f in range(0, N, PER_FILE):
    jlib.write_journal(jdir, "big%d" % f, [jlib.entry(jlib.login_message(ips[i]), t=now - 120 + i * 0.001)
                                           for i in range(f, f + PER_FILE)])
t.note("journal files written in %.1f s" % (time.time() - now))
d = jlib.daemon(tmp, jdir).start()


def ingest_pid():
    """the worker with two threads (tailer + journal reader)"""
    for pid in d.children():
        try:
            if len(os.listdir("/proc/%d/task" % pid)) >= 2:
                return pid
        except OSError:
            pass
    return None


pid, _ = pt.wait_until(ingest_pid, 30)


def records():
    """entries in the records sub-database (mdb_stat is quick to poll)"""
    r = subprocess.run(["mdb_stat", "-n", "-s", "records", d.database],
                       capture_output=True, text=True)
    m = re.search(r"Entries: (\d+)", r.stdout)
    return int(m.group(1)) if m else 0


seen, _ = pt.wait_until(lambda: records() > 0, 30, 0.001)
if pid:
    os.kill(pid, signal.SIGKILL)
done_before = records()
t.ok(pid is not None, "ingest worker found and killed")
t.note("killed with %d of %d addresses committed" % (done_before, N))

start = time.monotonic()
full, elapsed = pt.wait_until(lambda: len(d.dump_json()) >= N, 120, 0.2)
t.ok(full, "the restarted worker reads the rest", d.log())
t.note("rest read in %.1f s" % elapsed)
counts = jlib.counts(d)
wrong = {ip: c for ip, c in counts.items() if c != 1}
t.ok(len(counts) == N and not wrong, "every login counted exactly once",
     "%d addresses, wrong counts: %s" % (len(counts), list(wrong.items())[:10]))
jlib.clean_exit(t, d, "crash")
t.finish()
