#!/usr/bin/python3
"""Issue 19: a saved position whose file held only part of its first line
(a writer between two writes of one line) fingerprints those bytes only.
Syslog lines of one second share their first 30 bytes ("Dec  2 04:05:00
mail dovecot: "), so every file starting in that second "starts with"
that fingerprint. A sibling that is not the file was taken for its copy
and never read: here a file with logins moved into place, then rotated,
while popgated was stopped. Also while it runs (stalled), the file at
the path holding part of a line when two rotations pass. Every login
exactly once."""
import time

import rotlib  # noqa: E402
import stresslib  # noqa: E402

pt = rotlib.pt
tap = pt.Tap()


def case(mode, net):
    name = "part of a first line, %s" % mode
    d, log = rotlib.started(tap)
    a = rotlib.first_logins(tap, d, log, net, name)
    stamp = time.time()
    b = rotlib.ips(net, 10, 5)
    moved = "".join(pt.login_line(ip, t=stamp) for ip in b)
    rotlib.new_file_followed(tap, d, name, pt.login_line("%s.99" % net, t=stamp)[:30],
                             "the new file holding part of a line")
    with rotlib.Across(tap, d, mode):
        stresslib.rotate_move_in(log, moved)    # B: same second, same 30 bytes
        stresslib.rotate_rename(log)            # B's file is a sibling now
    c = rotlib.ips(net, 20, 3)
    pt.append(log, rotlib.logins(c))
    rotlib.recorded_once(tap, d, a + b + c, name)
    tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())


case("stopped", "192.0.2")
case("stalled", "198.51.100")
tap.finish()
