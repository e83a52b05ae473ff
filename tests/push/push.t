#!/usr/bin/python3
"""push.t - the Dovecot auth-policy listener of the real daemon, spoken to
directly: allow and report answers, keep-alive and pipelining, the API
header (401, nothing recorded), the shared rules (ignore_networks,
ipv6_prefix), every kind of malformed input (400 and close), oversize
bodies, slow and silent clients, random garbage, a stopped ingest (the
channel fills: reports dropped and counted, answers never delayed) and
the configuration checks. Never asserts a timing."""

import json
import os
import random
import signal
import socket
import subprocess
import time

from racelib import pt, DEADLINE, counters, worker_pid, flushed

KEY = "X-API-Key: push-test-secret"
OK_BODY = b'{"status":0,"msg":""}'

t = pt.Tap()
tmp = pt.temp_dir()
port = pt.free_port()
d = pt.Daemon(tmp, dovecot_policy_listen="inet:127.0.0.1:%d" % port,
              dovecot_policy_api_header=KEY, ignore_networks="10.0.0.0/8",
              ipv6_prefix="64", request_timeout="2s")
pt.append(d.log_file, "")
d.start(args=["-v"])


def report(remote, success=True, login="alice", protocol="pop3", **extra):
    body = {"device_id": "", "login": login, "protocol": protocol,
            "pwhash": "0d09", "remote": remote, "session_id": "pW88XJthoet",
            "success": success, "policy_reject": False, "tls": False}
    body.update(extra)
    return json.dumps(body).encode()


def request(cmd, body=b"", header=KEY, extra=""):
    head = "POST /?command=%s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % cmd
    if header:
        head += header + "\r\n"
    head += "%sContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (
        extra, len(body))
    return head.encode() + body


def connect():
    return pt.connect_endpoint("inet:127.0.0.1:%d" % port, DEADLINE)


_pending = {}


def read_response(s, check_close=True):
    """(status code, body, closed after it) of one response; (None, ...)
    when the daemon closed without one. Bytes of a next response are kept
    for the next call. CHECK_CLOSE: wait 0.2 s for a close after it"""
    data = _pending.pop(s, b"")
    closed = False
    while not closed and b"\r\n\r\n" not in data:
        try:
            c = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            c = b""
        closed = not c
        data += c
    if b"\r\n\r\n" not in data:
        return None, data, True
    head, _, rest = data.partition(b"\r\n\r\n")
    length = int([l.split(b":")[1] for l in head.split(b"\r\n")
                  if l.lower().startswith(b"content-length:")][0])
    while len(rest) < length and not closed:
        c = s.recv(65536)
        closed = not c
        rest += c
    body, rest = rest[:length], rest[length:]
    if rest or not check_close:
        if rest:
            _pending[s] = rest
        return int(head.split(b" ")[1]), body, closed
    s.settimeout(0.2)
    try:
        closed = closed or s.recv(1, socket.MSG_PEEK) == b""
    except (socket.timeout, BlockingIOError):
        closed = False
    except ConnectionResetError:
        closed = True
    s.settimeout(DEADLINE)
    return int(head.split(b" ")[1]), body, closed


def exchange(data):
    s = connect()
    try:
        s.sendall(data)
        return read_response(s)
    except (BrokenPipeError, ConnectionResetError):
        return None, b"", True
    finally:
        s.close()


def listed():
    return {r["ip"]: r for r in d.dump_json(all=False)}


def recorded(ip):
    return pt.wait_until(lambda: ip in listed(), DEADLINE, 0.02)


# --- allow, report, keep-alive ---
s = connect()
s.sendall(request("allow", report("192.0.2.1")))
code, body, closed = read_response(s)
t.ok(code == 200 and body == OK_BODY and not closed,
     "allow: 200 %s, connection kept" % OK_BODY.decode(), (code, body, closed))
s.sendall(request("report", report("192.0.2.2", login="bob", protocol="imap")))
code, body, closed = read_response(s)
t.ok(code == 200 and body == OK_BODY and not closed,
     "report on the same connection: 200", (code, body, closed))
