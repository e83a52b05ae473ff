#!/usr/bin/python3
"""journal cursor: committed with the records, so a restart resumes
exactly after the last entry read (new logins added once, old counts
unchanged); with no saved cursor start_at = end skips what is there;
when the file holding the cursor is gone (vacuum, rotation) the daemon
falls back to the window's worth of entries and keeps running."""

import os
import sys
import time

import jlib  # noqa: E402
from jlib import pt  # noqa: E402

t = jlib.tap()
E, M = jlib.entry, jlib.login_message


def wait_ok(d, ip, what):
    elapsed = d.wait_action(ip, "OK", timeout=30)
    t.ok(elapsed is not None, what, d.log())
    t.note("%s: %.3f s" % (what, elapsed or -1))


# --- resume after the cursor ---
tmp, jdir = jlib.journal_dir()
now = time.time()
first = jlib.write_journal(jdir, "first", [
    E(M("192.0.2.20"), t=now - 30), E(M("192.0.2.21"), t=now - 29),
    E(M("192.0.2.20"), t=now - 28)])
d = jlib.daemon(tmp, jdir).start()
wait_ok(d, "192.0.2.21", "first run reads the journal")
pt.wait_until(lambda: jlib.counts(d).get("192.0.2.20") == 2, 30)
before = jlib.counts(d)
t.ok(before == {"192.0.2.20": 2, "192.0.2.21": 1}, "first run counts", before)
jlib.clean_exit(t, d, "first run")

jlib.write_journal(jdir, "second", [
    E(M("192.0.2.22"), t=now - 10), E(M("192.0.2.20"), t=now - 9),
    E(M("192.0.2.23"), t=now - 8)])
d.start()
wait_ok(d, "192.0.2.23", "restart reads the entries added while down")
after = jlib.counts(d)
t.ok(after == {"192.0.2.20": 3, "192.0.2.21": 1, "192.0.2.22": 1, "192.0.2.23": 1},
     "exactly the new logins added, old counts unchanged", after)
jlib.clean_exit(t, d, "restart")

d.start()
time.sleep(0.5)   # nothing to wait for: give a replay the chance to show
again = jlib.counts(d)
t.ok(again == after, "restart with nothing new changes nothing", again)
jlib.clean_exit(t, d, "idle restart")

# --- vacuum: the cursor's file is gone ---
os.unlink(first)
os.unlink(os.path.join(jdir, "second.journal"))
jlib.write_journal(jdir, "third", [
    E(M("192.0.2.30"), t=now - 3600),   # outside the window
    E(M("192.0.2.31"), t=now - 60), E(M("192.0.2.32"), t=now - 5)])
d.start()
wait_ok(d, "192.0.2.32", "after a vacuum the window's worth is read")
t.ok(d.policy("192.0.2.31") == "OK" and d.policy("192.0.2.30") == "DUNNO",
     "fallback reads the window, not older entries")
t.ok("cursor's entry is gone" in d.log(), "the fallback is logged", d.log())
jlib.write_journal(jdir, "fourth", [E(M("192.0.2.33"), t=time.time())])
wait_ok(d, "192.0.2.33", "live entries after the fallback")
jlib.clean_exit(t, d, "vacuum")

# --- start_at = end without a saved cursor ---
tmp2, jdir2 = jlib.journal_dir()
jlib.write_journal(jdir2, "old", [E(M("192.0.2.40"), t=time.time() - 5)])
d2 = jlib.daemon(tmp2, jdir2, start_at="end").start()
jlib.write_journal(jdir2, "new", [E(M("192.0.2.41"), t=time.time())])
wait_ok(d2, "192.0.2.41", "start_at = end: a new entry is read")
t.ok(d2.policy("192.0.2.40") == "DUNNO", "start_at = end: entries already there are not")
jlib.clean_exit(t, d2, "start_at end")

# --- start_at = end on an empty journal directory ---
tmp3, jdir3 = jlib.journal_dir()
d3 = jlib.daemon(tmp3, jdir3, start_at="end").start()
jlib.write_journal(jdir3, "first", [E(M("192.0.2.42"), t=time.time())])
wait_ok(d3, "192.0.2.42", "start_at = end, empty journal: the first entry is read")
jlib.clean_exit(t, d3, "empty journal")
t.finish()
