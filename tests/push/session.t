#!/usr/bin/python3
"""session.t - a login pushed by Dovecot with its session_id opens a
session (session tracking) when a log is followed too: the address stays
authorized past the window while the session is open, and Dovecot's
logout line for that session id in the followed log closes it (the
window then runs from the logout). With no log followed, a pushed login
opens no session. Waits with generous deadlines; never asserts a time."""

import json
import socket
import time

from popgate_test import Daemon, Tap, temp_dir, free_port, wait_until, append
from sessionlib import dovecot_logout

WINDOW = 2
DEADLINE = 30.0
t = Tap()


def push(port, ip, sid):
    body = json.dumps({"login": "alice", "protocol": "imap", "remote": ip,
                       "session_id": sid, "success": True}).encode()
    s = socket.create_connection(("127.0.0.1", port), 10)
    s.sendall(b"POST /?command=report HTTP/1.1\r\nContent-Length: %d\r\n\r\n%s"
              % (len(body), body))
    ok = s.recv(4096).startswith(b"HTTP/1.1 200")
    s.close()
    return ok


def daemon(**settings):
    port = free_port()
    d = Daemon(temp_dir(), window="%ds" % WINDOW,
               dovecot_policy_listen="inet:127.0.0.1:%d" % port, **settings)
    if settings.get("log_files", None) != "":
        open(d.log_file, "w").close()
    d.start()
    return d, port


d, port = daemon()
t.ok(push(port, "192.0.2.60", "pushSESS1"), "report with a session_id: 200")
ok, _ = wait_until(lambda: d.policy("192.0.2.60") == "OK", DEADLINE, 0.02)
t.ok(ok, "the pushed login authorizes")
start = time.monotonic()
wait_until(lambda: time.monotonic() - start > WINDOW + 1.5, WINDOW + 3, 0.1)
t.ok(d.policy("192.0.2.60") == "OK", "still OK %.1fs later (window %ds): "
     "the session is open" % (time.monotonic() - start, WINDOW))
append(d.log_file, dovecot_logout(4321, "pushSESS1"))
ok, elapsed = wait_until(lambda: d.policy("192.0.2.60") == "DUNNO", DEADLINE,
                         0.1)
t.ok(ok, "Dovecot's logout line for that session id closes it: DUNNO "
     "%.1fs after the logout (window %ds)" % (elapsed, WINDOW))
t.ok(d.stop() == 0, "daemon stops cleanly", d.log()[-2000:])

d, port = daemon(log_files="", journal="no")
t.ok(push(port, "192.0.2.61", "pushSESS2"), "no log followed: report 200")
ok, _ = wait_until(lambda: d.policy("192.0.2.61") == "OK", DEADLINE, 0.02)
t.ok(ok, "no log followed: the pushed login authorizes")
ok, elapsed = wait_until(lambda: d.policy("192.0.2.61") == "DUNNO", DEADLINE,
                         0.1)
t.ok(ok, "no log followed: no session, the entry expires with the window "
     "(after %.1fs, window %ds)" % (elapsed, WINDOW))
t.ok(d.stop() == 0, "second daemon stops cleanly", d.log()[-2000:])
t.finish()
