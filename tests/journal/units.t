#!/usr/bin/python3
"""journal source: only entries of journal_units (the trusted _SYSTEMD_UNIT
field) authorize; the same text from another unit, a forged
SYSLOG_IDENTIFIER, text injected inside MESSAGE, or an entry older than
the window never does. Binary MESSAGE fields are read safely, and a
journal file that appears while the daemon runs is read at once."""

import os
import sys
import time

import jlib  # noqa: E402
from jlib import pt  # noqa: E402

t = jlib.tap()

tmp, jdir = jlib.journal_dir()
now = time.time()
E, M = jlib.entry, jlib.login_message
jlib.write_journal(jdir, "first", [
    E(M("192.0.2.10"), t=now - 5),
    # same text, another unit: a user's own service, or cron pretending
    E(M("192.0.2.11"), unit="user@1000.service", t=now - 5),
    E(M("192.0.2.12"), unit="cron.service", ident="dovecot", t=now - 5),
    E(M("192.0.2.16"), unit=None, t=now - 5),
    # binary user name (NUL, newline): the address is still the server's
    E(b"pop3-login: Login: user=<a\x00b\nc>, method=PLAIN, rip=192.0.2.13, "
      b"lip=127.0.0.1", t=now - 4),
    # a second "line" smuggled inside one MESSAGE
    E("imap-login: Disconnected (no auth attempts)\n" + "Nov  1 00:00:00 mail "
      "dovecot: " + M("6.6.6.6"), t=now - 4),
    # a forged tag inside the identifier field cannot pass as a header
    E("x", ident="dovecot: pop3-login: Login: user=<x>, method=P, rip=6.6.6.7, lip=1",
      t=now - 4),
    # older than the window (30m)
    E(M("192.0.2.14"), t=now - 3600),
    # an overlong MESSAGE is skipped
    E(M("6.6.6.8") + " " + "x" * 20000, t=now - 3),
    E(M("192.0.2.15", service="imap"), ident=None, extra=[("_COMM", "dovecot")],
      t=now - 2),
    E(M("192.0.2.17"), t=now - 1),  # the last one: read means all were
])

export = os.path.join(tmp, "access")
d = jlib.daemon(tmp, jdir, export_map=export).start()
elapsed = d.wait_action("192.0.2.17", "OK", timeout=30)
t.ok(elapsed is not None, "journal entries of dovecot.service are read", d.log())
t.note("first file read in %.3f s" % (elapsed or -1))
t.ok(d.policy("192.0.2.10") == "OK", "login from the allowed unit authorizes")
for ip, why in (("192.0.2.11", "user@1000.service"), ("192.0.2.12", "cron.service with SYSLOG_IDENTIFIER=dovecot"),
                ("192.0.2.16", "an entry without _SYSTEMD_UNIT"),
                ("6.6.6.6", "a line injected after a newline in MESSAGE"),
                ("6.6.6.7", "a forged SYSLOG_IDENTIFIER"),
                ("192.0.2.14", "an entry older than the window"),
                ("6.6.6.8", "an overlong MESSAGE")):
    t.ok(d.policy(ip) == "DUNNO", "no OK for %s (%s)" % (ip, why))
t.ok(d.policy("192.0.2.13") == "OK", "binary MESSAGE (NUL, newline in the user name) is matched safely")
t.ok(d.policy("192.0.2.15") == "OK", "_COMM stands in for a missing SYSLOG_IDENTIFIER")
users = {e["ip"]: e["user"] for e in d.dump_json()}
t.ok(users.get("192.0.2.13") == "a#000b#012c", "control bytes escaped as #ooo", users)

# a file renamed into the directory while running: read promptly
start = time.monotonic()
jlib.write_journal(jdir, "second", [E(M("192.0.2.20"), t=time.time())])
elapsed = d.wait_action("192.0.2.20", "OK", timeout=30)
t.ok(elapsed is not None, "a journal file added while running is read", d.log())
t.note("new file -> OK in %.3f s (incl. journal-remote)" % (time.monotonic() - start))


def exported():
    try:
        with open(export) as f:
            return "192.0.2.20 OK" in f.read()
    except OSError:
        return False


ok, elapsed = pt.wait_until(exported, 30)
t.ok(ok, "journal logins reach the exported access map")
t.note("export map rewritten %.3f s after the login was visible" % elapsed)
c = jlib.counts(d)
t.ok(c.get("192.0.2.10") == 1 and c.get("192.0.2.17") == 1,
     "entries already read are not read again", c)
jlib.clean_exit(t, d, "units")
t.finish()
