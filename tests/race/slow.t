#!/usr/bin/python3
"""slow.t - request_timeout with the real daemon: 1000 clients that send
one byte a second (and reconnect at once whenever they are closed) fill
every max_clients slot of an inet listener; a normal client still gets
its answer (the slowest request makes room for it, and every request
times out), the slow ones are closed without an answer (closed_slow), a
client idle between requests is not, and the daemon keeps running.
Times are printed, never asserted as bounds."""

import resource
import selectors
import socket
import time

from racelib import pt, DEADLINE, counters, flushed

SLOW = 1000
TIMEOUT = 2		# request_timeout, seconds

t = pt.Tap()
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = min(hard, 4 * SLOW + 256)
if soft < want:
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
port = pt.free_port()
d = pt.Daemon(pt.temp_dir(), policy_listen="inet:127.0.0.1:%d" % port,
              request_timeout="%ds" % TIMEOUT, max_clients=str(SLOW),
              idle_timeout="1h")
pt.append(d.log_file, "")
d.start()
REQ = pt.policy_request("192.0.2.50")


class Slow:
    """SLOW connections dribbling REQ one byte a second; a closed one is
    replaced at once"""

    def __init__(self):
        self.sel = selectors.DefaultSelector()
        self.pos = {}
        self.closed = 0
        self.answered = 0
        for _ in range(SLOW):
            self.open()

    def open(self):
        s = socket.socket()
        s.settimeout(DEADLINE)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            pass	# its send fails: replaced
        s.setblocking(False)
        self.pos[s] = 0
        self.sel.register(s, selectors.EVENT_READ)

    def drop(self, s):
        self.sel.unregister(s)
        del self.pos[s]
        s.close()
        self.closed += 1
        self.open()

    def tick(self):
        """one byte on every connection"""
        for s in list(self.pos):
            try:
                s.send(REQ[self.pos[s]:self.pos[s] + 1])
                self.pos[s] = min(self.pos[s] + 1, len(REQ) - 2)
            except OSError:
                self.drop(s)

    def poll(self, seconds):
        for key, _ in self.sel.select(seconds):
            try:
                data = key.fileobj.recv(4096)
            except OSError:
                data = b""
            if data:
                self.answered += 1
            self.drop(key.fileobj)

    def close(self):
        for s in list(self.pos):
            self.sel.unregister(s)
            s.close()
        self.pos.clear()


# a client that connected first and stays idle between requests
idle = d.connect(DEADLINE)
t.ok(pt.read_policy_answer(idle) if idle.sendall(REQ) is None else None,
     "an early client is answered")

slow = Slow()
start = time.monotonic()
next_tick = start
answer, tries, elapsed, first = None, 0, None, None
while time.monotonic() - start < DEADLINE * 4 and answer is None:
    now = time.monotonic()
    if now >= next_tick:
        slow.tick()
        next_tick += 1.0
    slow.poll(0.05)
    if now - start < 1.5:
        continue	# let the slow clients take every slot first
    tries += 1
    first = first or time.monotonic()
    try:
        c = pt.connect_endpoint("inet:127.0.0.1:%d" % port, 1)
        c.sendall(pt.policy_request("192.0.2.51"))
        answer = pt.read_policy_answer(c) or None
        c.close()
    except OSError:
        answer = None
    elapsed = time.monotonic() - first
t.ok(answer == "DUNNO", "with %d slow clients holding every slot, a normal "
     "client is answered (at try %d, %.3fs after its first; "
     "request_timeout %ds)" % (SLOW, tries, elapsed, TIMEOUT), answer)
t.ok(slow.answered == 0, "no slow client got an answer (%d closed)"
     % slow.closed, slow.answered)
slow.close()

idle.sendall(REQ)
t.ok(pt.read_policy_answer(idle) == "DUNNO", "the idle early client is "
     "still connected and answered")

# a client that connects and says nothing is closed after request_timeout
silent = d.connect(DEADLINE)
silent.settimeout(DEADLINE * 3)
t0 = time.monotonic()
try:
    data = silent.recv(100)
except OSError:
    data = None
t.ok(data == b"", "a silent client is closed without an answer (after "
     "%.2fs, request_timeout %ds)" % (time.monotonic() - t0, TIMEOUT), data)
t.ok(flushed(d), "ingest commits")
c = counters(d)
t.ok(c.get("closed_slow", 0) >= SLOW, "closed_slow counts the slow clients "
     "(%d; refused_max_clients %d)" % (c.get("closed_slow", 0),
                                       c.get("refused_max_clients", 0)), c)
t.ok(d.proc.poll() is None and d.stop() == 0, "daemon ran throughout and "
     "stops cleanly", d.log()[-3000:])
t.finish()
