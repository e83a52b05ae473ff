#!/usr/bin/python3
"""policy.t - the policy protocol on the real daemon: OK/DUNNO, missing and
invalid client_address, the expiry boundary, 1000 pipelined requests,
1-byte writes, a half-closed connection, every kind of malformed input
(closed without an answer, never OK), a client that never reads, and the
"relay allowed" log line once per login."""

import os
import socket
import sys
import time

from servelib import pt, add, exchange, answers, serve_pid, crash_free, LISTED, UNLISTED  # noqa: E402

t = pt.Tap()
tmp = pt.temp_dir()
d = pt.Daemon(tmp, idle_timeout="2s")
d.start(args=["-v"])
ep = d.policy_endpoint()
pid = serve_pid(d)
req = pt.policy_request

# --- OK / DUNNO ---
add(d, LISTED, "2001:db8::1")
t.ok(d.policy(LISTED) == "OK", "listed IPv4 client: OK")
t.ok(d.policy("2001:db8::1") == "OK", "listed IPv6 client: OK")
t.ok(d.policy("::ffff:" + LISTED) == "OK", "v4-mapped text of a listed client: OK")
t.ok(d.policy(UNLISTED) == "DUNNO", "unlisted client: DUNNO")
t.ok(d.policy("unknown") == "DUNNO", "client_address=unknown: DUNNO")
t.ok(d.policy(LISTED + "x") == "DUNNO", "invalid client_address: DUNNO")
t.ok(d.policy("[%s]" % LISTED) == "DUNNO", "bracketed client_address: DUNNO")
data, _ = exchange(ep, b"request=smtpd_access_policy\nclient_name=x\n\n", 10,
                   done=lambda got: got.endswith(b"\n\n"))
t.ok(answers(data) == ["DUNNO"], "missing client_address: DUNNO", data)

# --- expiry boundary (own daemon, window 3s): OK strictly before
# last_seen + window, DUNNO from then on ---
d2 = pt.Daemon(pt.temp_dir(), window="3s")
d2.start()
before = time.time()
add(d2, "198.51.100.3")
after = time.time()
seen = []
while time.time() < after + 30:
    t0 = time.time()
    a = d2.policy("198.51.100.3")
    t1 = time.time()
    seen.append((t0, t1, a))
    if a == "DUNNO":
        break
    time.sleep(0.05)
oks = [x for x in seen if x[2] == "OK"]
dunno = [x for x in seen if x[2] == "DUNNO"]
t.ok(oks and dunno, "entry authorizes, then expires (window 3s)", seen[-3:])
if oks and dunno:
    t.note("expired %.2fs after it was added" % (dunno[0][1] - before))
    t.ok(oks[-1][0] < int(after) + 1 + 3, "never OK after last_seen + window")
    t.ok(dunno[0][1] >= int(before) + 3, "never DUNNO before last_seen + window")
t.ok(d2.stop() == 0 and crash_free(d2), "window-3s daemon stops cleanly", d2.log())

# --- 1000 pipelined requests on one connection, in order ---
ips = [LISTED if i % 3 == 0 else "203.0.113.%d" % (i % 250 + 1) for i in range(1000)]
add(d, LISTED)
start = time.monotonic()
data, closed = exchange(ep, b"".join(req(ip) for ip in ips), 30, shut=True)
got = answers(data)
want = ["OK" if ip == LISTED else "DUNNO" for ip in ips]
t.ok(got == want, "1000 pipelined requests answered in order",
     "got %d answers" % len(got))
t.note("1000 pipelined requests: %.3fs" % (time.monotonic() - start))
t.ok(closed, "connection closed after the client's half-close")

# --- 1-byte writes ---
add(d, LISTED)
data, _ = exchange(ep, req(LISTED), 10, chunk=1, done=lambda got: got.endswith(b"\n\n"))
t.ok(answers(data) == ["OK"], "request split into 1-byte writes: OK", data)

# --- half-closed connection: still answered ---
data, closed = exchange(ep, req(LISTED), 5, shut=True)
t.ok(answers(data) == ["OK"] and closed, "half-closed after a request: answered, then closed", data)

