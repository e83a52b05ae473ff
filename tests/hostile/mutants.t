#!/usr/bin/python3
"""mutants.t - thousands of near-miss spellings of listed addresses
(characters replaced, inserted, deleted; v4-mapped and zero-padded forms,
scope ids, prefixes, blanks), pipelined over the policy and socketmap
listeners of the real daemon. OK exactly when the text is an address that
is listed (Python's ipaddress is the referee; v4-mapped IPv6 counts as the
IPv4 address), never otherwise."""

import ipaddress
import os
import random
import socket
import sys

import hostilelib as hl  # noqa: E402
from hostilelib import pt, LISTED  # noqa: E402

LISTED6 = "2001:db8::7"
SEEDS = [LISTED, "::ffff:" + LISTED, "::ffff:c000:207", "0:0:0:0:0:ffff:c000:0207",
         LISTED6, "2001:0db8:0:0:0:0:0:7", "2001:db8:0::0:7"]
ALPHABET = "0123456789abcdefABCDEF:.%/ x[]-+\t"
N_MUTANTS = 4000
LISTED_SET = {ipaddress.ip_address(LISTED), ipaddress.ip_address(LISTED6)}

t = pt.Tap()
SEED = int(os.environ.get("POPGATE_SEED") or random.SystemRandom().randrange(1 << 32))
rng = random.Random(SEED)
t.note("mutants from POPGATE_SEED=%d (set it to replay)" % SEED)


def mutate(s):
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        i = rng.randrange(len(s) + 1)
        op = rng.randrange(6)
        c = rng.choice(ALPHABET)
        if op == 0 and s:
            s = s[:i] + c + s[i + 1:]
        elif op == 1:
            s = s[:i] + c + s[i:]
        elif op == 2 and len(s) > 1:
            s = s[:i] + s[i + 1:]
        elif op == 3:
            s = s + rng.choice(("%eth0", "/32", "/128", " ", ".", ":0", "0"))
        elif op == 4:
            s = rng.choice((" ", "0", "::", "[")) + s
        else:
            s = s.upper()
    return s


def listed(text):
    """is TEXT, as an address, one that is listed?"""
    try:
        a = ipaddress.ip_address(text)
    except ValueError:
        return False
    if a.version == 6 and getattr(a, "scope_id", None):
        return False
    if a.version == 6 and a.ipv4_mapped is not None:
        a = a.ipv4_mapped
    return a in LISTED_SET


def mutants():
    out = set(SEEDS)
    while len(out) < N_MUTANTS:
        out.add(mutate(rng.choice(SEEDS)))
    return sorted(out)


def pipeline(ep, payload):
    """send everything, half-close, read until the daemon closes"""
    s = pt.connect_endpoint(ep, 30)
    s.settimeout(30)
    got = []
    try:
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        while True:
            c = s.recv(1 << 16)
            if not c:
                break
            got.append(c)
    finally:
        s.close()
    return b"".join(got)


def netstrings(data):
    out = []
    while data:
        n, _, rest = data.partition(b":")
        if not n.isdigit() or len(rest) < int(n) + 1:
            break
        out.append(rest[:int(n)].decode(errors="replace"))
        data = rest[int(n) + 1:]
    return out


def judge(t, proto, texts, got, ok_word):
    want = [listed(x) for x in texts]
    false_ok = [x for x, w, g in zip(texts, want, got) if g == ok_word and not w]
    missed = [x for x, w, g in zip(texts, want, got) if g != ok_word and w]
    t.ok(len(got) == len(texts), "%s: every one of %d mutants answered" % (proto, len(texts)),
         "%d answers" % len(got))
    t.ok(not false_ok, "%s: never OK for a text that is not a listed address" % proto,
         false_ok[:20])
    t.ok(not missed, "%s: OK for every spelling of a listed address (%d of them)"
         % (proto, sum(want)), missed[:20])


tmp = pt.temp_dir()
sm = "unix:" + os.path.join(tmp, "socketmap.sock")
d, eps, pid = hl.start_daemon(tmp, socketmap_listen=sm)
hl.add(d, LISTED6)
texts = mutants()
t.note("%d distinct mutants, %d of them listed spellings" % (len(texts), sum(map(listed, texts))))
for ep in eps:
    data = pipeline(ep, b"".join(hl.short_request(x) for x in texts))
    judge(t, "policy " + ep.split(":")[0], texts, hl.answers(data), "OK")
payload = b"".join(b"%d:popgate %s," % (len(x) + 8, x.encode()) for x in texts)
replies = netstrings(pipeline(sm, payload))
judge(t, "socketmap", texts, [r.split(" ")[0] for r in replies], "OK")
t.ok(d.stop() == 0 and hl.crash_free(d), "daemon stops cleanly", d.log()[-3000:])
t.finish()
