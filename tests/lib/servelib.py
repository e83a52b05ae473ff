"""servelib - what the serve suites (tests/serve/*.t) share on top of
tests/lib/popgate_test.py: adding entries with popgate-dump, raw socket
exchanges that report whether the daemon closed the connection, the serve
worker's pid, and a check that the daemon log shows no crash."""

import os
import re
import socket
import subprocess
import sys
import time

import popgate_test as pt  # noqa: E402

LISTED = "192.0.2.7"
UNLISTED = "192.0.2.99"


def add(d, *ips):
    """popgate-dump -t: add or refresh entries now"""
    r = d.dump("-t", *ips)
    if r.returncode != 0:
        raise RuntimeError("popgate-dump -t failed: %s %s" % (r.stdout, r.stderr))


def remove(d, *ips):
    r = d.dump("-r", *ips)
    if r.returncode != 0:
        raise RuntimeError("popgate-dump -r failed: %s %s" % (r.stdout, r.stderr))


def exchange(ep, data, timeout=10, shut=False, chunk=None, done=None):
    """send DATA (in CHUNK-byte writes when given), read until the daemon
    closes, DONE(bytes so far) is true, or TIMEOUT passes: (bytes received,
    closed by the daemon)"""
    s = pt.connect_endpoint(ep, timeout)
    got = b""
    try:
        if chunk:
            for i in range(0, len(data), chunk):
                s.sendall(data[i:i + chunk])
        else:
            s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                c = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                return got, True
            if not c:
                return got, True
            got += c
            if done and done(got):
                break
        return got, False
    finally:
        s.close()


def answers(data):
    """the actions of a policy reply stream, in order"""
    return [b.decode(errors="replace")[len("action="):]
            for b in data.split(b"\n\n") if b.startswith(b"action=")]


def worker_pid(d, name, timeout=30):
    """pid of the running NAME worker (ingest, serve; needs popgated -v),
    or None"""
    def find():
        pids = re.findall(r"started %s worker, pid (\d+)" % name, d.log())
        if pids and os.path.exists("/proc/%s" % pids[-1]):
            return int(pids[-1])
        return None
    pid, _ = pt.wait_until(find, timeout, 0.02)
    return pid


def serve_pid(d, timeout=30):
    """pid of the running serve worker (needs popgated -v), or None"""
    return worker_pid(d, "serve", timeout)


def proc_status(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
    except OSError:
        return {}


CRASH = re.compile(r"AddressSanitizer|LeakSanitizer|runtime error"
                   r"|serve worker \(pid \d+\) killed by signal"
                   r"|worker \(pid \d+\) exited with status [1-9]")


SANITIZER = re.compile(r"AddressSanitizer|LeakSanitizer|runtime error")


def sanitizer_clean(d):
    """no sanitizer report in the log (workers may have been killed)"""
    return not SANITIZER.search(d.log())


def crash_free(d):
    """no sanitizer report and no unexpected worker exit in the log"""
    return not CRASH.search(d.log())
