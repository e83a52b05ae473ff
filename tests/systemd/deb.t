#!/usr/bin/env python3
"""deb.t - `make deb`, lintian without errors, then the package as an
operator gets it: dpkg -i inside a booted systemd (user, conffile,
/var/lib/popgate, unit enabled and started, answering on Postfix's
private/ socket), dpkg --purge, and nothing of it left."""
import glob
import os
import subprocess

import sdlib
from popgate_test import (Tap, TOP, wait_until, connect_endpoint,
                          policy_request, read_policy_answer)

UNIT = "popgated.service"
SOCKET = "/var/spool/postfix/private/popgate"

t = Tap()
sdlib.check_available(t)

r = subprocess.run(["make", "-s", "deb"], cwd=TOP, capture_output=True,
                   text=True, errors="replace")
lint = [line for line in (r.stdout + r.stderr).splitlines()
        if line[:3] in ("E: ", "W: ", "I: ")]
t.note("lintian: " + ("\n".join(lint) if lint else "(nothing)"))
t.ok(r.returncode == 0 and not [x for x in lint if x.startswith("E: ")],
     "make deb builds, lintian --fail-on error passes", r.stdout[-3000:] +
     r.stderr[-3000:])
debs = glob.glob(os.path.join(TOP, "build", "deb", "popgate_*.deb"))
t.ok(len(debs) == 1, "one package: %s" % [os.path.basename(d) for d in debs])
if r.returncode != 0 or len(debs) != 1:
    t.finish()
deb = os.path.abspath(debs[0])
listing = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True,
                         text=True).stdout
for path in ("./usr/sbin/popgated", "./usr/sbin/popgate-dump",
             "./lib/systemd/system/popgated.service",
             "./usr/lib/sysusers.d/popgate.conf",
             "./usr/lib/tmpfiles.d/popgate.conf",
             "./usr/share/man/man8/popgated.8.gz",
             "./usr/share/man/man5/popgate.conf.5.gz",
             "./usr/share/doc/popgate/examples/logrotate.popgate",
             "./usr/share/doc/popgate/examples/postfix-main.cf.snippet"):
    t.ok(path in listing, "package holds " + path)
conffiles = subprocess.run(["dpkg-deb", "-f", deb, "Conffiles"],
                           capture_output=True, text=True).stdout
ctl = subprocess.run(["sh", "-c", "dpkg-deb --ctrl-tarfile '%s' | tar -xO "
                      "./conffiles" % deb], capture_output=True,
                     text=True).stdout
t.ok(ctl.strip() == "/etc/popgate/popgate.conf",
     "conffile /etc/popgate/popgate.conf", ctl + conffiles)

sd = sdlib.booted(t, "deb")
# a Docker image's policy-rc.d (exit 101) forbids starting services; a
# real machine has none: remove it in the namespace's /usr overlay only
sd.run(["rm", "-f", "/usr/sbin/policy-rc.d"])
had_user = sd.run(["id", "popgate"]).returncode == 0
t.ok(not had_user, "no popgate user before the package")
r = sd.run(["env", "DEBIAN_FRONTEND=noninteractive", "dpkg", "-i", deb],
           timeout=300)
t.ok(r.returncode == 0, "dpkg -i inside the booted systemd", r.stdout +
     r.stderr)
t.ok(sd.show(UNIT, "UnitFileState") == "enabled" and
     sd.show(UNIT, "ActiveState") == "active",
     "unit enabled and started by the package (%s, %s)" %
     (sd.show(UNIT, "UnitFileState"), sd.show(UNIT, "ActiveState")),
     sd.run(["journalctl", "-u", UNIT, "--no-pager"]).stdout[-3000:])
st = sd.run(["stat", "-c", "%a %U %G", "/var/lib/popgate"]).stdout.strip()
t.ok(sd.run(["id", "popgate"]).returncode == 0 and st == "751 root popgate",
     "user popgate and /var/lib/popgate (%s)" % st)


def ask(ip):
    try:
        s = connect_endpoint("unix:" + sd.host_path(SOCKET), 5)
    except OSError:
        return None
    try:
        s.sendall(policy_request(ip))
        return read_policy_answer(s)
    finally:
        s.close()


t.ok(ask("192.0.2.7") == "DUNNO",
     "the packaged service answers on " + SOCKET)
sd.run(["popgate-dump", "-t", "192.0.2.7"])
ok, el = wait_until(lambda: ask("192.0.2.7") == "OK", 30)
t.ok(ok, "popgate-dump -t then OK from the packaged service (%.2f s)" % el)
pids = sd.pids("popgated")
users = sorted(sd.run(["ps", "-o", "user=", "-p", ",".join(
    str(p) for p in pids)]).stdout.split())
t.ok(users == ["popgate", "root", "root"],
     "master and ingest as root, serve worker as popgate: %s" % users)

r = sd.run(["dpkg", "--purge", "popgate"], timeout=300)
t.ok(r.returncode == 0, "dpkg --purge", r.stdout + r.stderr)
t.ok(not sd.pids("popgated"), "no popgated process after the purge")
left = sd.sh("ls -d /etc/popgate /var/lib/popgate /usr/sbin/popgated "
             "/lib/systemd/system/popgated.service "
             "/etc/systemd/system/multi-user.target.wants/popgated.service "
             "/usr/lib/sysusers.d/popgate.conf /usr/lib/tmpfiles.d/popgate.conf "
             "/usr/share/doc/popgate %s 2>/dev/null" % SOCKET).stdout.split()
t.ok(not left, "nothing of the package left", left)
t.ok(sd.run(["dpkg", "-s", "popgate"]).returncode != 0,
     "dpkg no longer knows popgate")
t.ok(sd.show(UNIT, "LoadState") == "not-found", "systemd no longer knows the "
     "unit (%s)" % sd.show(UNIT, "LoadState"))
sd.shutdown()
t.finish()
