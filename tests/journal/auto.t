#!/usr/bin/python3
"""journal = auto reads the journal only when none of log_files exists;
journal = no never reads it; journal = yes with a journal that cannot be
opened logs it and keeps following the files."""

import os
import sys
import time

import jlib  # noqa: E402
from jlib import pt  # noqa: E402

t = jlib.tap()
E, M = jlib.entry, jlib.login_message


def setup():
    tmp, jdir = jlib.journal_dir()
    jlib.write_journal(jdir, "j", [E(M("192.0.2.50"), t=time.time() - 5)])
    return tmp, jdir


def file_sentinel(d, ip):
    """a login written to the log file is read: the daemon is running"""
    pt.append(d.log_file, pt.login_line(ip))
    elapsed = d.wait_action(ip, "OK", timeout=30)
    t.ok(elapsed is not None, "log file login %s read" % ip, d.log())
    time.sleep(0.3)   # the journal thread, had it started, read by now


# auto, no log file: the journal is read
tmp, jdir = setup()
d = jlib.daemon(tmp, jdir, journal="auto").start()
elapsed = d.wait_action("192.0.2.50", "OK", timeout=30)
t.ok(elapsed is not None, "journal = auto without a log file reads the journal", d.log())
t.ok("none of log_files exists" in d.log(), "the choice is logged")
jlib.clean_exit(t, d, "auto, no file")

# auto, a log file exists: the journal is not read
tmp, jdir = setup()
d = jlib.daemon(tmp, jdir, journal="auto", log_files=os.path.join(tmp, "mail.log"))
pt.append(d.log_file, "")
d.start()
file_sentinel(d, "192.0.2.51")
t.ok(d.policy("192.0.2.50") == "DUNNO", "journal = auto with a log file ignores the journal")
jlib.clean_exit(t, d, "auto, file")

# no: never read, even without a log file
tmp, jdir = setup()
d = jlib.daemon(tmp, jdir, journal="no", log_files=os.path.join(tmp, "mail.log")).start()
file_sentinel(d, "192.0.2.52")
t.ok(d.policy("192.0.2.50") == "DUNNO", "journal = no ignores the journal")
jlib.clean_exit(t, d, "no")

# yes, directory missing: logged, the files are still followed
tmp, jdir = setup()
d = jlib.daemon(tmp, os.path.join(tmp, "missing"), journal="yes",
                log_files=os.path.join(tmp, "mail.log")).start()
file_sentinel(d, "192.0.2.53")
t.ok("journal: cannot open" in d.log(), "an unreadable journal is logged", d.log())
jlib.clean_exit(t, d, "yes, missing directory")
t.finish()
