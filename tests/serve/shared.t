#!/usr/bin/python3
"""shared.t - shared_address_users with a real popgated: ten users logging
in at one address (shared_address_users = 5) get DUNNO for it while a
single-user address stays OK; the sharing is logged once and counted
(shared_addresses), marked in popgate-dump's table and JSON; -v logs each
policy decision with its reason; ignore_users keeps a user's logins out;
unlisted_action = DEFER_IF_REJECT answers unlisted clients with a 4.7.1
deferral and the configured text."""

import json
import os

import popgate_test as pt  # noqa: E402

tap = pt.Tap()
SHARED, SINGLE, IGNORED, UNLISTED = "192.0.2.10", "192.0.2.20", "192.0.2.30", "192.0.2.99"

tmp = pt.temp_dir("popgate-shared-")
MAP = os.path.join(tmp, "popgate.map")
d = pt.Daemon(tmp, journal="no", shared_address_users="5",
              ignore_users="test-account", export_map=MAP)
pt.append(d.log_file, "")
d.start(args=["-v"])
lines = [pt.login_line(SHARED, user="user%d" % i, pid=200 + i) for i in range(10)]
lines += [pt.login_line(SINGLE, user="alice", pid=300 + i) for i in range(3)]
lines += [pt.login_line(IGNORED, user="test-account", pid=400)]
pt.append(d.log_file, "".join(lines))


def counts():
    return {e["ip"]: e["count"] for e in d.dump_json()}


ok, t = pt.wait_until(lambda: counts().get(SHARED) == 10 and
                      counts().get(SINGLE) == 3, 30, 0.05)
tap.ok(ok, "all 13 logins recorded (%.3fs)" % t, counts())
tap.ok(d.policy(SINGLE) == "OK", "single-user address %s: OK" % SINGLE)
tap.ok(d.policy(SHARED) == "DUNNO", "address of ten users %s: DUNNO" % SHARED)
tap.ok(IGNORED not in counts() and d.policy(IGNORED) == "DUNNO",
       "ignore_users: test-account's login is not recorded, %s stays DUNNO" % IGNORED)



def exported():
    try:
        with open(MAP) as f:
            return {line.split()[0] for line in f if line.strip()}
    except OSError:
        return set()


ok, t = pt.wait_until(lambda: SINGLE in exported() and SHARED not in exported(),
                      20, 0.05)
tap.ok(ok, "the exported map lists %s, not the "
       "shared %s (%.3fs)" % (SINGLE, SHARED, t), exported())
entries = {e["ip"]: e for e in d.dump_json()}
tap.ok(entries[SHARED].get("shared") is True and "shared" not in entries[SINGLE],
       "popgate-dump -j marks the shared address", entries)
table = d.dump().stdout
row = [x for x in table.splitlines() if x.startswith(SHARED + " ")]
tap.ok(row and "[shared: 8 users]" in row[0] and
       "shared" not in [x for x in table.splitlines() if x.startswith(SINGLE)][0],
       "the table marks it too (the record keeps the last 8 users)", table)
stats = json.loads(d.dump("-s", "-j").stdout)
ok, _ = pt.wait_until(lambda: json.loads(d.dump("-s", "-j").stdout)["counters"]
                      .get("shared_addresses") == 1, 20, 0.05)
stats = json.loads(d.dump("-s", "-j").stdout)
tap.ok(ok and stats["shared"] == 1 and stats["shared_address_users"] == 5,
       "counted once (shared_addresses = 1), one shared entry", stats)

notes = [x for x in d.log().splitlines() if " is shared: " in x]
tap.ok(len(notes) == 1 and SHARED in notes[0] and "not authorized" in notes[0],
       "logged once: %s" % (notes[0] if notes else "-"), d.log()[-3000:])

# more logins at the shared address: no second note, still DUNNO
pt.append(d.log_file, "".join(pt.login_line(SHARED, user="user%d" % i, pid=500 + i)
                              for i in range(3)))
ok, t = pt.wait_until(lambda: counts().get(SHARED) == 13, 30, 0.05)
tap.ok(ok and d.policy(SHARED) == "DUNNO" and
       len([x for x in d.log().splitlines() if " is shared: " in x]) == 1,
       "further logins there: still DUNNO, not logged again (%.3fs)" % t)

d.policy(UNLISTED)
log = d.log()
want = {"listed": "decision: %s listed until " % SINGLE,
        "shared": "decision: %s not authorized: shared address (8 users within 30m)" % SHARED,
        "not listed": "decision: %s not listed" % UNLISTED}
