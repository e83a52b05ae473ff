#!/usr/bin/python3
"""tcprules.t - ucspi-tcp (the qmail route) with contrib/mta/
tcprules-popgate.conf verbatim: popgated writes the rules after the
site's /etc/tcp.smtp, export_command builds the cdb with tcprules, and a
real tcpserver -x on loopback sets RELAYCLIENT for a client that logged
in, not for others; a removal is refused (the time is printed above); static rules keep
working; an IPv6 login never breaks the cdb of Debian's IPv4-only
ucspi-tcp 0.88 (tcprules exits 100 on any IPv6 line); with ucspi-tcp-ipv6
(export_format = tcprules-ipv6) IPv6 clients and ipv6_prefix = 64
networks relay; popgated stopped: the last cdb stays in force."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtalib  # noqa: E402
from mtalib import pt, login, measure  # noqa: E402

mtalib.sandbox()
t = pt.Tap()
CDB = mtalib.VARLIB + "/tcp.smtp.cdb"
STATIC = '127.0.0.9:allow,RELAYCLIENT=""\n:allow\n'


def start(variant, tmp, **settings):
    """popgated with the recipe; tcprules of VARIANT on its PATH"""
    os.environ["PATH"] = mtalib.UCSPI[variant] + ":" + os.environ["PATH"]
    for name in ("tcp.smtp", "tcp.smtp.cdb"):
        if os.path.exists(mtalib.VARLIB + "/" + name):
            os.unlink(mtalib.VARLIB + "/" + name)
    d = mtalib.daemon(tmp, "tcprules-popgate.conf", export_format=variant,
                      **settings).start()
    ok, _ = pt.wait_until(lambda: os.path.exists(CDB), 30)
    t.ok(ok, "%s: the cdb is built at start" % variant, d.log())
    return d


def ipv4_only():
    tmp = pt.temp_dir()
    d = start("tcprules", tmp)
    srv = mtalib.Tcpserver(tmp, "tcprules", CDB)
    check = srv.check
    pt.wait_until(lambda: check("127.0.0.9") != "error", 30)
    t.ok(check("127.0.0.9") == "RELAY", "tcprules: a static rule from "
         "export_prepend (/etc/tcp.smtp) sets RELAYCLIENT", srv.last)
    elapsed = measure(t, "tcprules: login line -> first RELAYCLIENT (127.0.0.7, "
                      "tcpserver)", login(d, "127.0.0.7"),
                      lambda: check("127.0.0.7"), "RELAY")
    t.ok(elapsed is not None, "tcprules: a client that logged in relays", srv.last)
    t.ok(check("127.0.0.8") == "NORELAY", "tcprules: an unlisted client gets no "
         "RELAYCLIENT", srv.last)
    # an IPv6 login: Debian's tcprules 0.88 would exit 100 on its line
    login(d, "2001:db8::7")
    login(d, "127.0.0.11")
    elapsed = measure(t, "tcprules: login line -> first RELAYCLIENT (127.0.0.11, "
                      "after an IPv6 login)", time.monotonic(),
                      lambda: check("127.0.0.11"), "RELAY")
    t.ok(elapsed is not None and "2001" not in mtalib.read(mtalib.VARLIB + "/tcp.smtp")
         and "export_command" not in d.log(), "tcprules: an IPv6 login leaves "
         "the cdb buildable (no IPv6 line; tcprules never fails)",
         mtalib.read(mtalib.VARLIB + "/tcp.smtp") + d.log())
    start_r = time.monotonic()
    t.ok(d.dump("-r", "127.0.0.7").returncode == 0, "tcprules: popgate-dump -r")
    elapsed = measure(t, "tcprules: popgate-dump -r -> no RELAYCLIENT", start_r,
                      lambda: check("127.0.0.7"), "NORELAY")
    t.ok(elapsed is not None, "tcprules: a client removed with "
         "popgate-dump -r loses RELAYCLIENT (the time is printed above)", srv.last)
    t.ok(check("127.0.0.9") == "RELAY", "tcprules: the static rule survives the "
         "rewrites", srv.last)
    t.ok(d.stop() == 0, "tcprules: popgated stops", d.log())
    t.ok(check("127.0.0.11") == "RELAY" and check("127.0.0.8") == "NORELAY",
         "tcprules: popgated stopped: the last cdb stays in force", srv.last)
    srv.stop()
    os.environ["PATH"] = os.environ["PATH"].split(":", 1)[1]


def ipv6():
    tmp = pt.temp_dir()
    v = "tcprules-ipv6"
    d = start(v, tmp)
    srv = mtalib.Tcpserver(tmp, v, CDB, host="::1")
    pt.wait_until(lambda: srv.check("::1") != "error", 30)
    elapsed = measure(t, "%s: login line -> first RELAYCLIENT (::1, tcpserver)" % v,
                      login(d, "::1"), lambda: srv.check("::1"), "RELAY")
    t.ok(elapsed is not None, "%s: an IPv6 client that logged in relays (real "
         "connection from ::1)" % v, srv.last + d.log())
    elapsed = measure(t, "%s: login line -> rules allow 2001:db8:0:1:2:3:4:5 "
                      "(tcprulescheck)" % v, login(d, "2001:db8:0:1:2:3:4:5"),
                      lambda: srv.tcprulescheck("2001:db8::1:2:3:4:5"), "RELAY")
    t.ok(elapsed is not None and srv.tcprulescheck("2001:db8:0:1:2:3:4:5") == "RELAY",
         "%s: an IPv6 client relays in both forms a tcpserver may print (the "
         "IPv6 patch's, which shortens a single zero group, and RFC 5952's)" % v,
         srv.last)
    t.ok(srv.tcprulescheck("2001:db8::8") == "NORELAY", "%s: an unlisted IPv6 "
         "client gets no RELAYCLIENT" % v, srv.last)
    t.ok(d.stop() == 0, "%s: popgated stops" % v, d.log())
    os.environ["PATH"] = os.environ["PATH"].split(":", 1)[1]
    d64 = start(v, tmp, ipv6_prefix="64", database=os.path.join(tmp, "p64.lmdb"))
    elapsed = measure(t, "%s: login line -> rules allow 2001:db8:1:2::99 (in the /64 "
                      "of 2001:db8:1:2::5)" % v, login(d64, "2001:db8:1:2::5"),
                      lambda: srv.tcprulescheck("2001:db8:1:2::99"), "RELAY")
    t.ok(elapsed is not None, "%s: an address in a logged-in /64 relays" % v, srv.last)
    t.ok(srv.tcprulescheck("2001:db8:1:3::5") == "NORELAY", "%s: the next /64 "
         "gets no RELAYCLIENT" % v, srv.last)
    t.ok(d64.stop() == 0, "%s: popgated (ipv6_prefix = 64) stops" % v, d64.log())
    srv.stop()


with open("/etc/tcp.smtp", "w") as f:	# an overlay: see mtalib
    f.write(STATIC)
ipv4_only()
ipv6()
t.finish()
