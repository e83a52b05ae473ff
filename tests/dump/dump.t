#!/usr/bin/python3
"""dump.t - popgate-dump on the command line: exit codes and messages
(usage, bad address, missing, empty and broken databases, bad config),
-t creating a database with the right modes, -j fields, CIDR filters,
-r, -s, and IPv6 prefixes from the config."""

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time

import popgate_test as pt  # noqa: E402

tap = pt.Tap()
tmp = pt.temp_dir("popgate-dump-")
DB = os.path.join(tmp, "popgate.lmdb")
KEYS = ["ip", "first_seen", "last_seen", "expires", "count", "service", "user"]


def dump(*args):
    return subprocess.run([pt.POPGATE_DUMP] + list(args), capture_output=True,
                          text=True, errors="replace", timeout=60)


def failed_with(r, text, desc):
    tap.ok(r.returncode == 1 and text in r.stderr, desc,
           "rc=%s stderr=%r stdout=%r" % (r.returncode, r.stderr, r.stdout))


def json_lines(r):
    return [json.loads(line) for line in r.stdout.splitlines()]


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# usage errors
for args in (["-x"], ["-c", "a", "-d", "b"], ["-d", DB, "-r"], ["-d", DB, "-t"],
             ["-d", DB, "-r", "-t", "192.0.2.1"], ["-d", DB, "-s", "-r", "192.0.2.1"]):
    failed_with(dump(*args), "usage: popgate-dump", "usage error: %s" % " ".join(args))

# a bad address is refused before anything is opened or created
for bad in ("999.1.1.1", "192.0.2.1/33", "x", "192.0.2.1/24", "2001:db8::1/129"):
    failed_with(dump("-d", DB, "-t", "192.0.2.9", bad),
                'popgate-dump: bad address "%s"' % bad, "bad address %s" % bad)
tap.ok(not os.path.exists(DB), "no database created for bad arguments")
failed_with(dump("-d", DB, "-t", "192.0.2.0/24"), "bad address", "-t takes addresses, not networks")

# missing database
for args in ([], ["-j"], ["-s"], ["-r", "192.0.2.1"], ["192.0.2.1"]):
    failed_with(dump("-d", DB, *args), "popgate-dump: %s: no such database" % DB,
                "missing database: %s" % (" ".join(args) or "(list)"))
tap.ok(not os.path.exists(DB), "still no database")
failed_with(dump("-d", os.path.join(tmp, "nodir", "x.lmdb"), "-t", "192.0.2.1"),
            "cannot create", "-t in a missing directory: exit 1")

# -t creates it, with the modes of DESIGN
r = dump("-d", DB, "-t", "192.0.2.1", "192.0.2.200", "198.51.100.1", "2001:db8::7")
tap.ok(r.returncode == 0 and "4 added" in r.stdout, "-t creates and adds", r.stderr + r.stdout)
mode = stat.S_IMODE(os.stat(DB).st_mode) if os.path.exists(DB) else None
lmode = stat.S_IMODE(os.stat(DB + "-lock").st_mode) if os.path.exists(DB + "-lock") else None
tap.ok(mode == 0o640 and lmode == 0o660, "data 0640, lock 0660 (got %s %s)" % (
    oct(mode or 0), oct(lmode or 0)))

r = dump("-d", DB, "-j")
rows = json_lines(r) if r.returncode == 0 else []
tap.ok(len(rows) == 4, "-j lists 4 entries", r.stdout + r.stderr)
tap.ok(all(list(o.keys()) == KEYS for o in rows), "-j keys exactly as DESIGN, in order",
       r.stdout)
first = rows[0] if rows else {}
tap.ok(first.get("ip") == "192.0.2.1" and first.get("service") == "manual" and
       first.get("user") == "" and first.get("count") == 1 and
       first.get("expires") == first.get("last_seen", 0) + 1800,
       "-t entry: service manual, empty user, default window", r.stdout)

r = dump("-d", DB, "-t", "192.0.2.1")
tap.ok(r.returncode == 0 and "1 refreshed" in r.stdout, "-t again refreshes", r.stdout)
r = dump("-d", DB, "-j", "192.0.2.1")
rows = json_lines(r)
tap.ok(len(rows) == 1 and rows[0]["count"] == 2, "refresh counted", r.stdout)

# table
r = dump("-d", DB)
lines = r.stdout.splitlines()
tap.ok(r.returncode == 0 and lines and lines[0].split()[:2] == ["ip", "last"] and
       len(lines) == 5 and "manual" in lines[1], "table: header and 4 rows", r.stdout)

# CIDR and address filters
r = dump("-d", DB, "-j", "192.0.2.0/25")
tap.ok([o["ip"] for o in json_lines(r)] == ["192.0.2.1"], "CIDR filter", r.stdout)
r = dump("-d", DB, "-j", "192.0.2.0/24", "2001:db8::/32")
tap.ok([o["ip"] for o in json_lines(r)] == ["192.0.2.1", "192.0.2.200", "2001:db8::7"],
       "several filters", r.stdout)