for what, text in want.items():
    tap.ok(text in log, "-v logs the decision '%s'" % what, log[-2000:])
tap.ok(d.stop() == 0, "popgated exits 0")

# a spell ends by itself: once the other users leave the window, the next
# login there is authorized again (window 3s, two users make it shared)
d3 = pt.Daemon(pt.temp_dir("popgate-spell-"), journal="no", window="3s",
               session_tracking="no",
               shared_address_users="2")
pt.append(d3.log_file, "")
d3.start()
pt.append(d3.log_file, pt.login_line(SHARED, user="a", pid=1) +
          pt.login_line(SHARED, user="b", pid=2))
ok, t = pt.wait_until(lambda: d3.dump("-j").stdout.count('"shared":true') == 1, 20, 0.05)
tap.ok(ok and d3.policy(SHARED) == "DUNNO", "two users, threshold 2: shared, "
       "DUNNO (%.3fs)" % t)
ok, t = pt.wait_until(lambda: d3.dump("-j").stdout.strip() == "", 30, 0.1)
pt.append(d3.log_file, pt.login_line(SHARED, user="a", pid=3))
t2 = d3.wait_action(SHARED, "OK", 30)
tap.ok(ok and t2 is not None, "after the window, a's next login alone: OK "
       "again (%.3fs + %.3fs)" % (t, t2 or 0))
pt.append(d3.log_file, pt.login_line(SHARED, user="c", pid=4))
ok, t = pt.wait_until(lambda: d3.try_policy(SHARED) == "DUNNO", 20, 0.05)
notes = [x for x in d3.log().splitlines() if " is shared: " in x]
tap.ok(ok and len(notes) == 2, "c joins: shared again, a second spell logged "
       "(%d notes, %.3fs)" % (len(notes), t), d3.log()[-2000:])
tap.ok(d3.stop() == 0, "popgated exits 0")

# ignore_networks from a file, read again on HUP
tmp4 = pt.temp_dir("popgate-netfile-")
NETS = os.path.join(tmp4, "shared.networks")
pt.append(NETS, "# CGNAT\n100.64.0.0/10\n198.51.100.0/24   # a fetcher\n", "w")
d4 = pt.Daemon(tmp4, journal="no", ignore_networks="::1, " + NETS)
pt.append(d4.log_file, "")
d4.start()
pt.append(d4.log_file, pt.login_line("198.51.100.5", pid=1) + pt.login_line("192.0.2.5", pid=2))
ok, t = pt.wait_until(lambda: d4.try_policy("192.0.2.5") == "OK", 20, 0.05)
tap.ok(ok and "198.51.100.5" not in [e["ip"] for e in d4.dump_json()],
       "a network listed in the file is ignored (%.3fs)" % t, d4.dump_json())
pt.append(NETS, "100.64.0.0/10\n", "w")
d4.hup()
ok, t = pt.wait_until(lambda: "reloaded" in d4.log() and d4.try_policy("192.0.2.5") == "OK",
                      30, 0.05)
pt.append(d4.log_file, pt.login_line("198.51.100.6", pid=3))
t2 = d4.wait_action("198.51.100.6", "OK", 30)
tap.ok(ok and t2 is not None, "file changed, HUP: its old network is recorded "
       "again (%.3fs)" % (t2 or 0), d4.log()[-2000:])
pt.append(NETS, "100.64.0.1/10\n", "w")
d4.hup()
ok, t = pt.wait_until(lambda: "keeping the running configuration" in d4.log(), 30, 0.05)
tap.ok(ok and "shared.networks:1: host bits set" in d4.log() and
       d4.try_policy("198.51.100.6") == "OK",
       "a bad line in the file: reload refused with FILE:LINE, the running "
       "configuration kept", d4.log()[-2000:])
tap.ok(d4.stop() == 0, "popgated exits 0")

# unlisted_action = DEFER_IF_REJECT
d2 = pt.Daemon(pt.temp_dir("popgate-unlisted-"), journal="no",
               unlisted_action="DEFER_IF_REJECT")
pt.append(d2.log_file, "")
d2.start()
tap.ok(d2.policy(UNLISTED) == "DEFER_IF_REJECT 4.7.1 Fetch your mail first, then "
       "send again", "unlisted: DEFER_IF_REJECT 4.7.1 with the default text")
pt.append(d2.log_file, pt.login_line(SINGLE))
t = d2.wait_action(SINGLE, "OK", 30)
tap.ok(t is not None, "after a login: OK (%.3fs)" % (t or 0))
tap.ok(d2.stop() == 0, "popgated exits 0")
tap.finish()
