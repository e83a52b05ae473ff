#!/usr/bin/python3
"""crowd.t - many hostile connections at once on the real daemon (unix and
inet:127.0.0.1 listeners): 10 000 concurrent idle connections, closed at
idle_timeout (3s) and never before (a tenth of them after a partial
request); 1000 slow clients sending one byte a
second meanwhile, kept open and answered right (request_timeout is set
long here: tests/race/slow.t tests it); connections over max_clients
closed at once (the one whose request has been incomplete longest makes
room), never queued. A well-behaved client checks
every answer throughout; the serve worker's peak RSS is reported."""

import os
import selectors
import sys
import time

import hostilelib as hl  # noqa: E402
from hostilelib import pt, LISTED  # noqa: E402

N_IDLE = 10000
N_SLOW = 1000
SLOW_SECONDS = 12
IDLE_TIMEOUT = 3

t = pt.Tap()
limit = hl.raise_nofile(N_IDLE + N_SLOW + 500)
if limit < N_IDLE + N_SLOW + 200:
    N_IDLE = max(100, limit - N_SLOW - 300)
    t.note("RLIMIT_NOFILE hard limit %d: only %d idle connections" % (limit, N_IDLE))


def slow_ip(i):
    return LISTED if i % 2 == 0 else "203.0.113.%d" % (i % 250 + 1)


def open_crowd(eps, n, partial=0):
    """n connections spread over eps: [(socket, time of the last byte)];
    every PARTIAL-th one (0: none) sends the start of a request first"""
    conns = []
    for i in range(n):
        s = hl.connect_nb(eps[i % len(eps)])
        if partial and i % partial == 1:
            s.send(b"request=smtpd_access_policy\nclient_addr")
        conns.append((s, time.monotonic()))
    return conns


def run_slow_and_watch_idle(idle, slow, sel):
    """one byte a second on every slow socket for SLOW_SECONDS while the
    idle sockets are watched for their close; returns (closed idle
    {index: seconds after connect}, slow closed early, idle sockets that
    got data)"""
    closed, slow_dead, idle_data = {}, set(), 0
    for i, (s, _) in enumerate(idle):
        sel.register(s, selectors.EVENT_READ, ("idle", i))
    for i, s in enumerate(slow):
        sel.register(s, selectors.EVENT_READ, ("slow", i))
    start = time.monotonic()
    tick = 0
    while time.monotonic() < start + SLOW_SECONDS:
        next_tick = start + tick
        if time.monotonic() >= next_tick:
            for i, s in enumerate(slow):
                if i not in slow_dead:
                    try:
                        s.send(hl.short_request(slow_ip(i))[tick:tick + 1])
                    except OSError:
                        slow_dead.add(i)
            tick += 1
            continue
        for key, _ in sel.select(max(0.0, next_tick - time.monotonic())):
            kind, i = key.data
            got, gone = hl.recv_all(key.fileobj)
            if kind == "idle":
                idle_data += len(got) > 0
                if gone:
                    closed[i] = time.monotonic() - idle[i][1]
                    sel.unregister(key.fileobj)
            elif gone or got:
                slow_dead.add(i)
                sel.unregister(key.fileobj)
    return closed, slow_dead, idle_data


def wait_rest_closed(idle, closed, sel, timeout):
    end = time.monotonic() + timeout
    while len(closed) < len(idle) and time.monotonic() < end:
        for key, _ in sel.select(0.5):
            kind, i = key.data
            if kind != "idle":
                continue
            _, gone = hl.recv_all(key.fileobj)
            if gone:
                closed[i] = time.monotonic() - idle[i][1]
                sel.unregister(key.fileobj)


def finish_slow(t, slow, slow_dead, sel):
    """send the rest of each slow request, check every answer"""
    wrong = []
    for i, s in enumerate(slow):
        if i in slow_dead:
            continue
        sel.unregister(s)
        s.setblocking(True)
        s.settimeout(20)
        try:
            s.sendall(hl.short_request(slow_ip(i))[SLOW_SECONDS:])
            got = pt.read_policy_answer(s)
        except OSError as e:
            got = repr(e)
        want = "OK" if slow_ip(i) == LISTED else "DUNNO"
        if got != want:
            wrong.append((i, want, got))
    t.ok(not wrong, "every slow client answered right once its request completed",
         wrong[:10])


