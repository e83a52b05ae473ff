#!/usr/bin/python3
"""exim.t - Debian 12's exim4 reads popgated's exported map through the
ACL statement of contrib/mta/exim4-acl.conf and popgate.conf lines of
contrib/mta/exim4-popgate.conf, both verbatim: a login relays, an unlisted
client does not, IPv6 addresses and ipv6_prefix = 64 networks relay, a
removal is refused (the time is printed above), the site's static rules (export_prepend)
keep working, and with popgated stopped the last map stays in force
(a missing map: Exim logs a panic and drops the connection)."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtalib  # noqa: E402
from mtalib import pt, login, measure  # noqa: E402

mtalib.sandbox()
t = pt.Tap()
tmp = pt.temp_dir()
static = os.path.join(tmp, "static")
with open(static, "w") as f:
    f.write("# the site's own relay hosts\n127.0.0.9 OK\n")
exim = mtalib.Exim(tmp)
d = mtalib.daemon(tmp, "exim4-popgate.conf", export_prepend=static).start()
rcpt = exim.rcpt

elapsed = measure(t, "exim: login line -> first accepted relay (127.0.0.7)",
                  login(d, "127.0.0.7"), lambda: rcpt("127.0.0.7"), "250")
t.ok(elapsed is not None, "exim: a client that logged in relays", exim.last)
t.ok(rcpt("127.0.0.8") == "550", "exim: an unlisted client is refused", exim.last)
t.ok(rcpt("127.0.0.9") == "250", "exim: a static rule from export_prepend relays",
     exim.last)
elapsed = measure(t, "exim: login line -> first accepted relay (2001:db8::7)",
                  login(d, "2001:db8::7"), lambda: rcpt("2001:db8::7"), "250")
t.ok(elapsed is not None, "exim: an IPv6 client that logged in relays",
     exim.last + mtalib.read(mtalib.VARLIB + "/exim-relay"))
t.ok(rcpt("2001:db8::8") == "550", "exim: an unlisted IPv6 client is refused",
     exim.last)

start = time.monotonic()
pt.wait_until(lambda: d.dump("-r", "127.0.0.7").returncode == 0, 5)
elapsed = measure(t, "exim: popgate-dump -r -> refused", start,
                  lambda: rcpt("127.0.0.7"), "550")
t.ok(elapsed is not None,
     "exim: a client removed with popgate-dump -r is refused (the time is printed above)", exim.last)
t.ok(rcpt("127.0.0.9") == "250", "exim: the static rule survives the rewrites",
     exim.last)

t.ok(d.stop() == 0, "exim: popgated stops", d.log())
t.ok(rcpt("2001:db8::7") == "250" and rcpt("127.0.0.8") == "550",
     "exim: popgated stopped: the last map stays in force", exim.last)
os.rename(mtalib.VARLIB + "/exim-relay", mtalib.VARLIB + "/moved")
t.ok(rcpt("2001:db8::7") == "none" and "failed to open" in exim.last,
     "exim: a missing map: Exim drops the connection without a reply (the "
     "client retries), never relays", exim.last)

# ipv6_prefix = 64: the client's whole /64 relays
d64 = mtalib.daemon(tmp, "exim4-popgate.conf", export_prepend=static,
                    ipv6_prefix="64", database=os.path.join(tmp, "p64.lmdb")).start()
elapsed = measure(t, "exim: login line -> first accepted relay (2001:db8:1:2::99 "
                  "in the /64 of 2001:db8:1:2::5)", login(d64, "2001:db8:1:2::5"),
                  lambda: rcpt("2001:db8:1:2::99"), "250")
t.ok(elapsed is not None, "exim: an address in a logged-in /64 relays", exim.last)
t.ok(rcpt("2001:db8:1:3::5") == "550", "exim: the next /64 is refused", exim.last)
t.ok(d64.stop() == 0, "exim: popgated (ipv6_prefix = 64) stops", d64.log())
t.finish()