ok, elapsed = recorded("192.0.2.2")
t.ok(ok, "a reported login is recorded (%.3fs)" % elapsed)
r = listed().get("192.0.2.2", {})
t.ok(r.get("user") == "bob" and r.get("service") == "imap",
     "record: user bob, service imap", r)
t.ok("192.0.2.1" not in listed(), "allow records nothing")
s.sendall(request("report", report("192.0.2.3")) +
          request("report", report("192.0.2.4")))
got = [read_response(s)[0], read_response(s)[0]]
t.ok(got == [200, 200], "two pipelined reports: both answered", got)
t.ok(recorded("192.0.2.3")[0] and recorded("192.0.2.4")[0],
     "both pipelined reports recorded")
s.close()

# --- failures, the header, the shared rules ---
code, _, _ = exchange(request("report", report("192.0.2.5", success=False)))
t.ok(code == 200, "a failed login's report: 200")
s = connect()
s.sendall(request("report", report("192.0.2.6"), header=None))
code, _, closed = read_response(s)
t.ok(code == 401 and not closed, "no API header: 401, connection kept",
     (code, closed))
s.sendall(request("report", report("192.0.2.7"), header="x-api-key: wrong"))
code, _, _ = read_response(s)
t.ok(code == 401, "wrong API header value: 401", code)
s.sendall(request("report", report("192.0.2.8"),
                  header="x-API-key:   push-test-secret"))
code, _, _ = read_response(s)
t.ok(code == 200, "header name in another case, blanks around the value: 200",
     code)
s.close()
code, _, _ = exchange(request("report", report("10.1.2.3")))
code6, _, _ = exchange(request("report", report("2001:db8:1:2::5")))
t.ok(code == 200 and code6 == 200, "ignored network and IPv6 reports: 200")
t.ok(recorded("192.0.2.8")[0] and recorded("2001:db8:1:2::/64")[0],
     "the IPv6 login is recorded as its /64 (ipv6_prefix)", sorted(listed()))
rows = listed()
t.ok(not any(ip in rows for ip in ("192.0.2.5", "192.0.2.6", "192.0.2.7",
                                   "10.1.2.3")),
     "nothing recorded for a failure, a missing or wrong header, an "
     "ignored network", sorted(rows))
t.ok(d.policy("192.0.2.8") == "OK" and d.policy("2001:db8:1:2::77") == "OK",
     "pushed logins authorize relaying (policy OK)")

# --- malformed: 400 and close ---
bad = {
    "garbage": b"\x00\x01\x02 not http at all\r\n\r\n",
    "GET": b"GET /?command=allow HTTP/1.1\r\n\r\n",
    "no command": request("nothing").replace(b"command=nothing", b"x=1"),
    "unknown command": request("reject"),
    "not JSON": request("report", b"{not json"),
    "JSON array": request("report", b"[1,2]"),
    "trailing bytes after JSON": request("report", report("192.0.2.9") + b"x"),
    "success without remote": request("report", b'{"success":true}'),
    "remote not an address": request("report", report("192.0.2.9x")),
    "remote a number": request("report", b'{"success":true,"remote":7}'),
    "chunked": b"POST /?command=report HTTP/1.1\r\nTransfer-Encoding: "
               b"chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "body over 64 KiB": b"POST /?command=report HTTP/1.1\r\nContent-Length: "
                        b"65537\r\n\r\n",
    "head over 8 KiB": b"POST /?command=report HTTP/1.1\r\nX: " + b"a" * 9000,
    "HTTP/2 preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
}
for name, data in bad.items():
    code, _, closed = exchange(data)
    t.ok(code == 400 and closed, "%s: 400 and closed" % name, (code, closed))
t.ok("192.0.2.9" not in listed(), "no malformed report was recorded")
big = report("192.0.2.10")
big = big[:-1] + b' ' * (65536 - len(big)) + b'}'
code, _, _ = exchange(request("report", big))
t.ok(code == 200 and recorded("192.0.2.10")[0],
     "a report of exactly 64 KiB is accepted and recorded", code)
code, _, closed = exchange(request("allow", extra="Connection: close\r\n"))
t.ok(code == 200 and closed, "Connection: close: answered, then closed")

