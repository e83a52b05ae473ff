#!/usr/bin/python3
"""listeners.t - binding the policy and socketmap endpoints: unix socket
mode and stale-socket removal, a non-socket file left alone, IPv4 and
IPv6 inet endpoints, and "ENDPOINT: bind: Address already in use"."""

import os
import socket
import stat
import subprocess
import sys

from servelib import pt, add, crash_free, LISTED  # noqa: E402


def check_fails(t, d, text, desc):
    """popgated must exit 1 at start and say TEXT"""
    d.start(ready=False)
    try:
        rc = d.proc.wait(30)
    except subprocess.TimeoutExpired:
        rc = None
        d.kill()
    t.ok(rc == 1 and text in d.log(), desc, "exit %s\n%s" % (rc, d.log()))


t = pt.Tap()

# --- unix: mode, stale socket replaced ---
tmp = pt.temp_dir()
path = os.path.join(tmp, "policy.sock")
stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
stale.bind(path)
stale.close()                      # a socket file nobody listens on
v6port = pt.free_port(socket.AF_INET6, "::1")
v4port = pt.free_port()
d = pt.Daemon(tmp, socket_mode="0660",
              policy_listen="unix:%s, inet:127.0.0.1:%d, inet:[::1]:%d" % (path, v4port, v6port))
d.start()
add(d, LISTED)
st = os.stat(path)
t.ok(stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o660,
     "unix socket replaces a stale one, mode 0660 (%o)" % stat.S_IMODE(st.st_mode))
for ep in ("unix:" + path, "inet:127.0.0.1:%d" % v4port, "inet:[::1]:%d" % v6port):
    s = pt.connect_endpoint(ep)
    s.sendall(pt.policy_request(LISTED))
    t.ok(pt.read_policy_answer(s) == "OK", "answers on %s" % ep)
    s.close()
t.ok(d.stop() == 0 and crash_free(d), "daemon stops cleanly", d.log())
t.ok(not os.path.exists(path), "unix socket removed at exit")

# --- a file that is not a socket is never removed ---
tmp = pt.temp_dir()
path = os.path.join(tmp, "policy.sock")
pt.append(path, "precious\n")
d = pt.Daemon(tmp, policy_listen="unix:" + path)
check_fails(t, d, "not a socket", "a regular file at the socket path: refused")
with open(path) as f:
    t.ok(f.read() == "precious\n", "the regular file is untouched")

# --- address in use ---
tmp = pt.temp_dir()
busy = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
busy.bind(("127.0.0.1", 0))
busy.listen(1)
port = busy.getsockname()[1]
d = pt.Daemon(tmp, policy_listen="inet:127.0.0.1:%d" % port)
check_fails(t, d, "inet:127.0.0.1:%d: bind: Address already in use" % port,
            "busy port: 'inet:127.0.0.1:%d: bind: Address already in use', exit 1" % port)
busy.close()
t.finish()
