#!/usr/bin/python3
"""A start with a large backlog says once, at info level, when the files
have been read to their end: how many lines and how long it took. A
start with a small backlog, and lines appended later, say nothing."""
import re
import time

import rotlib  # noqa: E402

pt = rotlib.pt
tap = pt.Tap()
BACKLOG = 120000
NOTE = re.compile(r"caught up: (\d+) backlog lines read in [0-9.]+ s "
                  r"\(\d+ lines/s\)")


def notes(d):
    return [int(m.group(1)) for m in NOTE.finditer(d.log())]


d = rotlib.daemon(start_at="beginning", window="365d")
now = time.time()
pt.append(d.log_file, "".join(pt.noise_line(i, t=now - 60) for i in range(BACKLOG)) +
          pt.login_line("192.0.2.40", t=now - 30))
rotlib.start(tap, d)
ok, t, _ = rotlib.wait_ips(d, ["192.0.2.40"], timeout=120)
tap.ok(ok, "the login at the end of a %d-line backlog recorded (%.3fs)"
       % (BACKLOG + 1, t))
got, t = pt.wait_until(lambda: notes(d), timeout=30)
tap.ok(got == [BACKLOG + 1], "one line says the backlog was read: %s (%.3fs)"
       % (got, t), d.log()[-600:])
rotlib.login_recorded(tap, d, "192.0.2.41", "a login appended later recorded")
pt.append(d.log_file, "".join(pt.noise_line(i) for i in range(2000)))
rotlib.login_recorded(tap, d, "192.0.2.42", "and one after 2000 more lines")
tap.ok(notes(d) == [BACKLOG + 1], "lines read live say nothing more")
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())

# a restart with only a few new lines to read: no note
pt.append(d.log_file, "".join(pt.noise_line(i) for i in range(100)) +
          pt.login_line("192.0.2.43"))
before = len(notes(d))
rotlib.start(tap, d)
ok, t, _ = rotlib.wait_ips(d, ["192.0.2.43"])
tap.ok(ok, "a login written while stopped recorded (%.3fs)" % t)
time.sleep(0.5)
tap.ok(len(notes(d)) == before, "a small backlog says nothing")
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())
tap.finish()
