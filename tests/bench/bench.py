#!/usr/bin/python3
"""bench.py - runs every popgate benchmark and prints ratios against
baselines measured in the same run, plus one "BENCH name value" line per
figure. Called by tests/bench/run.sh after it built the programs and the
log:   bench.py BUILD   (BUILD/bench holds the bench programs and data)

Never asserts a time (the machine is shared and noisy): figures are
ratios against baselines run alongside; what cannot be measured is
printed as skipped with the reason.
"""

import os
import platform
import pwd
import grp
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True		# keep the source tree clean
from bench_race import race  # noqa: E402
from benchlib import (BUILD, bytes_read, DUMP, LOG, OUT, POLICY_SECONDS, POPGATED,  # noqa: E402
                      RESULTS, ROUNDS, SCALE_ENTRIES, TRIVIAL, Daemon, bench, best_of,
                      cpu_seconds, policy_answer, prog, rss_kib, run_kv, saved_offset,
                      say, start, stop, temp_dir, wait_answer)

LINES = 0


def ingest():
    global LINES
    say("== 1. ingest throughput: %s (%d MB)" % (LOG, os.path.getsize(LOG) >> 20))
    patterns = os.path.join(OUT, "patterns.txt")
    with open(patterns, "w") as f:
        subprocess.run([prog("bench_ingest"), "formats"], stdout=f, check=True)
    db = os.path.join(OUT, "ingest.lmdb")

    def real_ingest(mode="ingest"):
        for p in (db, db + "-lock"):
            if os.path.exists(p):
                os.unlink(p)
        return run_kv([prog("bench_ingest"), mode, LOG, db])

    def perl():
        t0 = time.monotonic()
        r = run_kv(["perl", os.path.join(os.path.dirname(__file__), "baseline.pl"),
                    patterns, LOG])
        r["seconds"] = time.monotonic() - t0
        return r

    split = best_of(lambda: run_kv([prog("bench_ingest"), "split", LOG]), 5)
    real = best_of(real_ingest)
    pl = best_of(perl, 2)
    LINES = int(real["lines"])
    parts = {m: run_kv([prog("bench_ingest"), m, LOG])
             for m in ("prefilter", "match", "bufscan", "tagscan", "tagmatch")}
    say("  line split (read 64 KiB + memchr): %.3f s  %10.0f lines/s"
        % (split["seconds"], split["lines"] / split["seconds"]))
    say("  popgate ingest (tailer+match+LMDB): %.3f s  %10.0f lines/s, "
        "%d logins, %d transactions" % (real["seconds"], LINES / real["seconds"],
                                         real["logins"], real["applies"]))
    say("  perl baseline (same regexes):       %.3f s  %10.0f lines/s, %d logins"
        % (pl["seconds"], pl["lines"] / pl["seconds"], pl["logins"]))
    say("  breakdown (split + ...): matcher_match %.3f s, of which its per-line "
        "memmem prefilters alone %.3f s" % (parts["match"]["seconds"],
                                            parts["prefilter"]["seconds"]))
    say("  proposals: each literal once per 64 KiB read %.3f s; syslog tag "
        "check alone %.3f s (%d of %d lines left), tag check + matcher_match "
        "%.3f s (%d logins)" % (parts["bufscan"]["seconds"],
                                parts["tagscan"]["seconds"], parts["tagscan"]["logins"],
                                parts["tagscan"]["lines"], parts["tagmatch"]["seconds"],
                                parts["tagmatch"]["logins"]))
    if have_daemon("daemon backlog read"):
        t, cpu = daemon_backlog()
        if t:
            say("  popgated itself, 2 M-line backlog (start_at = beginning, "
                "logins older than the window): %.3f s  %10.0f lines/s "
                "(%.2f CPU s)" % (t, LINES / t, cpu))
            bench("daemon_backlog_lines_per_s", "%.0f" % (LINES / t))
    if int(pl["logins"]) != int(real["logins"]):
        say("  NOTE: perl found %d logins, popgate %d" % (pl["logins"], real["logins"]))
    bench("ingest_lines_per_s", "%.0f" % (LINES / real["seconds"]))
    bench("ingest_vs_linesplit", "%.3f" % (split["seconds"] / real["seconds"]), ">= 0.5")
    bench("ingest_vs_perl", "%.2f" % (pl["seconds"] / real["seconds"]), ">= 3")
    bench("ingest_match_only_s", "%.3f" % parts["match"]["seconds"])
    bench("ingest_prefilter_only_s", "%.3f" % parts["prefilter"]["seconds"])
    bench("ingest_bufscan_s", "%.3f" % parts["bufscan"]["seconds"])
    bench("ingest_tagmatch_s", "%.3f" % parts["tagmatch"]["seconds"])
    st = run_kv([prog("bench_ingest"), "stamps"])
    say("  time_parse: %.0f ns per BSD stamp, %.0f ns per RFC 3339 stamp "
        "(paid by every backlog login)" % (st["bsd_ns"], st["rfc3339_ns"]))
    bench("time_parse_bsd_ns", "%.0f" % st["bsd_ns"])
    inline = best_of(lambda: real_ingest("ingest-inline"))
    say("  popgate ingest on one thread (no backlog matcher thread): %.3f s, "
        "%d logins; the thread gains %.2fx" % (inline["seconds"], inline["logins"],
                                               inline["seconds"] / real["seconds"]))
    bench("ingest_inline_vs_linesplit", "%.3f" % (split["seconds"] / inline["seconds"]))
    two = best_of(lambda: run_kv([prog("bench_ingest"), "ingest", LOG, db,
                                  TWO_FORMATS]))
    say("  popgate ingest, log_formats = %s: %.3f s, %d logins"
        % (TWO_FORMATS, two["seconds"], two["logins"]))
    bench("ingest_two_formats_vs_linesplit", "%.3f" % (split["seconds"] / two["seconds"]),
          ">= 0.5")


