#!/usr/bin/python3
"""counters.t - the operational counters with the real daemon: log lines
read, matched per format, logins recorded, an overlong line, a rotation;
policy and socketmap answers, a malformed request, a refusal at
max_clients; then a HUP (both workers restart: the serve counts made
before it must survive, once) with a short window and idle_timeout, for
entries_expired and closed_idle. `popgate-dump -s` must show exactly the
expected counts, sorted by name, within a generous deadline."""

import os
import re
import socket
import sys
import time

import popgate_test as pt  # noqa: E402

DEADLINE = 60	# seconds; nominal is about 1 s (one ingest wake-up)
LISTED = ["192.0.2.%d" % i for i in range(1, 7)]
UNLISTED = ["198.51.100.%d" % i for i in range(1, 7)]
HELD = 3	# max_clients

tap = pt.Tap()


def counters(d):
    """{name: value} from popgate-dump -s, and the names in printed order"""
    r = d.dump("-s")
    if r.returncode != 0:
        return {}, []
    text = r.stdout.split("counters:\n", 1)
    if len(text) < 2:
        return {}, []
    pairs = re.findall(r"^  ([^:\n]+): (\d+)$", text[1], re.M)
    return {k: int(v) for k, v in pairs}, [k for k, _ in pairs]


def wait_counters(d, want, desc):
    """wait until every counter in WANT has its value (0 = absent)"""
    def matches():
        got, _ = counters(d)
        return all(got.get(k, 0) == v for k, v in want.items())
    ok, elapsed = pt.wait_until(matches, DEADLINE, 0.05)
    got, order = counters(d)
    tap.ok(ok, "%s (after %.2fs)" % (desc, elapsed),
           "\n".join("%s: want %d, got %d" % (k, v, got.get(k, 0))
                     for k, v in sorted(want.items()) if got.get(k, 0) != v))
    return got, order


def first_answer(d):
    """one policy request on one connection, waiting as long as it takes
    for the daemon to start: exactly one answer counted"""
    def connected():
        try:
            return d.connect(timeout=DEADLINE)
        except OSError:
            return None
    s, _ = pt.wait_until(connected, DEADLINE, 0.02)
    if not s:
        return ""
    try:
        s.sendall(pt.policy_request("203.0.113.1"))
        return pt.read_policy_answer(s)
    finally:
        s.close()


def policy_on_one_connection(d, ips):
    s = d.connect(DEADLINE)
    try:
        out = []
        for ip in ips:
            s.sendall(pt.policy_request(ip))
            out.append(pt.read_policy_answer(s))
        return out
    finally:
        s.close()


def netstring(text):
    data = text.encode()
    return b"%d:%s," % (len(data), data)


def socketmap(ep, queries):
    s = pt.connect_endpoint(ep, DEADLINE)
    try:
        s.sendall(b"".join(netstring(q) for q in queries))
        got = b""
        while got.count(b",") < len(queries):
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
        return [x.split(b":", 1)[1].split(b" ")[0].decode()
                for x in got.split(b",") if b":" in x]
    finally:
        s.close()


def closed_without_answer(s):
    """the daemon closed S (read EOF or reset) without answering"""
    try:
        return s.recv(4096) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def try_hold(d):
    """a connection that got its answer and stays open; None if the daemon
    refused it (closed without an answer)"""
    s = d.connect(DEADLINE)
    try:
        s.sendall(pt.policy_request(UNLISTED[0]))
        if pt.read_policy_answer(s) == "DUNNO":
            return s
    except (ConnectionResetError, BrokenPipeError):
        pass
    s.close()
    return None


def fill_and_refuse(d):
    """hold max_clients answered connections, then one more is refused;
    returns (answers counted, refusals seen by this side)"""
    held, answered, refused = [], 0, 0
    while len(held) < HELD and refused < 20:
        s = try_hold(d)
        if s:
            held.append(s)
            answered += 1
        else:
            refused += 1	# an old connection not closed yet
    extra = d.connect(DEADLINE)
    try:
        try:
            extra.sendall(pt.policy_request(UNLISTED[1]))
        except (ConnectionResetError, BrokenPipeError):
            pass
        if closed_without_answer(extra):
            refused += 1
        else:
            answered += 1
            tap.note("the connection over max_clients was answered")
    finally:
        extra.close()
        for s in held:
            s.close()
    return answered, refused


def malformed(d):
    s = d.connect(DEADLINE)
    try:
        s.sendall(b"this line has no equals sign\n\n")
        return closed_without_answer(s)
    finally:
        s.close()