# --- slow and silent clients, random garbage ---
s = connect()
t0 = time.monotonic()
data = request("report", report("192.0.2.11"))
try:
    for b in data:
        s.send(bytes([b]))
        time.sleep(0.5)
except OSError:
    pass
code, _, closed = read_response(s)
t.ok(code is None and closed, "a client sending a byte every 0.5 s is closed "
     "without an answer (after %.2fs, request_timeout 2s)"
     % (time.monotonic() - t0), code)
s.close()
rnd = random.Random(16)
for i in range(200):
    blob = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 3000)))
    if i % 2:
        blob = request("report")[:rnd.randrange(60)] + blob
    try:
        s = connect()
        s.sendall(blob)
        s.shutdown(socket.SHUT_WR)
        s.recv(4096)
        s.close()
    except OSError:
        pass
code, _, _ = exchange(request("allow"))
t.ok(code == 200 and d.proc.poll() is None,
     "after 200 connections of random bytes the listener still answers")

# --- ingest stopped: the channel fills, answers never wait ---
ingest = worker_pid(d, "ingest")
before = counters(d).get("logins_recorded", 0)
os.kill(ingest, signal.SIGSTOP)
try:
    s = connect()
    t0 = time.monotonic()
    codes = []
    for i in range(3000):
        s.sendall(request("report", report("198.51.%d.%d" % (i // 250, i % 250 + 1))))
        codes.append(read_response(s, False)[0])
    took = time.monotonic() - t0
    s.close()
finally:
    os.kill(ingest, signal.SIGCONT)
t.ok(codes == [200] * 3000, "ingest stopped: 3000 reports all answered 200 "
     "(%.2fs)" % took, set(codes))
flushed(d)
c = counters(d)
t.ok(c.get("push_dropped", 0) > 0 and
     c.get("logins_recorded", 0) - before + c.get("push_dropped", 0) >= 3000,
     "what did not fit in the channel was dropped and counted "
     "(recorded %d, dropped %d)" % (c.get("logins_recorded", 0) - before,
                                    c.get("push_dropped", 0)), c)
t.ok(c.get("push_reports", 0) >= 3000 and c.get("push_unauthorized", 0) == 2 and
     c.get("push_malformed", 0) >= len(bad),
     "counters: push_reports %d, push_unauthorized %d, push_malformed %d"
     % (c.get("push_reports", 0), c.get("push_unauthorized", 0),
        c.get("push_malformed", 0)), c)
t.ok(d.stop() == 0 and "AddressSanitizer" not in d.log(),
     "daemon stops cleanly", d.log()[-3000:])

# --- configuration ---
for text, want in [
        ("dovecot_policy_listen = inet:0.0.0.0:%d\n" % port,
         ":1: dovecot_policy_listen: not on loopback, so "
         "dovecot_policy_api_header is required"),
        ("dovecot_policy_listen = unix:/tmp/x.sock\n", ":1: dovecot_policy_listen: "
         "expected inet:HOST:PORT"),
        ("dovecot_policy_api_header = no colon\n", ":1: dovecot_policy_api_header: "
         "bad header"),
        ("dovecot_policy_listen = inet:127.0.0.1:1, inet:127.0.0.1:2\n",
         ":1: dovecot_policy_listen: one endpoint only")]:
    conf = os.path.join(tmp, "bad.conf")
    pt.append(conf, text, "w")
    r = subprocess.run([pt.POPGATED, "-n", "-c", conf], capture_output=True,
                       text=True)
    t.ok(r.returncode == 1 and conf + want in r.stderr,
         "config error reported: %s" % want.split(": ", 1)[1], r.stderr)
conf = os.path.join(tmp, "good.conf")
pt.append(conf, "dovecot_policy_listen = inet:[::]:%d\n"
          "dovecot_policy_api_header = %s\n" % (port, KEY), "w")
r = subprocess.run([pt.POPGATED, "-n", "-c", conf], capture_output=True, text=True)
t.ok(r.returncode == 0 and "dovecot_policy_listen = inet:[::]:%d\n" % port in r.stdout
     and "dovecot_policy_api_header = %s\n" % KEY in r.stdout,
     "-n prints both keys", r.stdout + r.stderr)
t.finish()
