#!/usr/bin/python3
"""Crash stress: logins fed through rotations of every kind (rename +
create, copytruncate, either one compressed at once with gzip, xz or
zstd, rm + recreate, a file with logins moved into place, a writer
without O_APPEND leaving NUL holes) while popgated (its whole process
group) is killed with SIGKILL at random moments, sometimes before it is
even ready, and restarted after a while: several rotations happen while
it is down. Afterwards every login is in the database exactly as often
as it was logged, and LMDB reads the file cleanly. Only rm + recreate
waits until the file was read (a file deleted unread is lost by design).
STRESS=full (make stress): 100 k logins, 100 kills; default (make
test): 10 k logins, 20 kills; every kind of rotation either way, or with
STRESS_KINDS=classic the classic ones only (rename, and copytruncate or
rm once the file was read). actions.log in the kept directory
(POPGATE_KEEP=1) records every start, kill and rotation and which logins
went into which file at which offset; a failure lists the login numbers
of the addresses missing."""
import os
import random
import sys
import time

import stresslib as sl  # noqa: E402
import rotlib  # noqa: E402

pt = sl.pt
FULL = os.environ.get("STRESS") == "full"
LOGINS = int(os.environ.get("STRESS_LOGINS", 100000 if FULL else 10000))
KILLS = int(os.environ.get("STRESS_KILLS", 100 if FULL else 20))
ALL_KINDS = os.environ.get("STRESS_KINDS", "all") == "all"   # issue 19
SEED = int(os.environ.get("STRESS_SEED", int(time.time())))
CHUNKS = KILLS * 8          # writes of login text; kills and rotations fall between
ROTATIONS = max(4, KILLS // 2)

tap = pt.Tap()
rng = random.Random(SEED)
tap.note("seed %d (STRESS_SEED=%d reproduces the plan): %d logins, %d kills, "
         "%d rotations" % (SEED, SEED, LOGINS, KILLS, ROTATIONS))
events, expected = sl.plan_logins(rng, LOGINS)
d = pt.Daemon(pt.temp_dir("popgate-stress-"), window="1d", start_at="beginning",
              ignore_networks="", rotate_wait="2s")
log = d.log_file
writer = sl.Writer(log)
held = []                   # deleted files kept open: their inodes are not reused
stats = {"kills": 0, "early_kills": 0, "restarts": 0, "rename": 0,
         "copytruncate": 0, "remove": 0, "rename_compressed": 0,
         "copytruncate_compressed": 0, "moved_in": 0, "while_down": 0,
         "deferred": 0, "mid_stream": 0}
WRITER_KINDS = (True, False, "offset") if ALL_KINDS else (True, False)


def start(ready=True):
    note("start")
    try:
        d.start(ready=ready, timeout=120)
    except RuntimeError as e:
        tap.ok(False, "popgated (re)starts", str(e)[-3000:])
        tap.finish()
    stats["restarts"] += 1


def kill():
    d.kill()
    note("killed")
    stats["kills"] += 1
    if sl.backlog(d, log) > 0:
        stats["mid_stream"] += 1


def kill_moment():
    """wait for a random moment: now, or just after the daemon's next
    commit (while it is still reading what was just written)"""
    if rng.random() < 0.5:
        return
    txn = rotlib.txnid(d.database)
    pt.wait_until(lambda: rotlib.txnid(d.database) != txn, 2, 0.0005)
    time.sleep(rng.uniform(0, 0.002))


def kill_and_restart():
    """SIGKILL now; one time in four also kill the next start before it
    is ready (database being opened, files being resumed)"""
    kill()
    if stats["kills"] < KILLS and rng.random() < 0.25:
        start(ready=False)
        time.sleep(rng.uniform(0, 0.4))
        kill()
        stats["early_kills"] += 1
    return rng.random() < 0.5     # True: stay down for a while


def note(what):
    """what was done to the files, for reading a failure afterwards"""
    with open(os.path.join(d.dir, "actions.log"), "a") as f:
        names = sorted(n for n in os.listdir(d.dir) if n.startswith("mail.log"))
        f.write("%.6f %s: %s\n" % (time.time(), what, " ".join(
            "%s=%d" % (n, os.stat(os.path.join(d.dir, n)).st_ino) for n in names)))


def rotate():
    """one rotation of a random kind, or none yet (rm + recreate of a
    file not read to its end)"""
    kind = rng.choice(["rename", "rename", "copytruncate", "remove",
                       "rename_compressed", "copytruncate_compressed"]
                      if ALL_KINDS else ["rename", "rename", "copytruncate", "remove"])
    if not ALL_KINDS and kind != "rename" and not sl.caught_up(d, log):
        stats["deferred"] += 1      # classic: copytruncate and rm once read
        return False
    if kind == "remove" and not sl.caught_up(d, log):
        stats["deferred"] += 1
        return False
    if kind.startswith("rename"):
        sl.rotate_rename(log)
        if writer.keep and writer.f is not None:   # syslog before its HUP
            for _ in range(rng.randint(0, 3)):
                writer.write(pt.noise_line(rng.randint(0, 9999)))
        writer.reopen(rng.choice(WRITER_KINDS))
    elif kind.startswith("copytruncate"):
        sl.rotate_copytruncate(log)
        if writer.keep == "offset":     # its next line lands after a NUL hole
            writer.write(pt.noise_line(rng.randint(0, 9999)))
            writer.reopen(rng.choice(WRITER_KINDS[:2]))     # one hole a file
    else:
        held.append(open(log, "rb"))
        writer.close()
        sl.rotate_remove(log)
        writer.reopen(rng.choice(WRITER_KINDS))
    if kind.endswith("compressed"):
        sl.compress(log + ".1", rng.choice(sorted(sl.COMPRESS)))
    stats[kind] += 1
    stats["while_down"] += d.proc.poll() is not None
    note(kind + (" (down)" if d.proc.poll() is not None else ""))
    return True


def trace_chunk(c, first, end, text):
    """which logins went into which file and where, for a failure"""
    try:
        st = os.stat(log)
        where = "ino %d at %d" % (st.st_ino, st.st_size)
    except OSError:
        where = "no file"
    with open(os.path.join(d.dir, "actions.log"), "a") as f:
        f.write("%.6f chunk %d: logins %d..%d (%d bytes, writer %s) -> %s%s\n" % (
            time.time(), c, first, end - 1, len(text), writer.keep, where,
            "" if d.proc.poll() is None else " (down)"))


def move_in(text):
    """a log shipper moves a file already holding TEXT into place"""
    writer.close()
    sl.rotate_move_in(log, text)
    writer.reopen(rng.choice(WRITER_KINDS))
    stats["moved_in"] += 1
    stats["while_down"] += d.proc.poll() is not None
    note("moved in")


def feed():
    per_chunk = (LOGINS + CHUNKS - 1) // CHUNKS
    kill_at = set(rng.sample(range(1, CHUNKS), min(KILLS, CHUNKS - 1)))
    rotate_at = set(rng.sample(range(1, CHUNKS), min(ROTATIONS, CHUNKS - 1)))
    pending_rotations = 0
    down_for = 0
    for c in range(CHUNKS):
        text = sl.login_text(events, c * per_chunk, min(LOGINS, (c + 1) * per_chunk), rng)
        down = d.proc.poll() is not None
        if ALL_KINDS and (c in rotate_at or (down and rng.random() < 0.3)) and \
                rng.random() < 0.15:
            move_in(text)
            rotate_at.discard(c)
            text = ""
        cut = rng.randint(0, len(text))     # a line may arrive in two writes
        trace_chunk(c, c * per_chunk, min(LOGINS, (c + 1) * per_chunk), text)
        writer.write(text[:cut])
        if c in kill_at and d.proc.poll() is None and stats["kills"] < KILLS:
            kill_moment()
            if kill_and_restart():
                down_for = rng.randint(1, 4)
            else:
                start()
        writer.write(text[cut:])
        if down_for:
            down_for -= 1
            if down_for == 0:
                start()
        pending_rotations += c in rotate_at
        if ALL_KINDS and d.proc.poll() is not None and rng.random() < 0.3:
            pending_rotations += 1      # several rotations while down
        if pending_rotations and rotate():
            pending_rotations -= 1
        if c % 4 == 0:
            time.sleep(rng.uniform(0, 0.05))    # let the daemon be mid-batch
    if d.proc.poll() is not None:
        start()
    while stats["kills"] < KILLS:               # kills owed to skipped slots
        kill()
        start()


pt.append(log, "")
start()
t0 = time.monotonic()
feed()
writer.close()
tap.note("fed %d logins in %.1fs: %s" % (LOGINS, time.monotonic() - t0, stats))
tap.ok(stats["kills"] == KILLS, "popgated was killed %d times" % stats["kills"])


def total():
    try:
        return sum(r["count"] for r in d.dump_json())
    except (RuntimeError, ValueError):
        return -1


progress = {"n": -1, "at": time.monotonic()}


def done_or_stuck():
    """all counted, or no progress for 60 s (then give up early)"""
    n = total()
    if n != progress["n"]:
        progress.update(n=n, at=time.monotonic())
    return n >= LOGINS or time.monotonic() - progress["at"] > 60


pt.wait_until(done_or_stuck, 600 if FULL else 240, 0.5)
ok, t = total() >= LOGINS, time.monotonic() - progress["at"]
tap.ok(ok, "every login counted after the last restart (last progress %.1fs ago)" % t,
       "counted %d of %d" % (total(), LOGINS))
time.sleep(0.5)     # a duplicate would show up now too
rows = d.dump_json()
tap.ok(d.stop() == 0, "popgated exits 0 on TERM", d.log()[-3000:])
res = sl.tally(rows, expected)
print("# logins fed %d / present %d / duplicated %d / missing %d / unexpected %d"
      % (LOGINS, res["present"], res["duplicated"], res["missing"], res["unexpected"]))
detail = "\n".join(res["examples"])
if res["missing"] or res["duplicated"]:     # where to look in actions.log
    few, many = sl.mismatched_logins(events, rows, expected)
    tap.note("login numbers of addresses missing: %s" % few[:300])
    tap.note("login numbers of addresses doubled: %s" % many[:300])
tap.ok(res["present"] == LOGINS, "every login present", detail)
tap.ok(res["duplicated"] == 0, "no login counted twice", detail)
tap.ok(res["unexpected"] == 0, "nothing recorded that was not a login", detail)
tap.ok(len(rows) == len(expected), "one entry per address (%d)" % len(rows))
ok, out = sl.lmdb_check(d.database)
tap.ok(ok, "mdb_stat and mdb_dump read the database cleanly", out)
aside = [n for n in os.listdir(d.dir) if ".broken-" in n]
tap.ok(not aside, "the database was never set aside as broken", aside)
for f in held:
    f.close()
tap.finish()
