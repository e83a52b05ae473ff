#!/usr/bin/python3
"""Issue 19 class 1: a file cut back to a smaller size (keeping its first
lines), then grown past the old offset, while popgated runs, while its
reader is stalled (SIGSTOP) and while it is stopped. The lines kept are
not read again, the lines written after the cut are not skipped: every
login exactly once. Also cut back to 0 and refilled past the offset
(while stopped, with no copy beside it, that is warned about)."""
import os

import rotlib  # noqa: E402

pt = rotlib.pt
tap = pt.Tap()


def case(mode, keep_lines, net):
    d, log = rotlib.started(tap)
    a = rotlib.first_logins(tap, d, log, net, mode, 6)
    with open(log, "rb") as f:
        lines = f.readlines()
    size = sum(len(x) for x in lines[:keep_lines])
    b = rotlib.ips(net, 101, 6)
    with rotlib.Across(tap, d, mode):
        os.truncate(log, size)
        if mode == "running":
            ok, t = pt.wait_until(lambda: rotlib.counter(d, "truncations") >= 1, 30)
            tap.ok(ok, "running: the cut is seen (%.3fs)" % t)
        pt.append(log, rotlib.logins(b))
        assert os.path.getsize(log) > sum(len(x) for x in lines)
    rotlib.recorded_once(tap, d, a + b, "%s, cut to %d lines" % (mode, keep_lines))
    # stopped, emptied and refilled, no copy beside it: whether lines were
    # written after the saved offset before the cut cannot be told: warned
    unknown = mode == "stopped" and keep_lines == 0
    tap.ok(rotlib.counter(d, "positions_reset") == int(unknown),
           "%s: positions_reset %d" % (mode, int(unknown)))
    tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())


nets = iter(["192.0.2", "198.51.100", "203.0.113", "192.0.2", "198.51.100", "203.0.113"])
for mode in rotlib.MODES:
    case(mode, 2, next(nets))
for mode in rotlib.MODES:
    case(mode, 0, next(nets))
tap.finish()
