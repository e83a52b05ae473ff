#!/usr/bin/python3
"""Issue 19, the loss make test's short stress showed about one run in
ten (63 logins, one write, at seed 1796181985 and 1796184552): a
copytruncate with lines not yet read, then at once a rename rotation
(the copy mail.log.1 -> mail.log.2, the truncated file -> mail.log.1, a
new mail.log). popgated, looking for the copy, listed the directory
before the rotation and opened "mail.log.1" after it: it found the
truncated file there, no copy anywhere, and gave up without a word; the
copy's unread lines were never read. A directory that changes while it
is listed is listed again. The rotation is done at that exact moment by
an LD_PRELOAD shim (tests/lib/rename_on_open.c) when popgated opens
mail.log.1; the reader is stalled (SIGSTOP) while the files are set up.
Every login exactly once."""
import os
import shutil
import signal
import subprocess
import tempfile

import rotlib  # noqa: E402

pt = rotlib.pt
tap = pt.Tap()


def build_shim(dir):
    src = os.path.join(pt.TOP, "tests", "lib", "rename_on_open.c")
    so = os.path.join(dir, "rename_on_open.so")
    r = subprocess.run([os.environ.get("CC", "cc"), "-shared", "-fPIC", "-O1",
                        "-o", so, src, "-ldl"], capture_output=True, text=True)
    if r.returncode != 0:
        print("ok 1 # skip cannot build the LD_PRELOAD shim: %s" % r.stderr.strip())
        tap.finish()
    return so


def start_with_shim(d, so, env):
    """start popgated with the shim preloaded and ENV set (only for it)"""
    saved = dict(os.environ)
    os.environ.update(env)
    os.environ["LD_PRELOAD"] = so
    os.environ["ASAN_OPTIONS"] = ":".join(
        filter(None, [saved.get("ASAN_OPTIONS"), "verify_asan_link_order=0"]))
    try:
        rotlib.start(tap, d)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def case(net, shim_dir):
    name = "copytruncate, then a rename as the copy is looked for"
    d = rotlib.daemon()
    log = d.log_file
    armed = os.path.join(d.dir, "armed")
    pt.append(log, "")
    start_with_shim(d, build_shim(shim_dir), {
        "ROO_WHEN": log + ".1", "ROO_ARMED": armed, "ROO_CREATE": log,
        "ROO_RENAME": "%s.1>%s.2|%s>%s.1" % (log, log, log, log)})
    a = rotlib.first_logins(tap, d, log, net, name, 4)
    b = rotlib.ips(net, 11, 4)      # only in the copy
    c = rotlib.ips(net, 21, 1)      # in the truncated file: shorter than A
    rotlib.workers(d, signal.SIGSTOP)
    pt.append(log, rotlib.logins(b))
    shutil.copyfile(log, log + ".1")
    with open(log, "r+") as f:
        f.truncate(0)
    pt.append(log, rotlib.logins(c))
    pt.append(armed, "")            # the rotation comes with the next open
    rotlib.workers(d, signal.SIGCONT)
    ok, t, _ = rotlib.wait_ips(d, c)
    tap.ok(ok, "%s: C in the truncated file read (%.3fs)" % (name, t))
    tap.ok(not os.path.exists(armed) and os.path.exists(log + ".2"),
           "%s: the rotation was done as popgated opened mail.log.1" % name)
    e = rotlib.ips(net, 31, 2)
    pt.append(log, rotlib.logins(e))
    rotlib.recorded_once(tap, d, a + b + c + e, name)
    tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log())


shim_dir = tempfile.mkdtemp(prefix="popgate-shim-")
try:
    case("192.0.2", shim_dir)
finally:
    shutil.rmtree(shim_dir, True)
tap.finish()
