#!/usr/bin/env python3
"""unit.t - the shipped unit under a real systemd, installed with `make
install`: start returns only when a policy query is answered (Type=notify),
STATUS= with entries, a quiet ExecStartPre, reload (new policy_action,
new listener, a refused user change, syslog_name/facility), export map
writable under the sandbox, crash restarts, stop ends every process, no
journal message twice, and systemd-analyze security."""
import os
import time

import sdlib
from popgate_test import (Tap, free_port, wait_until,
                          connect_endpoint, policy_request,
                          read_policy_answer)

UNIT = "popgated.service"
CONF = "/etc/popgate/popgate.conf"
LISTED = "192.0.2.44"
EXPOSURE_BEFORE = 4.7   # the unit before issue 14, measured the same way

t = Tap()
sdlib.check_available(t)
sd = sdlib.installed(t, "unit")
t.ok(sd.show(UNIT, "FragmentPath") ==
     "/usr/local/lib/systemd/system/popgated.service",
     "systemd finds the unit where make install put it (/usr/local)",
     sd.show(UNIT, "FragmentPath"))
t.ok(sd.run(["id", "popgate"]).returncode == 0, "sysusers made user popgate")

port, port2 = free_port(), free_port()


def config(action="OK", listen=port, extra=""):
    sd.write(CONF, """database = /var/lib/popgate/popgate.lmdb
log_files = /var/log/mail.log
journal = yes
policy_listen = inet:127.0.0.1:%d
policy_action = %s
export_map = /var/lib/popgate/export/access
%s""" % (listen, action, extra))


def ask(ip, p=port):
    s = connect_endpoint("inet:127.0.0.1:%d" % p, 5)
    try:
        s.sendall(policy_request(ip))
        return read_policy_answer(s)
    finally:
        s.close()


def try_ask(ip, p=port):
    try:
        return ask(ip, p)
    except OSError:
        return None


config()
t0 = time.monotonic()
r = sd.systemctl("start", UNIT)
start_s = time.monotonic() - t0
answer = try_ask("192.0.2.1")      # once, no retry: start means ready
t.ok(r.returncode == 0 and answer == "DUNNO",
     "systemctl start returns only when a policy query is answered "
     "(%.2f s, answer %r)" % (start_s, answer), r.stderr)
t.ok(sd.show(UNIT, "Type") == "notify" and
     sd.show(UNIT, "ActiveState") == "active", "Type=notify, active")
t.ok("entries" in sd.show(UNIT, "StatusText"),
     "STATUS= names the entries: %r" % sd.show(UNIT, "StatusText"))
master = int(sd.show(UNIT, "MainPID"))
pre = [e for e in sd.journal("-u", UNIT) if "policy_action" in
       str(e.get("MESSAGE"))]
t.ok(not pre, "ExecStartPre (popgated -nq) wrote nothing into the journal",
     [e.get("MESSAGE") for e in pre])

# export map and a listed client, written from outside (popgate-dump -t)
r = sd.run(["/usr/local/sbin/popgate-dump", "-c", CONF, "-t", LISTED])
t.ok(r.returncode == 0, "popgate-dump -t inside the namespace", r.stderr)
ok, el = wait_until(lambda: try_ask(LISTED) == "OK", 30)
t.ok(ok, "listed client answered OK (%.2f s)" % el)
exported = sd.host_path("/var/lib/popgate/export/access")
ok, el = wait_until(lambda: os.path.exists(exported) and
                    LISTED in open(exported).read(), 30)
t.ok(ok, "export map under /var/lib/popgate/export written by the sandboxed "
     "unit (%.2f s)" % el)
mode = os.stat(exported).st_mode & 0o777 if os.path.exists(exported) else 0
t.ok(mode == 0o644, "the map stays readable by the MTA under UMask=0027 "
     "(%o)" % mode)

# reload: new policy_action, answered within 3 s
serve_before = set(sd.pids("popgated"))
config(action="PREPEND X-Popgate: relayed")
t0 = time.monotonic()
r = sd.systemctl("reload", UNIT)
ok, el = wait_until(lambda: try_ask(LISTED) == "PREPEND X-Popgate: relayed",
                    30, 0.02)