TWO_FORMATS = "dovecot, courier"
SENTINEL = "198.18.0.1"


def sentinel_log():
    """a copy of LOG that ends with one Dovecot login stamped now (the
    only one inside the window): its OK means the whole file was read,
    matched and committed"""
    d = temp_dir()
    os.mkdir(os.path.join(d, "log"))
    path = os.path.join(d, "log", "mail.log")
    shutil.copyfile(LOG, path)
    with open(path, "a") as f:
        f.write("%s mx dovecot: imap-login: Login: user=<sentinel>, method=PLAIN, "
                "rip=%s, lip=192.0.2.254, mpid=4242, TLS, session=<sentinel1>\n"
                % (time.strftime("%b %e %H:%M:%S"), SENTINEL))
    return path


def catchup_once(log, formats):
    """seconds from exec of popgated (start_at = beginning, a window that
    holds every login of the log, so all of them are written) to the
    sentinel's OK; None if it never came"""
    extra = "start_at = beginning\n"
    if formats:
        extra += "log_formats = %s\n" % formats
    d = Daemon(log=log, extra=extra, window="365d")
    try:
        while time.monotonic() - d.t0 < 120:
            a = policy_answer(d.sock, SENTINEL)
            if a and "action=OK" in a:
                return {"seconds": time.monotonic() - d.t0}
            time.sleep(0.002)
        say("  catch-up: no OK within 120 s: " + d.stderr_tail())
        return {"seconds": float("inf")}
    finally:
        d.stop()


def catchup():
    """the issue-18 figures: the whole daemon catching up on LOG from a
    cold start against the simplest Perl loop, all formats and two"""
    say("== 1b. catch-up: cold start -> last login's OK, against a two-regex "
        "Perl loop (best of %d)" % ROUNDS)
    if not have_daemon("catch-up"):
        return
    log = sentinel_log()

    def perl():
        t0 = time.monotonic()
        r = run_kv(["perl", os.path.join(os.path.dirname(__file__), "baseline2.pl"),
                    log])
        r["seconds"] = time.monotonic() - t0
        return r

    lines = sum(1 for _ in open(log, "rb"))
    pl = best_of(perl)
    say("  perl two-regex loop: %.3f s  %10.0f lines/s, %d logins"
        % (pl["seconds"], lines / pl["seconds"], pl["logins"]))
    for label, formats in (("", None), ("_two_formats", TWO_FORMATS)):
        r = best_of(lambda: catchup_once(log, formats))
        say("  popgated catch-up, log_formats = %s: %.3f s  %10.0f lines/s"
            % (formats or "auto", r["seconds"], lines / r["seconds"]))
        bench("catchup%s_lines_per_s" % label, "%.0f" % (lines / r["seconds"]))
        bench("catchup%s_vs_perl" % label, "%.2f" % (pl["seconds"] / r["seconds"]),
              ">= 3" if not label else "")


