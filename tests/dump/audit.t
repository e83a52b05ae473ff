#!/usr/bin/python3
"""audit.t - popgate-dump -u and its audit trail: logins of several users
recorded by a real popgated, -u USER lists exactly that user's entries,
-r -u USER removes every one of them and nothing else, and every change
(-r, -t) is logged once, through popgated's log channel (facility mail,
tag popgated), naming the caller (uid, and sudo's SUDO_USER). The log
lines are caught on a private /dev/log socket in a private mount
namespace; the host's /dev/log is never touched."""

import json
import os
import re
import socket
import subprocess

import popgate_test as pt  # noqa: E402
import faultlib as fl  # noqa: E402

tap = pt.Tap()
fl.need_root(tap, namespace=True)
LOG_MAIL_NOTICE = (2 << 3) | 5          # LOG_MAIL | LOG_NOTICE

LOGINS = [("192.0.2.1", "alice"), ("192.0.2.2", "alice"), ("2001:db8::a", "alice"),
          ("192.0.2.3", "bob"), ("192.0.2.4", "alice"), ("192.0.2.4", "bob"),
          ("192.0.2.5", "carol"), ("192.0.2.6", "alicea")]
ALICE = {"192.0.2.1", "192.0.2.2", "2001:db8::a", "192.0.2.4"}
ALL = {ip for ip, _ in LOGINS}

d = pt.Daemon(pt.temp_dir("popgate-audit-"), journal="no")
pt.append(d.log_file, "")
d.start()
pt.append(d.log_file, "".join(pt.login_line(ip, user=u, pid=100 + i)
                              for i, (ip, u) in enumerate(LOGINS)))
ok, t = pt.wait_until(lambda: {e["ip"] for e in d.dump_json()} == ALL, 30, 0.05)
tap.ok(ok, "popgated recorded %d logins of 4 users at %d addresses (%.3fs)"
       % (len(LOGINS), len(ALL), t), d.dump_json())
tap.ok(d.stop() == 0, "popgated stops")

r = d.dump("-j", "-u", "alice")
listed = {json.loads(x)["ip"] for x in r.stdout.splitlines()}
tap.ok(r.returncode == 0 and listed == ALICE, "-u alice lists her %d addresses, "
       "also the one where bob logged in after her, not alicea's" % len(ALICE),
       r.stdout + r.stderr)
r = d.dump("-u", "nobody-at-all")
tap.ok(r.returncode == 0 and len(r.stdout.splitlines()) == 1,
       "-u with an unknown user: the header only", r.stdout)

# a private /dev whose log socket is ours
dev = os.path.join(pt.temp_dir("popgate-audit-dev-"), "dev")
os.mkdir(dev)
cmds = []
for node in ("null", "zero", "urandom", "random"):
    open(os.path.join(dev, node), "w").close()
    cmds.append("mount --bind /dev/%s %s/%s" % (node, dev, node))
cmds.append("mount --bind %s /dev" % dev)
setup, log_sock = " && ".join(cmds), os.path.join(dev, "log")
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(log_sock)
sock.settimeout(0.2)


def dump_in_ns(*args, env_extra=None):
    env = dict(os.environ)
    env.pop("SUDO_USER", None)
    env.pop("SUDO_UID", None)
    env.update(env_extra or {})
    cmd = "%s && exec \"$@\"" % setup
    return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                           cmd, "sh", pt.POPGATE_DUMP, "-d", d.database] + list(args),
                          capture_output=True, text=True, env=env, timeout=60)


def received():
    lines = []
    while True:
        try:
            lines.append(sock.recv(4096).decode("utf-8", "replace"))
        except socket.timeout:
            return lines


r = dump_in_ns("-r", "-u", "alice", env_extra={"SUDO_USER": "tester", "SUDO_UID": "1234"})
tap.ok(r.returncode == 0 and r.stdout.strip() == "%d removed" % len(ALICE),
       "-r -u alice removes %d entries" % len(ALICE), r.stdout + r.stderr)
left = {e["ip"] for e in d.dump_json()}
tap.ok(left == ALL - ALICE, "every entry of alice is gone, nothing else "
       "(left: %s)" % ", ".join(sorted(left)), left)
lines = received()
tap.note("\n".join(lines))
audit = [x for x in lines if "popgate-dump: removed" in x]
pat = re.compile(r"^<%d>\w{3} [ 0-9]\d \d\d:\d\d:\d\d popgated\[\d+\]: popgate-dump: "
                 r"removed (\S+) user=\S* by uid=0\(root\) sudo_user=tester "
                 r"sudo_uid=1234$" % LOG_MAIL_NOTICE)
ips = [pat.match(x).group(1) for x in audit if pat.match(x)]
tap.ok(len(audit) == len(ALICE) and sorted(ips) == sorted(ALICE),
       "one audit line per removed entry, facility mail, tag popgated, naming "
       "the caller and the sudo user", lines)
tap.ok(not r.stderr, "the audit lines go to syslog only, not to stderr", r.stderr)

r = dump_in_ns("-t", "192.0.2.3", "192.0.2.77")
lines = received()
tap.ok(r.returncode == 0 and r.stdout.strip() == "1 added, 1 refreshed",
       "-t: one added, one refreshed", r.stdout + r.stderr)
tap.ok(sorted(re.sub(r"^.*popgate-dump: ", "", x) for x in lines) ==
       ["added 192.0.2.77 by uid=0(root)", "refreshed 192.0.2.3 by uid=0(root)"],
       "-t logs each change with the caller (no sudo: the uid only)", lines)

r = dump_in_ns("-r", "192.0.2.250")
tap.ok(r.stdout.strip() == "0 removed" and received() == [],
       "a removal that removes nothing logs nothing", r.stdout)
r = dump_in_ns("-j", "-u", "bob")
tap.ok(received() == [], "listing logs nothing")
tap.finish()
