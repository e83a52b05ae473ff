#!/usr/bin/python3
"""Issue 19 class 6: copytruncate with a writer that does not use
O_APPEND: its next line lands at its old offset, after a hole of NUL
bytes. The NUL run is padding (skipped, counted as nul_padding_skipped),
not glued to the line after it, also when the hole is longer than the
longest line kept (40 KB); popgated running, stalled (SIGSTOP) and
stopped: every login exactly once."""
import os
import shutil

import rotlib  # noqa: E402

pt = rotlib.pt
tap = pt.Tap()


class Writer:
    """a program that opened the log without O_APPEND and keeps its own
    file offset"""

    def __init__(self, path):
        self.fd = os.open(path, os.O_WRONLY)
        os.lseek(self.fd, 0, os.SEEK_END)

    def write(self, text):
        os.write(self.fd, text.encode())

    def close(self):
        os.close(self.fd)


def case(mode, net, size):
    name = "%s, %d bytes before the hole" % (mode, size)
    d, log = rotlib.started(tap)
    w = Writer(log)
    filler = ""
    while len(filler) < size:
        filler += pt.noise_line(len(filler))
    a = rotlib.ips(net, 1, 3)
    w.write(filler + rotlib.logins(a))
    ok, t, _ = rotlib.wait_ips(d, a)
    tap.ok(ok, "%s: logins A recorded (%.3fs)" % (name, t))
    b = rotlib.ips(net, 11, 3)
    with rotlib.Across(tap, d, mode):
        shutil.copyfile(log, log + ".1")
        with open(log, "r+") as f:
            f.truncate(0)
        w.write(rotlib.logins(b, age=60))
    rotlib.recorded_once(tap, d, a + b, name)
    tap.ok(rotlib.counter(d, "nul_padding_skipped") >= 1,
           "%s: the NUL run counted as padding" % name,
           d.dump("-s").stdout)
    tap.ok(rotlib.counter(d, "lines_overlong") == 0, "%s: no line skipped as overlong" % name)
    w.close()
    tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())


for mode, net in zip(rotlib.MODES, ("192.0.2", "198.51.100", "203.0.113")):
    case(mode, net, 300)
    case(mode, net, 40 * 1024)
tap.finish()
