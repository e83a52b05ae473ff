#!/usr/bin/python3
"""socketmap.t - the socketmap protocol on the real daemon (unix and inet
listeners): OK for a listed address (also Sendmail's Connect: keys),
NOTFOUND for everything else, PERM for malformed requests, pipelining,
1-byte writes, and broken netstrings closed without an answer."""

import os
import sys

from servelib import pt, add, exchange, crash_free, LISTED, UNLISTED  # noqa: E402


def ns(text):
    data = text.encode() if isinstance(text, str) else text
    return b"%d:%s," % (len(data), data)


def replies(data):
    """decode a stream of netstrings"""
    out = []
    while data:
        head, sep, rest = data.partition(b":")
        if not sep or not head.isdigit() or len(rest) < int(head) + 1:
            out.append(("TRAILING", data))
            break
        n = int(head)
        out.append(rest[:n].decode(errors="replace"))
        data = rest[n + 1:]
    return out


t = pt.Tap()
tmp = pt.temp_dir()
port = pt.free_port()
sm_unix = "unix:" + os.path.join(tmp, "socketmap.sock")
sm_inet = "inet:127.0.0.1:%d" % port
d = pt.Daemon(tmp, socketmap_listen="%s, %s" % (sm_unix, sm_inet),
              socketmap_value="RELAY")
d.start()
add(d, LISTED, "2001:db8::1")

cases = [
    ("popgate " + LISTED, "OK RELAY"),
    ("popgate 2001:db8::1", "OK RELAY"),
    ("popgate ::ffff:" + LISTED, "OK RELAY"),
    ("access Connect:" + LISTED, "OK RELAY"),
    ("access Connect:IPv6:2001:db8::1", "OK RELAY"),
    ("popgate " + UNLISTED, "NOTFOUND "),
    ("popgate mail.example.org", "NOTFOUND "),
    ("popgate 192.0.2", "NOTFOUND "),
    ("popgate 192.0", "NOTFOUND "),
    ("popgate [2001:db8::1]", "NOTFOUND "),
    ("access To:" + LISTED, "NOTFOUND "),
    ("popgate ", "NOTFOUND "),
    ("popgate" + LISTED, "PERM request without a space"),
    (" " + LISTED, "PERM empty map name"),
    ("", "PERM request without a space"),
]
for ep in (sm_unix, sm_inet):
    for q, want in cases:
        data, _ = exchange(ep, ns(q), 10, done=lambda got: len(replies(got)) == 1 and
                           not isinstance(replies(got)[0], tuple))
        t.ok(replies(data) == [want], "%s: %r -> %r" % (ep.split(":")[0], q, want), data)

# pipelined, and split into 1-byte writes
stream = b"".join(ns(q) for q, _ in cases)
data, closed = exchange(sm_unix, stream, 5, shut=True)
t.ok(replies(data) == [w for _, w in cases] and closed, "%d pipelined requests answered in order" % len(cases), data)
data, _ = exchange(sm_inet, ns("popgate " + LISTED), 10, chunk=1,
                   done=lambda got: got.endswith(b","))
t.ok(replies(data) == ["OK RELAY"], "request in 1-byte writes", data)
big = ns("popgate " + "x" * (10000 - 8))
data, _ = exchange(sm_unix, big, 10, done=lambda got: got.endswith(b","))
t.ok(replies(data) == ["NOTFOUND "], "a 10000-byte request is answered", data[:40])

# broken netstrings: closed without an answer
broken = {
    "non-digit length": b"1x:popgate 192.0.2.7,",
    "missing comma": b"17:popgate 192.0.2.7;",
    "over-long length": b"10001:" + b"x" * 10001 + b",",
    "six digits": b"000017:popgate 192.0.2.7,",
    "leading zero": b"017:popgate 192.0.2.7,",
    "binary garbage": bytes(range(256)),
    "empty length": b":x,",
}
for name, payload in broken.items():
    data, closed = exchange(sm_unix, payload, 5)
    t.ok(data == b"" and closed, "broken netstring (%s): closed, no answer" % name, data)
data, closed = exchange(sm_unix, ns("popgate " + UNLISTED) + b"5:abc", 3, shut=True)
t.ok(replies(data) == ["NOTFOUND "] and closed, "a partial netstring at EOF gets no answer", data)

t.ok(d.policy(LISTED) == "OK", "policy listener unaffected")
t.ok(d.stop() == 0 and crash_free(d), "daemon stops cleanly", d.log())
t.finish()
