#!/usr/bin/python3
"""bench.t - requests/s and p99 latency of the policy service over 64
persistent connections, against a trivial C server that answers DUNNO
without parsing or lookup, in the same run. Prints the figures and the
ratio; asserts only that every request was answered correctly."""

import os
import re
import subprocess
import sys
import time

from servelib import pt, add, crash_free, LISTED  # noqa: E402

CONNS = int(os.environ.get("BENCH_CONNS", "64"))
PER = int(os.environ.get("BENCH_REQUESTS", "300"))
client = os.path.join(pt.BUILD, "tests/bin/policy_client")
trivial = os.path.join(pt.BUILD, "tests/bin/trivial_policy")

t = pt.Tap()
tmp = pt.temp_dir()


def load(ep, ip):
    r = subprocess.run([client, "-c", str(CONNS), "-n", str(PER), "-a", ip, ep],
                       capture_output=True, text=True, timeout=300)
    fields = dict(re.findall(r"(\w+)=([\d.]+)", r.stdout))
    return r.returncode, fields, r.stdout + r.stderr


d = pt.Daemon(tmp, max_clients="200")
d.start()
add(d, LISTED)
rc, ours, out = load(d.policy_endpoint(), LISTED)
t.ok(rc == 0 and int(ours.get("ok", 0)) == CONNS * PER,
     "popgated: %d requests over %d connections, all OK" % (CONNS * PER, CONNS), out)
t.ok(d.stop() == 0 and crash_free(d), "daemon stops cleanly", d.log())

sock = os.path.join(tmp, "trivial.sock")
srv = subprocess.Popen([trivial, sock])
try:
    pt.wait_until(lambda: os.path.exists(sock), 10, 0.01)
    time.sleep(0.05)
    rc, base, out = load("unix:" + sock, LISTED)
    t.ok(rc == 0 and int(base.get("requests", 0)) == CONNS * PER,
         "trivial server: %d requests answered" % (CONNS * PER), out)
finally:
    srv.kill()
    srv.wait()

for name, f in (("popgated", ours), ("trivial ", base)):
    t.note("%s rps=%s p50=%sus p99=%sus" % (name, f.get("rps"), f.get("p50_us"), f.get("p99_us")))
try:
    t.note("popgated/trivial: throughput %.2f, p99 latency %.2f" % (
        float(ours["rps"]) / float(base["rps"]), float(ours["p99_us"]) / float(base["p99_us"])))
except (KeyError, ValueError, ZeroDivisionError):
    pass
t.note("(popgated under test is %s)" % pt.POPGATED)
t.finish()