def idle_and_slow():
    d, eps, pid = hl.start_daemon(idle_timeout="%ds" % IDLE_TIMEOUT, max_clients="20000",
                                  request_timeout="1h")  # only idle_timeout here
    checker = hl.Checker(eps)
    time.sleep(0.3)
    base_fds = hl.fd_count(pid)
    hl.report_memory(t, pid, "before the crowd")
    start = time.monotonic()
    idle = open_crowd(eps, N_IDLE, partial=10)
    opened = time.monotonic() - start
    accepted, waited = pt.wait_until(lambda: hl.fd_count(pid) >= base_fds - 2 + N_IDLE, 30, 0.05)
    t.ok(accepted, "%d idle connections open at once in the serve worker (%d fds)"
         % (N_IDLE, hl.fd_count(pid)))
    t.note("%d connections opened in %.2fs, all accepted %.2fs later"
           % (N_IDLE, opened, waited))
    hwm = hl.report_memory(t, pid, "%d idle connections" % N_IDLE)
    slow = [s for s, _ in open_crowd(eps, N_SLOW)]
    sel = selectors.DefaultSelector()
    closed, slow_dead, idle_data = run_slow_and_watch_idle(idle, slow, sel)
    t.ok(not slow_dead, "%d slow clients (1 byte/s for %ds) never closed by idle_timeout"
         % (N_SLOW, SLOW_SECONDS), "%d closed" % len(slow_dead))
    finish_slow(t, slow, slow_dead, sel)
    wait_rest_closed(idle, closed, sel, 10 * IDLE_TIMEOUT)
    t.ok(len(closed) == len(idle), "every idle connection closed by the daemon",
         "%d of %d closed" % (len(closed), len(idle)))
    t.ok(idle_data == 0, "idle connections got no bytes")
    if closed:
        times = sorted(closed.values())
        t.ok(times[0] >= IDLE_TIMEOUT - 0.1, "no idle connection closed before idle_timeout",
             "first closed after %.2fs" % times[0])
        t.note("idle connections closed %.2fs .. %.2fs after connecting (median %.2fs)"
               % (times[0], times[-1], times[len(times) // 2]))
    hl.checker_ok(t, checker.mark("idle+slow"), "%d idle + %d slow" % (N_IDLE, N_SLOW))
    hwm = hl.report_memory(t, pid, "after idle+slow")
    t.note("PEAK serve worker VmHWM under %d connections: %d kB (%s build)"
           % (N_IDLE, hwm, hl.build_kind(pid)))
    for s in slow:
        s.close()
    for s, _ in idle:
        s.close()
    sel.close()
    back, _ = pt.wait_until(lambda: hl.fd_count(pid) <= base_fds, 30, 0.05)
    t.ok(back, "serve worker back to %d fds once the crowd is gone (no fd leak)" % base_fds,
         "%d fds" % hl.fd_count(pid))
    checker.stop()
    crowd = open_crowd(eps, N_IDLE, partial=2)
    pt.wait_until(lambda: hl.fd_count(pid) >= base_fds - 2 + N_IDLE, 30, 0.05)
    start = time.monotonic()
    t.ok(d.stop() == 0 and hl.crash_free(d),
         "daemon stops cleanly on TERM with %d clients connected" % N_IDLE, d.log()[-3000:])
    t.note("stopped %.2fs after TERM" % (time.monotonic() - start))
    for s, _ in crowd:
        s.close()


def poll_refused(conns, refused, timeout):
    """wait for the daemon to close connections: {index: seconds} of those
    closed, and the indexes of those that got data"""
    sel = selectors.DefaultSelector()
    for i, (s, _) in enumerate(conns):
        if i not in refused:
            sel.register(s, selectors.EVENT_READ, i)
    data = set()
    end = time.monotonic() + timeout
    while time.monotonic() < end and len(refused) < len(conns):
        events = sel.select(0.2)
        if not events and len(refused) >= len(conns) - MAX:
            break
        for key, _ in events:
            got, gone = hl.recv_all(key.fileobj)
            if got:
                data.add(key.data)
            if gone:
                refused[key.data] = time.monotonic() - conns[key.data][1]
                sel.unregister(key.fileobj)
    sel.close()
    return data


MAX = 100
N_OVER = 300


def over_max_clients():
    d, eps, pid = hl.start_daemon(idle_timeout="60s", max_clients=str(MAX))
    checker = hl.Checker(eps)
    time.sleep(0.5)
    hl.checker_ok(t, checker.mark("warm"), "max_clients %d, before the crowd" % MAX)
    conns = open_crowd(eps, N_OVER)
    refused = {}
    data = poll_refused(conns, refused, 30)
    t.ok(len(refused) >= N_OVER - MAX, "connections over max_clients (%d) closed at accept: %d of %d"
         % (MAX, len(refused), N_OVER))
    t.ok(not data, "refused connections got no bytes", sorted(data)[:10])
    if refused:
        t.note("refused connections closed at most %.3fs after connecting"
               % max(refused.values()))
    held = [i for i in range(N_OVER) if i not in refused]
    wrong = []
    for i in held:
        s = conns[i][0]
        s.setblocking(True)
        s.settimeout(20)
        try:
            s.sendall(hl.short_request(LISTED))
            got = pt.read_policy_answer(s)
        except OSError as e:
            got = repr(e)
        if got != "OK":
            wrong.append((i, got))
    t.ok(len(held) <= MAX and not wrong,
         "the %d connections kept (max_clients %d, checker holds 2) all answered, none queued"
         % (len(held), MAX), wrong[:10])
    hl.checker_ok(t, checker.mark("full"), "max_clients full", refusals_expected=True)
    t.ok("max_clients" in d.log(), "refusal logged")
    for s, _ in conns:
        s.close()
    checker.stop()
    t.ok(d.stop() == 0 and hl.crash_free(d), "daemon stops cleanly", d.log()[-3000:])


idle_and_slow()
over_max_clients()
t.finish()
