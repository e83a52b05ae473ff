#!/usr/bin/env python3
"""journald.t - the journal source against a real journald fed by a real
dovecot.service, both run by a real systemd: a POP3 login that is logged
only to the journal is answered OK by the installed popgated.service.
Prints login -> first OK latency (median, p99) over 50 logins."""
import os
import time

import sdlib
from popgate_test import (Tap, free_port, wait_until,
                          connect_endpoint, policy_request,
                          read_policy_answer)
from mailstack import _POP3From, NOBODY
from stackconf import dovecot_conf, USERS

UNIT = "popgated.service"
LOGINS = 50
D = "/run/popgate-test"

t = Tap()
sdlib.check_available(t)
sd = sdlib.installed(t, "journald")

# dovecot.service as packaged, with a private configuration (drop-in)
pop3, imap, port = free_port(), free_port(), free_port()
sd.write(D + "/dovecot.conf", dovecot_conf(D, pop3, imap, "syslog"))
sd.write(D + "/dovecot/users", "".join(
    "%s:{PLAIN}%s:%d:%d::%s/mail/%s::\n" % (u, pw, NOBODY, NOBODY, D, u)
    for u, pw in USERS.items()), 0o640)
sd.sh("chgrp dovecot %s/dovecot/users && mkdir -p %s/mail/alice/Maildir && "
      "chown -R %d:%d %s/mail" % (D, D, NOBODY, NOBODY, D))
sd.write("/run/systemd/system/dovecot.service.d/popgate-test.conf",
         "[Service]\nExecStart=\nExecStart=/usr/sbin/dovecot -F -c %s/"
         "dovecot.conf\nExecReload=\nExecStop=\n" % D)
sd.write("/etc/popgate/popgate.conf", """log_files = /var/log/mail.log
journal = auto
journal_units = dovecot.service
ignore_networks =
policy_listen = inet:127.0.0.1:%d
""" % port)
sd.systemctl("daemon-reload")
r = sd.systemctl("start", "dovecot.service")
t.ok(r.returncode == 0, "dovecot.service started by systemd", r.stderr +
     sd.run(["journalctl", "-u", "dovecot", "--no-pager"]).stdout[-2000:])
r = sd.systemctl("start", UNIT)
t.ok(r.returncode == 0 and sd.show(UNIT, "ActiveState") == "active",
     "popgated.service started", r.stderr)


def ask(ip):
    try:
        s = connect_endpoint("inet:127.0.0.1:%d" % port, 5)
    except OSError:
        return None
    try:
        s.sendall(policy_request(ip))
        return read_policy_answer(s)
    except OSError:
        return None
    finally:
        s.close()


def login(ip):
    p = _POP3From(ip, "127.0.0.1", pop3, timeout=10)
    try:
        p.user("alice")
        p.pass_(USERS["alice"])
        return time.monotonic()
    finally:
        p.quit()


lat = []
for i in range(LOGINS):
    ip = "127.0.%d.%d" % (10 + i // 200, 1 + i % 200)
    if ask(ip) != "DUNNO":
        t.ok(False, "%s not listed before its login" % ip)
        break
    t0 = login(ip)
    ok, _ = wait_until(lambda: ask(ip) == "OK", 30, 0.002)
    if not ok:
        break
    lat.append(time.monotonic() - t0)
t.ok(len(lat) == LOGINS,
     "each of %d POP3 logins, logged only to journald, answered OK" % LOGINS,
     "%d answered" % len(lat))
j = [e for e in sd.journal("-u", "dovecot.service")
     if "pop3-login: Login:" in str(e.get("MESSAGE"))]
t.ok(len(j) >= len(lat) and all(e.get("_TRANSPORT") == "syslog" for e in j),
     "dovecot's logins reached journald through syslog only (%d)" % len(j))
t.ok(sd.run(["test", "-e", "/var/log/mail.log"]).returncode != 0,
     "no log file in between (no /var/log/mail.log): popgated read the "
     "journal")
if lat:
    t.note("journald login -> first OK over %d logins: median %.1f ms, "
           "p99 %.1f ms, max %.1f ms (machine shared, loaded)" %
           (len(lat), 1000 * sdlib.percentile(lat, 50),
            1000 * sdlib.percentile(lat, 99), 1000 * max(lat)))
sd.systemctl("stop", UNIT, "dovecot.service")
sd.shutdown()
t.finish()