el = time.monotonic() - t0
t.ok(r.returncode == 0 and ok and el < 3.0,
     "systemctl reload: the new policy_action answered after %.2f s "
     "(done-when: within 3 s)" % el, r.stderr)
t.ok(int(sd.show(UNIT, "MainPID")) == master and
     sd.show(UNIT, "ActiveState") == "active",
     "same master, active after reload")
ok, _ = wait_until(lambda: len(set(sd.pids("popgated")) - serve_before) == 2,
                   30)
t.ok(ok, "both workers are new processes after the reload (the serve "
     "worker, another user, was stopped through its pipe)")

# reload: another listener
config(action="OK", listen=port2)
sd.systemctl("reload", UNIT)
ok, el = wait_until(lambda: try_ask(LISTED, port2) == "OK", 30)
t.ok(ok and try_ask(LISTED, port) is None,
     "reload re-binds a changed listener (%.2f s), the old one is closed" % el)

# reload: user cannot change; syslog_name and syslog_facility can
config(action="OK", listen=port2,
       extra="user = nobody\nsyslog_name = popgate-sd\n"
             "syslog_facility = local3\n")
sd.systemctl("reload", UNIT)
ok, _ = wait_until(lambda: any(
    "user cannot change" in str(e.get("MESSAGE"))
    for e in sd.journal("-u", UNIT)), 30)
warn = [e for e in sd.journal("-u", UNIT)
        if "user cannot change" in str(e.get("MESSAGE"))]
t.ok(ok and warn[0]["MESSAGE"].startswith("warning: ") and
     warn[0].get("PRIORITY") == "4",
     "a reload changing user is refused with a clear warning: %r" %
     (warn[0]["MESSAGE"] if warn else None))
ok, _ = wait_until(lambda: any(
    e.get("SYSLOG_IDENTIFIER") == "popgate-sd" and
    e.get("SYSLOG_FACILITY") == "19" for e in sd.journal("-u", UNIT)), 30)
t.ok(ok, "syslog_name and syslog_facility (local3) honoured after reload")
t.ok(wait_until(lambda: try_ask(LISTED, port2) == "OK", 30)[0],
     "still answering after the refused user change")
config(action="OK", listen=port2)
sd.systemctl("reload", UNIT)

# reload with a broken configuration: refused, the running one kept
sd.write(CONF, "policy_listen = inet:127.0.0.1:%d\nwindow = soon\n" % port2)
r = sd.systemctl("reload", UNIT)
ok, _ = wait_until(lambda: any("keeping the running configuration" in
                               str(e.get("MESSAGE"))
                               for e in sd.journal("-u", UNIT)), 30)
t.ok(ok and sd.show(UNIT, "ActiveState") == "active" and
     try_ask(LISTED, port2) == "OK",
     "a broken configuration on reload is refused (FILE:LINE logged), "
     "the running one keeps answering")
config(action="OK", listen=port2)
sd.systemctl("reload", UNIT)

# crash restarts: a worker by the master, the master by systemd
serve = [p for p in sd.pids("popgated") if p != master]
sd.run(["kill", "-KILL"] + [str(p) for p in serve])
ok, el = wait_until(lambda: try_ask(LISTED, port2) == "OK" and
                    len(sd.pids("popgated")) == 3, 30)
t.ok(ok, "workers killed with SIGKILL are restarted (%.2f s)" % el)
sd.run(["kill", "-KILL", str(master)])
ok, el = wait_until(lambda: sd.show(UNIT, "MainPID") not in ("0", str(master))
                    and sd.show(UNIT, "ActiveState") == "active"
                    and try_ask(LISTED, port2) == "OK", 60)
t.ok(ok and sd.show(UNIT, "NRestarts") == "1",
     "master killed: systemd restarts the unit (%.2f s, NRestarts=%s)" %
     (el, sd.show(UNIT, "NRestarts")))
