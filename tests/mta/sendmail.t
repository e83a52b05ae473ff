#!/usr/bin/python3
"""sendmail.t - Debian 12's sendmail 8.17 (built with IPV6_FULL) with the
contrib/mta recipes verbatim, both routes:
- socketmap (sendmail-socketmap.mc): FEATURE(`access_db') asks popgated;
- exported map (sendmail-access.mc): makemap'd Connect: keys, the site's
  static rules on top (export_prepend).
For each: a real `sendmail -bD` on 127.0.0.1:25 of a private network
namespace, swaks from 127.0.0.x (a login relays, an unlisted client and a
removed one are refused), `sendmail -bt` with {client_addr} set for IPv6
addresses and ipv6_prefix = 64 networks, and popgated stopped (socketmap:
451 temporary failure, never a relay; map: the last map stays)."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtalib  # noqa: E402
from mtalib import pt, login, measure  # noqa: E402

mtalib.sandbox()
t = pt.Tap()


def common(route, d, sm):
    """the scenarios both routes share; SM runs as a daemon"""
    elapsed = measure(t, "sendmail %s: login line -> first accepted relay "
                      "(127.0.0.7, swaks)" % route, login(d, "127.0.0.7"),
                      lambda: sm.smtp("127.0.0.7"), "250")
    t.ok(elapsed is not None, "sendmail %s: a client that logged in relays" % route,
         sm.last)
    code = sm.smtp("127.0.0.8")
    t.ok(code.startswith("5"), "sendmail %s: an unlisted client is refused (%s)"
         % (route, code), sm.last)
    elapsed = measure(t, "sendmail %s: login line -> Relay_ok RELAY "
                      "(IPv6:2001:db8:0:0:0:0:0:7, sendmail -bt)" % route,
                      login(d, "2001:db8::7"),
                      lambda: sm.bt("IPv6:2001:db8:0:0:0:0:0:7"), "RELAY")
    t.ok(elapsed is not None, "sendmail %s: an IPv6 client that logged in relays"
         % route, sm.last)
    t.ok(sm.bt("IPv6:2001:db8:0:0:0:0:0:8") not in ("RELAY", "TEMP"),
         "sendmail %s: an unlisted IPv6 client does not relay" % route, sm.last)
    start = time.monotonic()
    t.ok(d.dump("-r", "127.0.0.7").returncode == 0, "sendmail %s: popgate-dump -r"
         % route)
    elapsed = measure(t, "sendmail %s: popgate-dump -r -> refused" % route, start,
                      lambda: sm.smtp("127.0.0.7")[:1], "5")
    t.ok(elapsed is not None, "sendmail %s: a client removed "
         "with popgate-dump -r is refused (the time is printed above)" % route, sm.last)


def prefix64(route, contrib, tmp, sm, **settings):
    d = mtalib.daemon(tmp, contrib, ipv6_prefix="64",
                      database=os.path.join(tmp, "p64.lmdb"), **settings).start()
    elapsed = measure(t, "sendmail %s: login line -> Relay_ok RELAY (2001:db8:1:2::99 "
                      "in the /64 of 2001:db8:1:2::5)" % route,
                      login(d, "2001:db8:1:2::5"),
                      lambda: sm.bt("IPv6:2001:db8:1:2:0:0:0:99"), "RELAY")
    t.ok(elapsed is not None, "sendmail %s: an address in a logged-in /64 relays"
         % route, sm.last)
    t.ok(sm.bt("IPv6:2001:db8:1:3:0:0:0:5") not in ("RELAY", "TEMP"),
         "sendmail %s: the next /64 does not relay" % route, sm.last)
    t.ok(d.stop() == 0, "sendmail %s: popgated (ipv6_prefix = 64) stops" % route,
         d.log())


def socketmap():
    tmp = pt.temp_dir()
    sm = mtalib.Sendmail(tmp, "sendmail-socketmap.mc")
    t.note("sendmail socketmap: sendmail -bD listening after %.2fs" % sm.start())
    d = mtalib.daemon(tmp, "sendmail-socketmap-popgate.conf").start()
    common("socketmap", d, sm)
    t.ok(d.stop() == 0, "sendmail socketmap: popgated stops", d.log())
    code = sm.smtp("127.0.0.10")
    t.ok(code == "451", "sendmail socketmap: popgated stopped: 451 temporary "
         "failure (%s)" % code, sm.last)
    t.ok(sm.bt("IPv6:2001:db8:0:0:0:0:0:7") == "TEMP",
         "sendmail socketmap: popgated stopped: an IPv6 client gets TEMP, "
         "never RELAY", sm.last)
    prefix64("socketmap", "sendmail-socketmap-popgate.conf", tmp, sm)
    sm.stop()


def exported_map():
    tmp = pt.temp_dir()
    with open("/etc/mail/access", "w") as f:	# an overlay: see mtalib
        f.write("# the site's old access file\nConnect:127.0.0.9\tRELAY\n")
    sm = mtalib.Sendmail(tmp, "sendmail-access.mc")
    d = mtalib.daemon(tmp, "sendmail-access-popgate.conf").start()
    pt.wait_until(lambda: os.path.exists(mtalib.VARLIB + "/sendmail-access.db"), 30)
    t.note("sendmail map: sendmail -bD listening after %.2fs" % sm.start())
    t.ok(sm.smtp("127.0.0.9") == "250", "sendmail map: a static rule from "
         "export_prepend relays", sm.last)
    common("map", d, sm)
    t.ok(sm.smtp("127.0.0.9") == "250", "sendmail map: the static rule survives "
         "the rewrites", sm.last)
    t.ok(d.stop() == 0, "sendmail map: popgated stops", d.log())
    t.ok(sm.bt("IPv6:2001:db8:0:0:0:0:0:7") == "RELAY" and
         sm.smtp("127.0.0.8").startswith("5"),
         "sendmail map: popgated stopped: the last map stays in force", sm.last)
    prefix64("map", "sendmail-access-popgate.conf", tmp, sm)
    sm.stop()


socketmap()
exported_map()
t.finish()