r = dump("-d", DB, "-j", "::ffff:198.51.100.1")
tap.ok([o["ip"] for o in json_lines(r)] == ["198.51.100.1"], "v4-mapped argument", r.stdout)

# statistics
r = dump("-d", DB, "-s")
tap.ok(r.returncode == 0 and "entries: 4" in r.stdout and "\npositions:\n" in r.stdout
       and "window: 30m" in r.stdout, "-s statistics with a positions section", r.stdout)

# remove
r = dump("-d", DB, "-r", "192.0.2.1", "198.51.100.0/24")
tap.ok(r.returncode == 0 and "2 removed" in r.stdout, "-r removes an address and a network",
       r.stdout + r.stderr)
r = dump("-d", DB, "-j")
tap.ok([o["ip"] for o in json_lines(r)] == ["192.0.2.200", "2001:db8::7"],
       "removed entries are gone", r.stdout)
r = dump("-d", DB, "-r", "203.0.113.1")
tap.ok(r.returncode == 0 and "0 removed" in r.stdout, "-r of an absent address: exit 0",
       r.stdout)

# a writer holding its transaction open (mdb_load waiting for input)
# never blocks a listing
if shutil.which("mdb_load"):
    holder = subprocess.Popen(["mdb_load", "-n", "-s", "meta", DB], stdin=subprocess.PIPE,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        holder.stdin.write(b"VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n")
        holder.stdin.flush()
        time.sleep(0.2)
        start = time.monotonic()
        r = dump("-d", DB, "-j")
        took = time.monotonic() - start
        tap.ok(r.returncode == 0 and len(json_lines(r)) == 2 and holder.poll() is None,
               "listing while another process holds the write transaction (%.3fs)" % took,
               r.stderr)
    finally:
        holder.stdin.close()
        holder.wait(60)
else:
    tap.ok(True, "# SKIP mdb_load (lmdb-utils) not installed")

# config: database and ipv6_prefix
conf = os.path.join(tmp, "popgate.conf")
DB6 = os.path.join(tmp, "v6.lmdb")
with open(conf, "w") as f:
    f.write("database = %s\nipv6_prefix = 64\nuser =\nwindow = 10m\n" % DB6)
r = dump("-c", conf, "-t", "2001:db8:1:2::5", "192.0.2.5")
tap.ok(r.returncode == 0, "-c config -t", r.stderr)
r = dump("-c", conf, "-j")
tap.ok([o["ip"] for o in json_lines(r)] == ["192.0.2.5", "2001:db8:1:2::/64"],
       "IPv6 entry shown as its /64", r.stdout + r.stderr)
rows = json_lines(r)
tap.ok(rows and all(o["expires"] == o["last_seen"] + 600 for o in rows),
       "window from the config when the daemon recorded none", r.stdout)
r = dump("-c", conf, "-j", "2001:db8:1:2::99")
tap.ok([o["ip"] for o in json_lines(r)] == ["2001:db8:1:2::/64"],
       "an address inside the /64 finds it", r.stdout)
badconf = os.path.join(tmp, "bad.conf")
with open(badconf, "w") as f:
    f.write("database = %s\nno_such_key = 1\n" % DB6)
failed_with(dump("-c", badconf), "bad.conf:2", "bad config: FILE:LINE, exit 1")
failed_with(dump("-c", os.path.join(tmp, "nope.conf")), "nope.conf", "missing config: exit 1")

# a database we may not read: EACCES (root drops its DAC override first)
locked = os.path.join(tmp, "locked.lmdb")
shutil.copyfile(DB, locked)
os.chmod(locked, 0)
prefix = []
if os.geteuid() == 0:
    prefix = ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search"]
if os.geteuid() != 0 or shutil.which("setpriv"):
    r = subprocess.run(prefix + [pt.POPGATE_DUMP, "-d", locked], capture_output=True,
                       text=True, timeout=60)
    failed_with(r, locked + ": Permission denied", "unreadable database: exit 1")
else:
    tap.ok(True, "# SKIP setpriv not installed")

# broken and empty files are reported, never repaired
broken = os.path.join(tmp, "broken.lmdb")
with open(broken, "wb") as f:
    f.write(bytes((i * 7919 + 13) & 255 for i in range(20000)))
before = digest(broken)
for args in ([], ["-s"], ["-r", "192.0.2.1"], ["-t", "192.0.2.1"]):
    failed_with(dump("-d", broken, *args), broken + ":",
                "broken file: exit 1 (%s)" % (" ".join(args) or "list"))
tap.ok(digest(broken) == before, "broken file left untouched")
empty = os.path.join(tmp, "empty.lmdb")
open(empty, "w").close()
failed_with(dump("-d", empty, "-t", "192.0.2.1"), "empty", "empty file: exit 1")
tap.ok(os.path.getsize(empty) == 0, "empty file left untouched")

tap.finish()