def daemon_backlog():
    """the whole daemon reading LOG from the beginning (start_at =
    beginning): seconds until its saved position reaches the end. Its
    logins are months old, so they are read and matched but skipped as
    older than the window: no store writes besides positions. Progress is
    the ingest worker's rchar (/proc/PID/io): polling it costs nothing"""
    d = Daemon(log=os.path.abspath(LOG), extra="start_at = beginning\n")
    size = os.path.getsize(LOG)
    try:
        while time.monotonic() - d.t0 < 120:
            if bytes_read(d.proc.pid) >= size:
                t, cpu = time.monotonic() - d.t0, cpu_seconds(d.proc.pid)
                time.sleep(0.2)
                off = saved_offset(d.db, d.log)
                if off != size:
                    say("  NOTE: saved position %d 0.2 s after the last read "
                        "(file size %d)" % (off, size))
                return t, cpu
            time.sleep(0.01)
        say("  daemon backlog: not read within 120 s: " + d.stderr_tail())
        return None, None
    finally:
        d.stop()


def have_daemon(what):
    if os.access(POPGATED, os.X_OK):
        return True
    say("  SKIPPED %s: %s is not built" % (what, POPGATED))
    return False


def latency():
    say("== 2. login -> relay latency (real popgated following a real file)")
    if not have_daemon("latency"):
        return
    d = Daemon()
    try:
        if d.ready() is None:
            say("  SKIPPED: popgated never answered: " + d.stderr_tail())
            return
        r = run_kv([prog("bench_latency"), d.log, "unix:" + d.sock, "1000"],
                   check=False)
        say("  %d samples, %d timed out, %d policy questions: p50 %.3f ms, "
            "p90 %.3f ms, p99 %.3f ms, max %.3f ms"
            % (r["samples"], r["timeouts"], r["questions"], r["p50_ms"],
               r["p90_ms"], r["p99_ms"], r["max_ms"]))
        bench("login_to_ok_p50_ms", "%.3f" % r["p50_ms"])
        bench("login_to_ok_p99_ms", "%.3f" % r["p99_ms"], "< 5")
    finally:
        d.stop()


def policy_load(endpoint):
    return run_kv([prog("bench_policy"), endpoint, "64", str(POLICY_SECONDS)],
                  check=False)


def start_postgrey():
    """(process, socket path) or (None, reason)"""
    exe = shutil.which("postgrey") or "/usr/sbin/postgrey"
    if not os.access(exe, os.X_OK):
        return None, "postgrey is not installed (apt-get install postgrey)"
    d = temp_dir()
    sock = os.path.join(d, "postgrey.sock")
    user = "postgrey" if os.geteuid() == 0 else pwd.getpwuid(os.getuid()).pw_name
    group = "postgrey" if os.geteuid() == 0 else grp.getgrgid(os.getgid()).gr_name
    try:
        shutil.chown(d, user, group)
    except (LookupError, OSError) as e:
        return None, "cannot prepare its dbdir: %s" % e
    err = open(os.path.join(d, "postgrey.err"), "w")
    p = start([exe, "--unix=" + sock, "--dbdir=" + d, "--delay=0",
               "--user=" + user, "--group=" + group], stdout=err, stderr=err)
    if wait_answer(sock, 30) is None:
        stop(p)
        return None, "postgrey did not answer within 30 s"
    return p, sock


def policy():
    say("== 3. policy throughput, 64 persistent connections, %.0f s each, "
        "Postfix 3.7 RCPT requests" % POLICY_SECONDS)
    if not have_daemon("policy throughput"):
        return
    d = Daemon()
    triv_dir = temp_dir()
    triv_sock = os.path.join(triv_dir, "trivial.sock")
    triv = start([TRIVIAL, triv_sock])
    try:
        if d.ready() is None or wait_answer(triv_sock, 10) is None:
            say("  SKIPPED: a server never answered: " + d.stderr_tail())
            return
        listed = ["192.0.2.%d" % i for i in range(1, 201)]
        subprocess.run([DUMP, "-d", d.db, "-t"] + listed, check=True,
                       stdout=subprocess.DEVNULL)
        runs = {"popgated": [], "trivial": []}
        for _ in range(2):		# interleaved: both see the same noise
            runs["popgated"].append(policy_load("unix:" + d.sock))
            runs["trivial"].append(policy_load("unix:" + triv_sock))
        pg = max(runs["popgated"], key=lambda r: r["rps"])
        tv = max(runs["trivial"], key=lambda r: r["rps"])
    finally:
        d.stop()
        stop(triv)
    for name, r in (("popgated", pg), ("trivial C server", tv)):
        say("  %-17s %8.0f req/s  p50 %7.1f us  p99 %7.1f us  errors %d  "
            "OK listed %d / unlisted %d" % (name, r["rps"], r["p50_us"],
                                            r["p99_us"], r["errors"],
                                            r["ok_listed"], r["ok_unlisted"]))
    if pg["ok_unlisted"] or pg["errors"] or not pg["ok_listed"]:
        say("  WRONG ANSWERS from popgated: see the counts above")
    bench("policy_req_per_s", "%.0f" % pg["rps"])
    bench("policy_vs_trivial", "%.3f" % (pg["rps"] / tv["rps"]), ">= 0.7")
    bench("policy_p99_us", "%.1f" % pg["p99_us"])
    p, sock = start_postgrey()
    if p is None:
        say("  postgrey SKIPPED: " + sock)
        return
    try:
        gr = policy_load("unix:" + sock)
    finally:
        stop(p)
    say("  %-17s %8.0f req/s  p50 %7.1f us  p99 %7.1f us  errors %d"
        % ("postgrey", gr["rps"], gr["p50_us"], gr["p99_us"], gr["errors"]))
    if gr["rps"] > 0:
        bench("policy_vs_postgrey", "%.1f" % (pg["rps"] / gr["rps"]), ">= 10")


