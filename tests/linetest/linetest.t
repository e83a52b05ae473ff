#!/usr/bin/python3
"""linetest.t - popgated -T on every corpus file: the addresses it reports
as logins are exactly the file's .expect set, each one "recorded" or "too
old for the window" by its own time stamp; with ignore_networks and
ignore_users set, those lines say so instead; two-line formats report
their waiting and discarded first lines; -v adds the tagged lines that
matched nothing; standard input; the table; exit 0 / 1 / 2."""

import glob
import os
import re
import subprocess
import time
from datetime import datetime

import popgate_test as pt  # noqa: E402

tap = pt.Tap()
TOP = os.environ.get("POPGATE_TOP", ".")
WINDOW = 365 * 86400
tmp = pt.temp_dir("popgate-linetest-")
LINE = re.compile(r"^(\d+): ([^:]+): (\S+)(?: (\S+) service=(\S+) time=(\S+) user=(.*))?$")


def conf(name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write("log_files = /nonexistent/mail.log\njournal = no\nuser =\n"
                "window = 365d\n" + text)
    return path


PLAIN = conf("plain.conf", "ignore_networks =\n")
RULES = conf("rules.conf", "ignore_networks = 192.0.2.0/24\nignore_users = bob\n")


def run(cfg, path, *args, stdin=None):
    return subprocess.run([pt.POPGATED, "-c", cfg, "-T", path] + list(args),
                          input=stdin, capture_output=True, timeout=120)


def parse(out):
    """[(lineno, verdict, format, ip, time, user)] and the table lines"""
    rows, table = [], []
    lines = out.decode("utf-8", "replace").splitlines()
    cut = next((i for i, x in enumerate(lines) if x.startswith("format ") and
                (i == 0 or lines[i - 1] == "")), len(lines))
    for line in lines[:cut]:
        m = LINE.match(line)
        if m:
            rows.append(m.groups()[:4] + (m.group(6), m.group(7)))
    return rows, lines[cut:]


def read_expect(path):
    with open(path) as f:
        return {x.strip() for x in f if x.strip()}


def epoch(stamp):
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z").timestamp()


LOGIN = ("recorded", "not recorded, too old for the window (365d)")
files = sorted(glob.glob(os.path.join(TOP, "tests/corpus/*.log")))
tap.ok(len(files) >= 20, "%d corpus files" % len(files))
now = time.time()
for log in files:
    name = os.path.basename(log)
    want = read_expect(log[:-4] + ".expect")
    r = run(PLAIN, log)
    rows, table = parse(r.stdout)
    got = {ip for _, v, _, ip, _, _ in rows if v.startswith(LOGIN)}
    bad_age = [row for row in rows if row[1] in LOGIN and
               (row[1] == "recorded") != (epoch(row[4]) + WINDOW > now)]
    unknown = [row for row in rows if not row[1].startswith(
        ("recorded", "not recorded, ", "session closed", "waiting, "))]
    # (a verdict never holds a colon: the LINE pattern relies on it)
    rc_want = 0 if want else 1
    tap.ok(got == want and not bad_age and not unknown and r.returncode == rc_want,
           "%s: %d addresses as expected, each recorded or too old by its "
           "stamp, exit %d" % (name, len(want), r.returncode),
           "missing %s\nextra %s\nbad age %s\nunknown %s\n%s" %
           (sorted(want - got), sorted(got - want), bad_age, unknown,
            r.stderr.decode(errors="replace")))
    total = [x for x in table if x.startswith("total")]
    recorded = sum(1 for row in rows if row[1].startswith("recorded"))
    tap.ok(total and int(total[0].split()[1]) == recorded,
           "%s: the table's total counts %d recorded lines" % (name, recorded), table)

# the rules: the same lines now say why they are not recorded
log = os.path.join(TOP, "tests/corpus/dovecot-crafted.log")
plain = {row[0]: row for row in parse(run(PLAIN, log).stdout)[0]}
ruled = {row[0]: row for row in parse(run(RULES, log).stdout)[0]}
wrong = []
seen = set()
for n, row in plain.items():
    if row[1] != "recorded":
        continue
    ip, user = row[3], row[5]
    if ip.startswith("192.0.2."):
        want = "not recorded, ignored network"
    elif user == "bob":
        want = "not recorded, ignored user"
    else:
        want = "recorded"
    seen.add(want)
    if ruled[n][1] != want:
        wrong.append((row, ruled[n]))
tap.ok(not wrong and len(seen) == 3, "ignore_networks and ignore_users: each "
       "line names the rule that kept it out (%s)" % ", ".join(sorted(seen)), wrong)

rows = parse(run(PLAIN, os.path.join(TOP, "tests/corpus/popa3d-twoline.log")).stdout)[0]
verdicts = {row[1] for row in rows}
waiting = {row[3] for row in rows if row[1].startswith("waiting")}
tap.ok({"waiting, first line of a two-line login",
        "not recorded, failure line (a waiting first line is discarded)",
        "not recorded, second line without a waiting first line"} <= verdicts
       and "192.0.2.100" in waiting,
       "two-line logins: waiting first lines (with their address), discarded "
       "ones, second lines without a first", sorted(verdicts))

rows = parse(run(PLAIN, os.path.join(TOP, "tests/corpus/dovecot-crafted.log")).stdout)[0]
amb = [row for row in rows if row[1] == "not recorded, ambiguous (the address field twice)"]
tap.ok(amb and all(row[2] == "dovecot" for row in amb),
       "lines with two rip= fields: ambiguous (%d)" % len(amb), rows)
rows = parse(run(PLAIN, os.path.join(TOP, "tests/corpus/vm-pop3d.log")).stdout)[0]
tap.ok(any(row[1] == "not recorded, its first line was a failure or had no address"
           for row in rows), "a login line after a failure or an address-less "
       "first line says so", sorted({row[1] for row in rows}))

log = os.path.join(TOP, "tests/corpus/dovecot-syslog-classic.log")
quiet = parse(run(PLAIN, log).stdout)[0]
loud = parse(run(PLAIN, log, "-v").stdout)[0]
extra = [row for row in loud if row not in quiet]
tap.ok(extra and all(row[1].startswith("no match, a server's tag") for row in extra),
       "-v adds %d tagged lines that matched nothing, and only those" % len(extra),
       extra)

with open(log, "rb") as f:
    data = f.read()
r = run(PLAIN, "-", stdin=data)
tap.ok(r.returncode == 0 and r.stdout == run(PLAIN, log).stdout,
       "- reads standard input: the same report")
big = b"x" * (9 << 20) + b"\n" + data + b"y" * (5 << 20)
r = run(PLAIN, "-", stdin=big)
rows = parse(r.stdout)[0]
tap.ok(r.returncode == 0 and [x[1:] for x in rows] ==
       [x[1:] for x in parse(run(PLAIN, log).stdout)[0]] and
       b"1 over 16384 bytes" in r.stderr and b"last line has no newline" in r.stderr,
       "a 9 MiB line is skipped and counted, a last line without its newline "
       "reported, the rest read as before", r.stderr)
r = run(PLAIN, "-", stdin=b"Mar  1 00:00:00 mx postfix/smtpd[1]: connect from x[192.0.2.1]\n")
tap.ok(r.returncode == 1, "nothing recognised: exit 1 (%d)" % r.returncode)
bad = conf("bad.conf", "ipv6_prefix = 129\n")
r = run(bad, log)
tap.ok(r.returncode == 2 and b"bad.conf:5: ipv6_prefix" in r.stderr,
       "configuration error: exit 2 with FILE:LINE", r.stderr)
r = run(PLAIN, os.path.join(tmp, "missing.log"))
tap.ok(r.returncode == 2 and b"missing.log" in r.stderr, "unreadable file: exit 2",
       r.stderr)
tap.finish()