def write_logs(d):
    """4 logins and 3 other lines, an overlong line, a rotation, 2 logins
    and 1 other line in the new file"""
    log = d.log_file
    pt.append(log, "".join(pt.login_line(ip, pid=100 + i)
                           for i, ip in enumerate(LISTED[:4])) +
              "".join(pt.noise_line(i) for i in range(3)) +
              "x" * 20000 + "\n")
    ips, t = pt.wait_until(lambda: len(d.dump_json()) == 4, DEADLINE, 0.02)
    tap.ok(ips, "4 logins recorded before the rotation (%.2fs)" % t)
    os.rename(log, log + ".1")
    pt.append(log, "".join(pt.login_line(ip, pid=200 + i)
                           for i, ip in enumerate(LISTED[4:])) +
              pt.noise_line(9))
    ips, t = pt.wait_until(lambda: len(d.dump_json()) == 6, DEADLINE, 0.02)
    tap.ok(ips, "2 more logins recorded after the rotation (%.2fs)" % t)


def serve_phase(d, sm_ep):
    """policy, socketmap, malformed and max_clients traffic; returns the
    serve counters it expects"""
    want = {}
    got = policy_on_one_connection(d, LISTED + UNLISTED)
    tap.ok(got == ["OK"] * 6 + ["DUNNO"] * 6, "policy answers", got)
    sm = socketmap(sm_ep, ["popgate " + LISTED[0], "popgate " + UNLISTED[0],
                           "popgate example.com", "nospace"])
    tap.ok(sm == ["OK", "NOTFOUND", "NOTFOUND", "PERM"], "socketmap answers",
           sm)
    tap.ok(malformed(d), "malformed request closed without an answer")
    answered, refused = fill_and_refuse(d)
    tap.ok(refused >= 1, "a connection over max_clients is refused")
    want.update(policy_ok=6, policy_dunno=1 + 6 + answered,
                socketmap_ok=1, socketmap_notfound=2, socketmap_perm=1,
                closed_malformed=1, refused_max_clients=refused)
    return want


def idle_phase(d):
    s = d.connect(DEADLINE)
    s.settimeout(DEADLINE)
    start = time.monotonic()
    try:
        closed = closed_without_answer(s)
    finally:
        s.close()
    tap.ok(closed, "an idle connection is closed (%.2fs, idle_timeout 1s)"
           % (time.monotonic() - start))


def main():
    dir = pt.temp_dir()
    sm_ep = "unix:" + os.path.join(dir, "socketmap.sock")
    d = pt.Daemon(dir, socketmap_listen=sm_ep, max_clients=str(HELD),
                  sweep_interval="1s", rotate_wait="1s", log_formats="dovecot",
                  session_tracking="no")	# open sessions would not expire
    pt.append(d.log_file, "")
    try:
        d.start(ready=False)
        tap.ok(first_answer(d) == "DUNNO", "daemon answers")
        write_logs(d)
        want = serve_phase(d, sm_ep)
        want.update(lines_read=10, lines_overlong=1, lines_matched=6,
                    matched_dovecot=6, logins_recorded=6, rotations=1,
                    truncations=0, overflows=0, backlog_skipped=0,
                    lookup_errors=0, accept_paused=0, closed_idle=0,
                    entries_expired=0)
        wait_counters(d, want, "counters before the reload")
        d.settings.update(window="2s", idle_timeout="1s")
        d.write_config()
        before = set(d.children())
        d.hup()
        fresh, t = pt.wait_until(lambda: len(d.children()) == 2 and not
                                 before & set(d.children()), DEADLINE, 0.02)
        tap.ok(fresh, "both workers restarted by HUP (%.2fs)" % t)
        tap.ok(first_answer(d) == "DUNNO", "daemon answers after the reload")
        want["policy_dunno"] += 1
        idle_phase(d)
        want.update(closed_idle=1, entries_expired=6)
        got, order = wait_counters(d, want,
                                   "counters after the reload: serve counts "
                                   "kept once, entries expired, idle close")
        tap.ok(order == sorted(order), "counters are printed sorted by name",
               order)
        extra = sorted(set(got) - set(want))
        if extra:
            tap.note("other counters: %s" % ", ".join(
                "%s=%d" % (k, got[k]) for k in extra))
        status = d.stop()
        tap.ok(status == 0, "popgated exits 0 on TERM", d.log()[-3000:])
        tap.ok(not re.search(r"AddressSanitizer|LeakSanitizer|runtime error",
                             d.log()), "no sanitizer report", d.log()[-3000:])
    finally:
        d.kill()
    tap.finish()


main()