def scale():
    n = SCALE_ENTRIES
    say("== 4. scale: %d entries (10 %% expired), store API" % n)
    db = os.path.join(OUT, "scale.lmdb")
    for p in (db, db + "-lock"):
        if os.path.exists(p):
            os.unlink(p)
    b = run_kv([prog("bench_scale"), "build", db, str(n)])
    say("  built in %.1f s, 1000 logins per transaction (longest %.1f ms); "
        "file %.1f MiB" % (b["seconds"], b["max_txn_ms"], b["file_bytes"] / 2**20))
    bench("db_file_mib", "%.1f" % (b["file_bytes"] / 2**20))
    daemon_db = None
    if os.access(POPGATED, os.X_OK):
        daemon_dir = temp_dir()
        daemon_db = os.path.join(daemon_dir, "popgate.lmdb")
        shutil.copyfile(db, daemon_db)
    lk = run_kv([prog("bench_scale"), "lookup", db, str(n), "200000"])
    say("  %d lookups (half listed): p50 %.2f us, p99 %.2f us, max %.1f us"
        % (lk["lookups"], lk["p50_us"], lk["p99_us"], lk["max_us"]))
    bench("lookup_p99_us", "%.2f" % lk["p99_us"])
    sw = run_kv([prog("bench_scale"), "sweep", db])
    say("  sweep: %d deleted in %.3f s, %d write transactions, longest %.2f ms"
        % (sw["deleted"], sw["seconds"], sw["txns"], sw["max_txn_ms"]))
    bench("sweep_max_txn_ms", "%.2f" % sw["max_txn_ms"], "<= 50")
    bench("sweep_s", "%.3f" % sw["seconds"])
    if daemon_db is None:
        say("  startup/RSS SKIPPED: %s is not built" % POPGATED)
        return
    d = Daemon(daemon_db)
    try:
        t = d.ready()
        if t is None:
            say("  startup SKIPPED: popgated never answered: " + d.stderr_tail())
            return
        bench("startup_ms", "%.1f" % (t * 1000))
        time.sleep(1)
        idle = rss_kib(d.proc.pid)
        policy_load("unix:" + d.sock)
        busy = rss_kib(d.proc.pid)
    finally:
        d.stop()
    say("  startup with %d entries: %.1f ms to the first policy answer" % (n, t * 1000))
    say("  RSS master+workers: anonymous %d KiB idle, %d KiB after load "
        "(file-backed LMDB pages %d KiB, VmRSS %d KiB)"
        % (idle["RssAnon"], busy["RssAnon"], busy["RssFile"], busy["VmRSS"]))
    bench("rss_kib", "%d" % busy["RssAnon"])


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def table():
    say()
    say("== results (%s, %d CPUs, %s, %s)" % (cpu_model(), os.cpu_count(),
                                              platform.release(), time.strftime("%Y-%m-%d")))
    say("| figure | value | goal |")
    say("|---|---|---|")
    for name, value, goal in RESULTS:
        say("| %s | %s | %s |" % (name, value, goal))


def main():
    t0 = time.monotonic()
    for section in (ingest, catchup, latency, policy, scale, race):
        try:
            section()
        except Exception as e:		# one broken section must not hide the rest
            say("  %s FAILED: %s" % (section.__name__, e))
    table()
    say("(bench run took %.0f s)" % (time.monotonic() - t0))


if __name__ == "__main__":
    main()
