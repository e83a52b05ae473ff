#!/usr/bin/python3
"""Issue 19 class 3: several rotations while popgated is stopped. The
file of the saved position is found among the rotated siblings (renamed
to .2, to a dated name, or compressed at once: .1.gz, .1.xz, .1.zst) and
read on from its offset, then every sibling rotated since, oldest first,
then the new file. Older siblings (read before, or never followed) are
not read: every login exactly once. The file of the saved position
deleted while stopped cannot be read: a warning and positions_reset."""
import os
import subprocess

import rotlib  # noqa: E402

pt = rotlib.pt
tap = pt.Tap()
COMPRESS = {"gz": ["gzip", "-q"], "xz": ["xz", "-q"], "zst": ["zstd", "-q", "--rm"]}


def numbered(log):
    """mail.log.N[.ext] that exist: [(N, suffix)]"""
    out = []
    for name in os.listdir(os.path.dirname(log)):
        base = os.path.basename(log) + "."
        if name.startswith(base) and name[len(base):].split(".")[0].isdigit():
            rest = name[len(base):]
            n = int(rest.split(".")[0])
            out.append((n, rest[len(str(n)):]))
    return sorted(out, reverse=True)


def rotate(log, compress=None):
    """logrotate 'create' with numbered names; COMPRESS: compress the new
    .1 at once (no delaycompress)"""
    for n, ext in numbered(log):
        os.rename("%s.%d%s" % (log, n, ext), "%s.%d%s" % (log, n + 1, ext))
    os.rename(log, log + ".1")
    if compress:
        subprocess.run(COMPRESS[compress] + [log + ".1"], check=True)
    open(log, "a").close()


def rotate_dated(log, day):
    os.rename(log, "%s-202612%02d" % (log, day))
    open(log, "a").close()


def case(name, net, rotations):
    d = rotlib.daemon()
    log = d.log_file
    old = ["%s.250" % net]
    with open(log + ".3", "w") as f:        # rotated long ago, never read
        f.write(rotlib.logins(old, age=600))
    pt.append(log, "")
    rotlib.start(tap, d)
    ips = rotlib.first_logins(tap, d, log, net, name)
    with rotlib.Across(tap, d, "stopped"):
        for i, rot in enumerate(rotations):
            more = ["%s.%d" % (net, 10 * (i + 1) + k) for k in range(3)]
            pt.append(log, rotlib.logins(more, age=300))
            ips += more
            rot(log)
        last = ["%s.%d" % (net, 200 + k) for k in range(3)]
        pt.append(log, rotlib.logins(last, age=100))
        ips += last
    rotlib.recorded_once(tap, d, ips, name, absent=old)
    rotlib.stamped_old(tap, d, ips[3:], 100, "%s: lines read after the restart "
                       "stamped by their own time" % name)
    tap.ok(rotlib.counter(d, "positions_reset") == 0, "%s: no positions_reset" % name)
    tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())


case("renamed twice", "192.0.2", [rotate, rotate])
case("renamed three times", "198.51.100", [rotate, rotate, rotate])
for ext, net in (("gz", "203.0.113"), ("xz", "192.0.2"), ("zst", "198.51.100")):
    case("compressed at once (%s), twice" % ext, net,
         [lambda log, e=ext: rotate(log, e), lambda log, e=ext: rotate(log, e)])
case("dated names", "203.0.113",
     [lambda log: rotate_dated(log, 1), lambda log: rotate_dated(log, 2)])

# the one loss: the file of the saved position deleted while stopped
# (rotate 0). Warned about and counted; the new file is read
d, log = rotlib.started(tap)
a = ["192.0.2.101"]
pt.append(log, rotlib.logins(a))
ok, t, _ = rotlib.wait_ips(d, a)
tap.ok(ok, "deleted while stopped: login A recorded (%.3fs)" % t)
with rotlib.Across(tap, d, "stopped"):
    pt.append(log, rotlib.logins(["192.0.2.102"]))    # lost with the file
    os.unlink(log)
    pt.append(log, rotlib.logins(["192.0.2.103"], age=60))
rotlib.recorded_once(tap, d, a + ["192.0.2.103"], "deleted while stopped")
tap.ok(rotlib.counter(d, "positions_reset") == 1,
       "deleted while stopped: positions_reset counts it", d.dump("-s").stdout)
tap.ok(log + ": " in d.log() and "were not read" in d.log() or "was not read" in d.log(),
       "deleted while stopped: a warning names the file (its inode may be reused)")
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())
tap.finish()