# --- limits exactly at 4 KiB / 64 KiB ---
line = b"x=" + b"v" * 4094 + b"\n"            # 4096 bytes + '\n'
data, _ = exchange(ep, line + req(LISTED), 10, done=lambda got: got.endswith(b"\n\n"))
t.ok(answers(data) == ["OK"], "a 4096-byte line is accepted", data[:80])
base = req(LISTED)
fill = 65536 - len(base)
pad = b"".join(b"y=" + b"v" * 997 + b"\n" for _ in range(fill // 1000))
rest = fill - len(pad)
pad += b"z=" + b"v" * (rest - 3) + b"\n"
data, _ = exchange(ep, pad + base, 10, done=lambda got: got.endswith(b"\n\n"))
t.ok(len(pad + base) == 65536 and answers(data) == ["OK"], "a 65536-byte request is accepted",
     "%d bytes: %r" % (len(pad + base), data[:80]))

# --- malformed input: closed, no answer, never OK ---
malformed = {
    "line over 4 KiB": b"x=" + b"v" * 4095 + b"\n" + req(LISTED),
    "line over 4 KiB without newline": b"client_address=" + LISTED.encode() + b"\nx=" + b"v" * 8000,
    "request over 64 KiB": b"y=" + b"v" * 997 + b"\n" + pad + base,
    "line without '='": b"client_address=" + LISTED.encode() + b"\nhello\n\n",
    "NUL byte": req(LISTED).replace(b"client_name=unknown", b"client_name=un\0known"),
    "NUL byte at the end": req(LISTED)[:-1] + b"\0\n",
    "binary garbage": bytes(range(256)) * 8 + b"\n\n",
    "empty attribute name": b"client_address=" + LISTED.encode() + b"\n=x\n\n",
}
for name, payload in malformed.items():
    data, closed = exchange(ep, payload, 5)
    t.ok(data == b"" and closed, "malformed (%s): closed without an answer" % name, data[:100])
data, closed = exchange(ep, req(LISTED) + b"junk\n\n" + req(LISTED), 5)
t.ok("OK" not in answers(data)[1:] and closed,
     "pipelined request after a malformed one is never answered", data)
t.ok(answers(data)[:1] == ["OK"],
     "the well-formed request before a malformed one in the same write is answered", data)

# --- a client that never reads ---
flood = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
flood.connect(ep[5:])
flood.setblocking(False)
one = req(UNLISTED)
sent = 0
stuck_since = None
start = time.monotonic()
while time.monotonic() - start < 20:
    try:
        sent += flood.send(one * 64)
        stuck_since = None
    except BlockingIOError:
        if stuck_since is None:
            stuck_since = time.monotonic()
        elif time.monotonic() - stuck_since > 0.5:
            break
        time.sleep(0.01)
t.note("a never-reading client pushed %d bytes before the daemon stopped reading" % sent)
t.ok(d.policy(LISTED) == "OK", "other clients are answered while one never reads")
rss = "VmRSS unknown"
try:
    with open("/proc/%d/status" % pid) as f:
        rss = [l for l in f if l.startswith("VmRSS")][0].strip()
except (OSError, IndexError, TypeError):
    pass
t.note("serve worker %s" % rss)
flood.setblocking(True)
flood.settimeout(30)
got = b""
start = time.monotonic()
closed = False
try:
    while True:
        c = flood.recv(1 << 20)
        if not c:
            closed = True
            break
        got += c
except (ConnectionResetError, socket.timeout) as e:
    closed = isinstance(e, ConnectionResetError)
flood.close()
acts = set(answers(got))
t.ok(closed, "the never-reading client is closed (idle timeout)")
t.ok(acts <= {"DUNNO"}, "it got nothing but DUNNO", acts)

# --- "relay allowed" once per login ---
add(d, "198.51.100.9")
for _ in range(5):
    d.policy("198.51.100.9")
n1 = d.log().count("relay allowed for 198.51.100.9 ")
time.sleep(1.1)
add(d, "198.51.100.9")
for _ in range(3):
    d.policy("198.51.100.9")
n2 = d.log().count("relay allowed for 198.51.100.9 ")
t.ok(n1 == 1 and n2 == 2, "first OK after each login logged once (%d, %d)" % (n1, n2))

# --- idle timeout ---
s = d.connect()
start = time.monotonic()
s.settimeout(30)
try:
    closed = s.recv(10) == b""
except ConnectionResetError:
    closed = True
except socket.timeout:
    closed = False
s.close()
t.ok(closed, "idle connection closed (idle_timeout 2s)")
t.note("idle connection closed after %.2fs" % (time.monotonic() - start))

t.ok(serve_pid(d) == pid, "serve worker never restarted")
t.ok(d.stop() == 0, "daemon stops with status 0", d.log())
t.ok(crash_free(d), "no crash or sanitizer report", d.log())
t.finish()