t.ok(len(sd.pids("popgated")) == 3,
     "no process of the killed instance is left", sd.pids("popgated"))

# stop: every process gone within 5 s
t0 = time.monotonic()
r = sd.systemctl("stop", UNIT)
ok, el = wait_until(lambda: not sd.pids("popgated"), 30, 0.02)
el = time.monotonic() - t0
t.ok(r.returncode == 0 and ok and el < 5.0,
     "systemctl stop leaves no popgated process after %.2f s "
     "(done-when: within 5 s)" % el)
t.ok(sd.show(UNIT, "Result") == "success",
     "stopped cleanly, not killed (Result=%s)" % sd.show(UNIT, "Result"))
stuck = [e["MESSAGE"] for e in sd.journal("-u", UNIT)
         if "did not stop" in str(e.get("MESSAGE"))
         or "still running" in str(e.get("MESSAGE"))]
t.ok(not stuck, "no worker needed more than the stop request", stuck)

entries = sd.journal("-u", UNIT)
dup = sdlib.duplicates(entries)
stdout = [e.get("MESSAGE") for e in entries
          if e.get("_TRANSPORT") == "stdout"]
ours = [e for e in entries if e.get("_COMM") == "popgated"]
t.ok(len(ours) > 10 and not dup and not stdout,
     "no journal message appears twice (%d popgated entries)" % len(ours), "\n".join(dup + [str(s) for s in stdout]))

fake = [{"_COMM": "popgated", "_PID": "9", "MESSAGE": "warning: x",
         "__REALTIME_TIMESTAMP": "1000000"},
        {"_COMM": "popgated", "_PID": "9", "_TRANSPORT": "stdout",
         "MESSAGE": "popgated: warning: x", "__REALTIME_TIMESTAMP": "1000200"}]
t.ok(sdlib.duplicates(fake) == ["warning: x"],
     "the duplicate check finds a syslog + stderr pair (self-test)")

# a broken configuration at start: ExecStartPre says why, once
sd.write(CONF, "window = soon\n")
r = sd.systemctl("start", UNIT)
why = [e.get("MESSAGE") for e in sd.journal("-u", UNIT)
       if str(e.get("MESSAGE")).startswith(CONF + ":1: ")]
t.ok(r.returncode != 0 and len(why) == 1,
     "start with a broken configuration fails; FILE:LINE is in the journal "
     "once: %r" % why)

bad = [e["MESSAGE"] for e in ours if e.get("PRIORITY") in ("0", "1", "2", "3",
                                                            "4")
       and "user cannot change" not in e["MESSAGE"]
       and "keeping the running configuration" not in e["MESSAGE"]
       and "killed by signal 9" not in e["MESSAGE"]]
t.ok(not bad, "no warning or error under the sandbox (seccomp, "
     "ProtectSystem, ProcSubset...) besides the provoked ones", bad)

score, text = sdlib.exposure(sd, UNIT)
t.note("systemd-analyze security popgated: %s (before issue 14: %.1f)" %
       (score, EXPOSURE_BEFORE))
t.ok(score is not None and score < EXPOSURE_BEFORE,
     "exposure %s below the old unit's %.1f" % (score, EXPOSURE_BEFORE), text)

r = sd.sh('cd "%s" && make -s uninstall PREFIX=/usr/local' % sdlib.TOP)
left = sd.sh("ls -d /usr/local/sbin/popgate* /usr/local/lib/systemd/system/"
             "popgated.service /usr/local/lib/sysusers.d/popgate.conf "
             "/usr/local/lib/tmpfiles.d/popgate.conf /usr/local/share/man/"
             "man8/popgate* /usr/local/share/doc/popgate 2>/dev/null").stdout
t.ok(r.returncode == 0 and not left.split() and
     sd.run(["test", "-e", CONF]).returncode == 0,
     "make uninstall removes what make install put there, keeps the "
     "configuration", r.stdout + r.stderr + left)

sd.shutdown()
t.ok(not os.path.lexists(sdlib.DEV_LOG) or sd.had_dev_log,
     "systemd exited; no /dev/log left behind on the machine")
t.finish()
