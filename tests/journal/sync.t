#!/usr/bin/python3
"""sync.t - read-your-writes with the journal source (journal files
written by systemd-journal-remote): a login entry written, then at once
queried on an open connection (no polling), is answered OK 50 times out
of 50, both when the entry is appended to the journal file popgated has
open and when it arrives in a new file; with sync_wait = 0 the same race
is printed for comparison. Times are printed, never asserted."""

import os
import time

import jlib
from racelib import pt, DEADLINE, ask_policy, describe

t = jlib.tap()


def run(sync_wait, new_files):
    """50 entries, each queried right after it is written: (OKs, times)"""
    tmp, jdir = jlib.journal_dir()
    path = jlib.write_journal(jdir, "system", [jlib.entry("started")])
    d = jlib.daemon(tmp, jdir, sync_wait=sync_wait)
    d.start()
    conn = d.connect(DEADLINE)
    got = []
    for i in range(50):
        ip = "198.51.100.%d" % (i + 1)
        e = [jlib.entry(jlib.login_message(ip), pid=6000 + i)]
        if new_files:
            jlib.write_journal(jdir, "system@%d" % i, e)
        else:
            jlib.append_journal(path, e)
        t0 = time.monotonic()
        got.append((ask_policy(conn, ip), time.monotonic() - t0))
    conn.close()
    jlib.clean_exit(t, d, "sync_wait %s, %s" % (
        sync_wait, "new files" if new_files else "appending"))
    return sum(1 for a, _ in got if a == "OK"), [s for _, s in got]


for new_files in (False, True):
    how = "in a new journal file" if new_files else "appended to the open file"
    oks, times = run("200ms", new_files)
    t.ok(oks == 50, "journal entry %s, then an immediate query: OK %d/50"
         % (how, oks))
    t.note("write -> answer: " + describe(times))
    oks, times = run("0", new_files)
    t.note("sync_wait = 0 (as before), entry %s: OK %d/50, write -> answer %s"
           % (how, oks, describe(times)))
t.finish()
