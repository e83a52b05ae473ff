#!/usr/bin/python3
"""freshness.t - the exported map follows every change that popgate-dump
makes, in two layouts run side by side: the database beside the followed
log (its writes wake the log watcher in the middle of a commit) and
elsewhere. 100 cycles each of popgate-dump -t and then -r of an address,
each change a second after the previous rewrite (so it is exported as
soon as it wakes the exporter, not coalesced with the next one): the map
must show exactly the new state, and export_command must have run on that
state. The time from each change to the map is printed (how many within
2 s)."""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtalib import pt, read  # noqa: E402

CYCLES = int(os.environ.get("FRESHNESS_CYCLES", "100"))
# a second per change is the export's coalescing: the cycles of a layout
# are shared by this many daemons running side by side
DAEMONS = int(os.environ.get("FRESHNESS_DAEMONS", "10"))
SEP = "=== export_command\n"


def address(i):
    return "192.0.2.%d" % (i % 250 + 1) if i % 2 else "2001:db8::%x" % (i + 1)


def layout(name, first, cycles, results):
    tmp = pt.temp_dir()
    if name == "beside":
        db, log = tmp + "/popgate.lmdb", tmp + "/mail.log"
    else:
        os.mkdir(tmp + "/db")
        os.mkdir(tmp + "/log")
        db, log = tmp + "/db/popgate.lmdb", tmp + "/log/mail.log"
    pt.append(log, "")
    access, ran = tmp + "/access", tmp + "/ran"
    d = pt.Daemon(tmp, database=db, log_files=log, export_map=access,
                  export_command="cat %s >> %s; printf '%s' >> %s"
                  % (access, ran, SEP.replace("\n", "\\n"), ran))
    d.start()
    times, missed, errors = [], [], []
    for i in range(first, first + cycles):
        ip = address(i)
        for flag, want in (("-t", "%s OK\n" % ip), ("-r", "")):
            start = time.monotonic()
            r = d.dump(flag, ip)
            if r.returncode != 0:
                errors.append("%s %s: %s" % (flag, ip, r.stderr))
            ok, _ = pt.wait_until(lambda: read(access) == want, 30, 0.01)
            times.append(time.monotonic() - start)
            ran_ok, _ = pt.wait_until(
                lambda: (read(ran) or "").endswith(SEP + want + SEP), 30, 0.01)
            if not ok or not ran_ok:
                missed.append("cycle %d: %s %s: map %r, export_command %s"
                              % (i, flag, ip, read(access),
                                 "ran" if ran_ok else "did not run"))
            # past the coalescing second: the next change is exported as
            # soon as it wakes the exporter - in the middle of popgate-dump's
            # commit when the database sits beside the log (the race)
            time.sleep(1.05)
    results.append((name, times, missed, errors, d.stop(), d.log()))


t = pt.Tap()
results = []
share = (CYCLES + DAEMONS - 1) // DAEMONS
threads = [threading.Thread(target=layout, args=(n, k * share,
                                                 min(share, CYCLES - k * share), results))
           for n in ("beside", "elsewhere") for k in range(DAEMONS)]
for th in threads:
    th.start()
for th in threads:
    th.join()
for name in ("beside", "elsewhere"):
    mine = [r for r in results if r[0] == name]
    times = [x for r in mine for x in r[1]]
    missed = [m for r in mine for m in r[2]]
    errors = [e for r in mine for e in r[3]]
    fast = sum(1 for x in times if x < 2.0)
    t.note("%s: %d cycles, %d changes, change -> map: median %.2fs, max %.2fs, "
           "%d/%d within 2 s" % (name, len(times) // 2, len(times),
                                 sorted(times)[len(times) // 2], max(times), fast,
                                 len(times)))
    t.ok(not errors, "database %s the log: every popgate-dump -t/-r succeeds" % name,
         "\n".join(errors))
    t.ok(not missed, "database %s the log: %d/%d changes in the map, export_command "
         "run for each" % (name, len(times) - len(missed), len(times)),
         "\n".join(missed[:20]))
    t.ok(all(r[4] == 0 for r in mine), "database %s the log: the %d popgated "
         "stop cleanly" % (name, len(mine)), "\n".join(r[5] for r in mine if r[4] != 0))
t.finish()
