#!/usr/bin/python3
"""persist.t - open sessions are kept in the database, so they outlive
the ingest worker: an open Dovecot session, then a HUP (the workers are
replaced) or a full restart, then its logout: the address is authorized
for one window after the logout and no longer (not until session_max).
A Dovecot 2.2 logout that names only the user closes that user's
session after a restart too. A logout read from the backlog after a
restart closes its session however old it is. Short window (3 s), session_max 1 h. A login beyond
the table's 16384 open sessions closes the oldest."""

import re
import time

from popgate_test import Tap, append, wait_until
from sessionlib import dovecot_login, dovecot_logout, dovecot_user_logout, session_daemon

WINDOW = 3
DEADLINE = WINDOW + 30	# generous: nominally one window
SESSIONS_MAX = 16384	# SINK_SESSIONS_MAX

t = Tap()


def open_session(d, name, ip, pid, sid, user="alice"):
    append(d.log_file, dovecot_login(ip, pid, sid, user))
    t.ok(d.wait_action(ip, "OK", DEADLINE) is not None, "%s: login authorizes %s" % (name, ip))


def still_open(d, name, ip):
    """outlive the window: the session alone keeps the address listed"""
    time.sleep(WINDOW + 1)
    t.ok(d.try_policy(ip) == "OK", "%s: still authorized %ds after the login (window %ds)"
         % (name, WINDOW + 1, WINDOW))


def closes_after_window(d, name, ip, pid, sid, logout=None):
    append(d.log_file, logout or dovecot_logout(pid, sid))
    start = time.monotonic()
    gone, elapsed = wait_until(lambda: d.try_policy(ip) == "DUNNO", DEADLINE, 0.05)
    t.ok(gone and elapsed >= WINDOW - 1.5,
         "%s: the logout closes the session: authorized for the window after it, "
         "then not (%.2fs after the logout)" % (name, time.monotonic() - start))


def open_sessions(d):
    """the session table's size from popgate-dump -s"""
    m = re.search(r"^open sessions: (\d+)$", d.dump("-s").stdout, re.M)
    return int(m.group(1)) if m else None


def ingest_replaced(d, before):
    """the workers after a HUP are new processes"""
    now, elapsed = wait_until(lambda: set(d.children()) - before and
                              len(d.children()) >= len(before), 30, 0.05)
    return bool(now), elapsed


def main():
    d = session_daemon(window="%ds" % WINDOW, session_max="1h", sweep_interval="1s")
    try:
        # HUP: the ingest worker is replaced, its memory gone
        open_session(d, "hup", "192.0.2.60", 8001, "persistHUPaaaa1")
        before = set(d.children())
        d.hup()
        replaced, elapsed = ingest_replaced(d, before)
        t.ok(replaced, "HUP replaced the workers (%.2fs)" % elapsed)
        t.ok(d.wait_ready(), "answers again after the HUP")
        still_open(d, "hup", "192.0.2.60")
        n = open_sessions(d)
        t.ok(n == 1, "popgate-dump -s shows the open session after the HUP (%s)" % n)
        closes_after_window(d, "hup", "192.0.2.60", 8001, "persistHUPaaaa1")
        n = open_sessions(d)
        t.ok(n == 0, "popgate-dump -s: none open after the logout (%s)" % n)

        # a full restart
        open_session(d, "restart", "192.0.2.61", 8002, "persistRSTbbbb2")
        t.ok(d.stop() == 0, "restart: popgated exits 0 on TERM")
        d.start()
        still_open(d, "restart", "192.0.2.61")
        closes_after_window(d, "restart", "192.0.2.61", 8002, "persistRSTbbbb2")

        # a restart, then a Dovecot 2.2 logout without <pid><session>
        open_session(d, "2.2 logout", "192.0.2.63", 8004, "persistUSRdddd4", "carol")
        t.ok(d.stop() == 0, "2.2 logout: popgated exits 0 on TERM")
        d.start()
        still_open(d, "2.2 logout", "192.0.2.63")
        closes_after_window(d, "2.2 logout", "192.0.2.63", 8004, "persistUSRdddd4",
                            dovecot_user_logout("carol"))
        n = open_sessions(d)
        t.ok(n == 0, "2.2 logout: none open after the user's logout (%s)" % n)

        # the logout is written while popgated is down and is older than
        # the window when it is read back
        open_session(d, "backlog", "192.0.2.62", 8003, "persistOLDcccc3")
        t.ok(d.stop() == 0, "backlog: popgated exits 0 on TERM")
        append(d.log_file, dovecot_logout(8003, "persistOLDcccc3"))
        time.sleep(WINDOW + 1.5)
        d.start()
        gone, elapsed = wait_until(lambda: d.try_policy("192.0.2.62") == "DUNNO",
                                   DEADLINE, 0.05)
        t.ok(gone, "backlog: a logout older than the window still closes its "
             "session (%.2fs after the restart)" % elapsed)
        entry = [e for e in d.dump_json() if e["ip"] == "192.0.2.62"]
        t.ok(not entry or entry[0].get("open_sessions", 0) == 0,
             "backlog: no session left open", entry)
    finally:
        t.ok(d.stop() == 0, "popgated exits 0 on TERM")
    full_table()
    t.finish()


def full_table():
    """one session more than the table holds: the oldest is closed"""
    d = session_daemon(window="1h", session_max="2h")
    ips = ["10.%d.%d.%d" % (1 + i // 65536, (i // 256) % 256, i % 256)
           for i in range(SESSIONS_MAX + 1)]
    try:
        append(d.log_file, "".join(dovecot_login(ip, 10000 + i, "fullTABLE%05d" % i)
                                   for i, ip in enumerate(ips)))
        got, elapsed = wait_until(lambda: open_sessions(d) == SESSIONS_MAX and
                                  evicted(d) == 1, DEADLINE + 60, 0.2)
        t.ok(got, "full table: %d sessions open, the oldest closed and counted "
             "(%.2fs)" % (SESSIONS_MAX, elapsed), d.dump("-s").stdout[-600:])
        first = [e for e in d.dump_json() if e["ip"] in (ips[0], ips[1])]
        t.ok(len(first) == 2 and first[0]["ip"] == ips[0] and
             first[0].get("open_sessions", 0) == 0 and first[1].get("open_sessions") == 1,
             "full table: the first login's session is closed, the second's open", first)
    finally:
        t.ok(d.stop() == 0, "full table: popgated exits 0 on TERM")


def evicted(d):
    m = re.search(r"^  sessions_closed_evicted: (\d+)$", d.dump("-s").stdout, re.M)
    return int(m.group(1)) if m else 0


main()
