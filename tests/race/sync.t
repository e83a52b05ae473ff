#!/usr/bin/python3
"""sync.t - read-your-writes with the real daemon and a followed file: a
login line written and at once queried on an open connection (no polling)
is answered OK 50 times out of 50 (policy and socketmap); a listed client
never waits; an unlisted one waits for ingest at most sync_wait, also
when ingest is stopped, and concurrent waiters are all answered; the
counters say how many waited and turned OK; sync_wait = 0 never waits.
Times are measured and printed, never asserted as upper bounds."""

import os
import signal
import threading
import time

from racelib import (pt, DEADLINE, counters, worker_pid, race, ask_policy,
                     ask_socketmap, describe, flushed)

t = pt.Tap()
tmp = pt.temp_dir()
sm_path = os.path.join(tmp, "sm.sock")
d = pt.Daemon(tmp, sync_wait="200ms", socketmap_listen="unix:" + sm_path)
pt.append(d.log_file, "")
d.start(args=["-v"])
ingest = worker_pid(d, "ingest")

# --- 50 logins, each queried at once on one open policy connection ---
conn = d.connect(DEADLINE)
got = race(d, conn, ["198.51.100.%d" % i for i in range(1, 51)], ask_policy)
oks = sum(1 for a, _ in got if a == "OK")
t.ok(oks == 50, "login line then an immediate policy query: OK %d/50" % oks,
     [a for a, _ in got])
t.note("policy, write -> answer: " + describe([s for _, s in got]))

# --- the same through socketmap ---
sm = pt.connect_endpoint("unix:" + sm_path, DEADLINE)
got = race(d, sm, ["203.0.113.%d" % i for i in range(1, 51)], ask_socketmap)
oks = sum(1 for a, _ in got if a.startswith("OK"))
t.ok(oks == 50, "login line then an immediate socketmap query: OK %d/50" % oks,
     [a for a, _ in got])
t.note("socketmap, write -> answer: " + describe([s for _, s in got]))

# --- counters: every answer that waited, and those that turned OK ---
flushed(d)
c = counters(d)
t.ok(c.get("sync_turned_ok", 0) <= c.get("sync_waits", 0) and
     c.get("sync_waits", 0) > 0,
     "counters: sync_waits %d, sync_turned_ok %d" %
     (c.get("sync_waits", 0), c.get("sync_turned_ok", 0)), c)

# --- a listed client never waits ---
before = counters(d).get("sync_waits", 0)
answers = [ask_policy(conn, "198.51.100.1") for _ in range(20)]
flushed(d)
t.ok(answers == ["OK"] * 20 and counters(d).get("sync_waits", 0) == before,
     "20 queries for a listed client: OK, none waited",
     (answers, before, counters(d).get("sync_waits", 0)))

# --- an unlisted client with ingest stopped: waits sync_wait, then DUNNO ---
os.kill(ingest, signal.SIGSTOP)
try:
    t0 = time.monotonic()
    a = ask_policy(conn, "192.0.2.200")
    waited = time.monotonic() - t0
    # the worker's clock has whole milliseconds: its wait may end up to
    # one before 0.2 s after the query left here (0.1998 s was seen)
    t.ok(a == "DUNNO" and waited >= 0.195,
         "ingest stopped: unlisted client answered DUNNO after its wait "
         "(%.3fs, sync_wait 0.2s)" % waited, (a, waited))

    # a login written while ingest cannot read it: still DUNNO, no hang
    pt.append(d.log_file, pt.login_line("192.0.2.201"))
    t0 = time.monotonic()
    a = ask_policy(conn, "192.0.2.201")
    t.ok(a == "DUNNO", "ingest stopped: a fresh login is not invented "
         "(DUNNO after %.3fs)" % (time.monotonic() - t0), a)

    # 20 clients at once: all answered
    results = []

    def one(i):
        s = d.connect(DEADLINE)
        t1 = time.monotonic()
        results.append((ask_policy(s, "192.0.2.%d" % (100 + i)),
                        time.monotonic() - t1))
        s.close()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(DEADLINE)
    t.ok(len(results) == 20 and all(a == "DUNNO" for a, _ in results),
         "ingest stopped: 20 concurrent unlisted clients all answered DUNNO",
         results)
    t.note("concurrent waits: " + describe([s for _, s in results]))
finally:
    os.kill(ingest, signal.SIGCONT)

# --- after ingest resumes, the login it missed is found ---
s2 = d.connect(DEADLINE)
a = ask_policy(s2, "192.0.2.201")
t.ok(a == "OK", "ingest resumed: the login written meanwhile answers OK", a)
t.ok(d.stop() == 0, "daemon stops cleanly", d.log()[-3000:])

# --- sync_wait = 0: the race as it was ---
d0 = pt.Daemon(pt.temp_dir(), sync_wait="0")
pt.append(d0.log_file, "")
d0.start()
conn = d0.connect(DEADLINE)
got = race(d0, conn, ["198.51.100.%d" % i for i in range(1, 51)], ask_policy)
oks = sum(1 for a, _ in got if a == "OK")
t.note("sync_wait = 0 (no waiting, as before): OK %d/50, write -> answer %s"
       % (oks, describe([s for _, s in got])))
t.ok(flushed(d0) and counters(d0).get("sync_waits", 0) == 0, "sync_wait = 0: nothing waited",
     counters(d0))
t.ok(d0.stop() == 0, "sync_wait = 0 daemon stops cleanly", d0.log()[-3000:])
t.finish()
