#!/usr/bin/python3
"""The database file grows under a running daemon: 30 k distinct logins
make the data file many times larger than when serve opened it; every
login is recorded, serve (which opened the file while it was small)
answers OK for the newest ones, and LMDB reads the file cleanly.
MDB_MAP_FULL itself (map doubling) cannot be reached here: the daemon
maps 1 GiB; test_store covers the doubling and a reader following it."""
import os
import sys

import faultlib as fl  # noqa: E402
import stresslib as sl  # noqa: E402

pt = fl.pt
tap = pt.Tap()
N = 30000
d = pt.Daemon(pt.temp_dir("popgate-fault-"), journal="no", window="1d")
pt.append(d.log_file, "")
fl.start(tap, d)
pt.append(d.log_file, pt.login_line("192.0.2.1"))
fl.wait_ok(tap, d, "192.0.2.1", "first login recorded")
size0 = os.path.getsize(d.database)
ips = ["2001:db8:9:%x::%x" % (i >> 12, i & 0xfff | 0x1000) for i in range(N)]
with open(d.log_file, "a") as f:
    for i in range(0, N, 1000):
        f.write("".join(pt.login_line(ip, pid=i) for ip in ips[i:i + 1000]))
        f.flush()
fl.wait_ok(tap, d, ips[-1], "the last of %d logins gets OK" % N, 120)
rows = d.dump_json()
size1 = os.path.getsize(d.database)
tap.note("data file %d -> %d bytes" % (size0, size1))
tap.ok(size1 >= 4 * size0, "the data file grew (%d -> %d bytes)" % (size0, size1))
tap.ok(len(rows) == N + 1, "every login recorded (%d entries)" % len(rows))
tap.ok(all(d.policy(ip) == "OK" for ip in ips[-200:]), "serve answers OK for the newest 200")
fl.never_ok(tap, d, "grown database")
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log()[-2000:])
ok, out = sl.lmdb_check(d.database)
tap.ok(ok, "mdb_stat and mdb_dump read the database cleanly", out)
tap.finish()
