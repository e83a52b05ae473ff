#!/usr/bin/python3
"""copytruncate: the file shrinks under the same inode (tailer rule 3),
also when the writer refills it past the old offset before we look."""
import os
import shutil
import sys

import rotlib  # noqa: E402

pt = rotlib.pt
tap = pt.Tap()
d, log = rotlib.started(tap)

pt.append(log, pt.login_line("192.0.2.1") + pt.noise_line(1))
ok, t, _ = rotlib.wait_ips(d, ["192.0.2.1"])
tap.ok(ok, "login before copytruncate recorded (%.3fs)" % t)
shutil.copy(log, log + ".1")
with open(log, "r+") as f:
    f.truncate(0)
got = rotlib.login_recorded(tap, d, "192.0.2.2", "login after truncation recorded")
rotlib.exactly_once(tap, got, ["192.0.2.1", "192.0.2.2"], "each login exactly once")

# truncate and refill beyond the old offset in one go
size = os.path.getsize(log)
text = "".join(pt.login_line("192.0.2.%d" % i) for i in range(3, 8))
assert len(text) > size
with open(log, "r+") as f:
    f.truncate(0)
    f.write(text)
ips = ["192.0.2.%d" % i for i in range(1, 8)]
ok, t, got = rotlib.wait_ips(d, ips)
tap.ok(ok, "logins written right after truncation recorded (%.3fs)" % t)
rotlib.exactly_once(tap, got, ips, "refilled past the old offset: each login exactly once")
stats = d.dump("-s").stdout
tap.ok("truncations: 2" in stats, "two truncations counted", stats)
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())
tap.finish()
