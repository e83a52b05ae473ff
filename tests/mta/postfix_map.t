#!/usr/bin/python3
"""postfix_map.t - Postfix's own cidr: table code (postmap -q) reads the
map popgated exports with contrib/mta/postfix-popgate.conf, through the
table named in contrib/mta/postfix-access.cf: a login is listed, an
unlisted client is not, IPv6 addresses and ipv6_prefix = 64 networks
match, a removal leaves, and the site's static rules stay on top.
(export_command = postfix reload is left out here: it would signal the
host's Postfix.)"""

import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtalib  # noqa: E402
from mtalib import pt, login, measure  # noqa: E402

mtalib.sandbox()
t = pt.Tap()
with open(os.path.join(mtalib.CONTRIB, "postfix-access.cf")) as f:
    table = re.search(r"check_client_access (cidr:\S+),", f.read()).group(1)
last = [""]


def lookup(ip):
    """the table's answer, "none" when not found (postmap exits 1)"""
    r = subprocess.run(["postmap", "-c", tmp, "-q", ip, table],
                       capture_output=True, text=True)
    last[0] = r.stdout + r.stderr
    if r.returncode == 1 and not r.stderr:
        return "none"
    return r.stdout.strip() if r.returncode == 0 else "error"


tmp = pt.temp_dir()
open(os.path.join(tmp, "main.cf"), "w").close()	# Postfix's defaults
static = os.path.join(tmp, "static")
with open(static, "w") as f:
    f.write("127.0.0.9 OK\n")
d = mtalib.daemon(tmp, "postfix-popgate.conf", export_command="",
                  export_prepend=static).start()
elapsed = measure(t, "postfix map: login line -> listed (127.0.0.7)",
                  login(d, "127.0.0.7"), lambda: lookup("127.0.0.7"), "OK")
t.ok(elapsed is not None, "postfix map: a client that logged in is listed", last[0])
t.ok(lookup("127.0.0.8") == "none", "postfix map: an unlisted client is not", last[0])
t.ok(lookup("127.0.0.9") == "OK", "postfix map: a static rule from export_prepend",
     last[0])
elapsed = measure(t, "postfix map: login line -> listed (2001:db8::7)",
                  login(d, "2001:db8::7"), lambda: lookup("2001:db8::7"), "OK")
t.ok(elapsed is not None, "postfix map: an IPv6 client is listed", last[0])
start = time.monotonic()
t.ok(d.dump("-r", "127.0.0.7").returncode == 0, "postfix map: popgate-dump -r")
elapsed = measure(t, "postfix map: popgate-dump -r -> not listed", start,
                  lambda: lookup("127.0.0.7"), "none")
t.ok(elapsed is not None, "postfix map: a removed client leaves the map", last[0])
t.ok(d.stop() == 0, "postfix map: popgated stops", d.log())
d64 = mtalib.daemon(tmp, "postfix-popgate.conf", export_command="",
                    export_prepend=static, ipv6_prefix="64",
                    database=os.path.join(tmp, "p64.lmdb")).start()
elapsed = measure(t, "postfix map: login line -> 2001:db8:1:2::99 listed (in the /64 "
                  "of 2001:db8:1:2::5)", login(d64, "2001:db8:1:2::5"),
                  lambda: lookup("2001:db8:1:2::99"), "OK")
t.ok(elapsed is not None, "postfix map: an address in a logged-in /64 is listed",
     last[0])
t.ok(lookup("2001:db8:1:3::5") == "none", "postfix map: the next /64 is not", last[0])
t.ok(d64.stop() == 0, "postfix map: popgated (ipv6_prefix = 64) stops", d64.log())
t.finish()
