#!/usr/bin/python3
"""Issue 19, found by the crash stress (seed 1796183879): a copytruncate
whose copy is compressed at once (mail.log.1 -> mail.log.1.gz, by a
tool that gives the .gz a new mtime), then a rename rotation shortly
after (mail.log -> mail.log.1, the .gz -> mail.log.2.gz, a new
mail.log). When the truncated file left the path, the .gz looked like a
sibling "rotated while not read": its first line is not that of the
truncated file as it is now, only that of what it held before it was
cut back. It was read from 0: every login before the copytruncate
counted twice. The .gz is a copy of what was read, while the copy that
was read is still draining and also after it was retired."""
import gzip
import os
import re
import shutil

import rotlib  # noqa: E402

pt = rotlib.pt
tap = pt.Tap()


def copytruncate(log):
    shutil.copyfile(log, log + ".1")
    with open(log, "r+") as f:
        f.truncate(0)


def compress_copy(log):
    """gzip mail.log.1 at once (new mtime: later than the truncation)"""
    with open(log + ".1", "rb") as src, gzip.open(log + ".1.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    os.unlink(log + ".1")


def rename_rotation(log):
    os.rename(log + ".1.gz", log + ".2.gz")
    os.rename(log, log + ".1")
    open(log, "a").close()


def copy_retired(d, ino):
    """the daemon closed the copy (inode INO): read and quiet"""
    return re.search(r"rotated file done \(inode %d," % ino, d.log()) is not None


def case(name, net, wait_retired):
    d, log = rotlib.started(tap)
    a = rotlib.first_logins(tap, d, log, net, name, 4)
    copytruncate(log)
    copy_ino = os.stat(log + ".1").st_ino
    b = rotlib.ips(net, 11, 3)      # in the truncated file: it was seen cut
    pt.append(log, rotlib.logins(b))
    ok, t, _ = rotlib.wait_ips(d, b)
    tap.ok(ok, "%s: logins B after the truncation recorded (%.3fs)" % (name, t))
    if wait_retired:
        ok, t = pt.wait_until(lambda: copy_retired(d, copy_ino), 30, 0.05)
        tap.ok(ok, "%s: the copy was read and closed (%.3fs)" % (name, t))
    compress_copy(log)
    rename_rotation(log)
    c = rotlib.ips(net, 21, 3)
    pt.append(log, rotlib.logins(c))
    rotlib.recorded_once(tap, d, a + b + c, name)
    tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())
    d.start()       # a restart does not read the .gz again either
    e = rotlib.ips(net, 31, 2)
    pt.append(log, rotlib.logins(e))
    rotlib.recorded_once(tap, d, a + b + c + e, name + ", restarted")
    tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())


case("copy still draining", "192.0.2", False)
case("copy retired", "198.51.100", True)
tap.finish()
