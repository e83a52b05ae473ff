#!/usr/bin/python3
"""syslog unavailable, in popgated's private mount namespace with its own
/dev: /dev/log missing, a socket nobody is bound to, and a socket whose
reader has stopped reading (a hung syslog daemon: its queue fills up).
popgated keeps recording and answering in every case (syslog(3) must
not stall the workers), never answers OK for a client it has not seen,
and its messages reach the socket again once the reader drains it."""
import os
import socket
import sys
import time

import faultlib as fl  # noqa: E402

pt = fl.pt
tap = pt.Tap()
fl.need_root(tap, namespace=True)
LOGINS = 2000               # far more messages than a datagram queue holds


def private_dev(dir):
    """a /dev for the namespace: the few nodes popgated and ASan use, and
    no log socket yet; returns (setup commands, path of its log socket)"""
    dev = os.path.join(dir, "dev")
    os.mkdir(dev)
    cmds = []
    for node in ("null", "zero", "urandom", "random"):
        open(os.path.join(dev, node), "w").close()
        cmds.append("mount --bind /dev/%s %s/%s" % (node, dev, node))
    os.symlink("/proc/self/fd", os.path.join(dev, "fd"))
    cmds.append("mount --bind %s /dev" % dev)
    return " && ".join(cmds), os.path.join(dev, "log")


def run_case(name, make_socket):
    """a daemon whose /dev/log is what MAKE_SOCKET(path) leaves there"""
    dir = pt.temp_dir("popgate-fault-")
    setup, log_sock = private_dev(dir)
    sock = make_socket(log_sock)
    pt.POPGATED = fl.wrap(dir, setup=setup)
    d = pt.Daemon(dir, journal="no")
    pt.append(d.log_file, "")
    fl.start(tap, d)
    ips = ["2001:db8:5e::%x" % (i + 1) for i in range(LOGINS)]
    pt.append(d.log_file, "".join(pt.login_line(ip, pid=i) for i, ip in enumerate(ips)))

    def recorded():
        return len(d.dump_json())
    ok, t = pt.wait_until(lambda: recorded() >= LOGINS, 60, 0.1)
    tap.ok(ok, "%s: all %d logins recorded (%.3fs)" % (name, LOGINS, t),
           "%d recorded\n%s" % (recorded(), d.log()[-1500:]))
    start = time.monotonic()
    answers = [d.policy(ip, timeout=20) for ip in ips[:50]]
    tap.ok(answers == ["OK"] * 50, "%s: 50 first OKs answered in %.3fs (each one logged)"
           % (name, time.monotonic() - start), answers)
    fl.never_ok(tap, d, name)
    tap.ok(fl.running(d), "%s: master and workers keep running" % name, d.log()[-2000:])
    return d, sock


# 1. no /dev/log at all
d, _ = run_case("no /dev/log", lambda path: None)
tap.ok(d.stop() == 0, "no /dev/log: popgated exits 0 on TERM", d.log()[-2000:])


# 2. a socket file nobody is bound to (syslog daemon gone)
def dead_socket(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.close()
    return None


d, _ = run_case("dead /dev/log", dead_socket)
tap.ok(d.stop() == 0, "dead /dev/log: popgated exits 0 on TERM", d.log()[-2000:])


# 3. a reader that stopped reading: once the socket queue
# (net.unix.max_dgram_qlen) is full, messages are dropped and counted;
# no worker stalls (syslog(3) on a blocking socket would).
def stuck_socket(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    return s


def drain(sock):
    n = 0
    try:
        while True:
            sock.recv(4096)
            n += 1
    except BlockingIOError:
        return n


d, sock = run_case("hung syslog", stuck_socket)
sock.setblocking(False)
tap.note("hung syslog: %d messages were queued" % drain(sock))
pt.append(d.log_file, pt.login_line("192.0.2.99"))
ok, t = pt.wait_until(lambda: drain(sock) * 0 or "192.0.2.99" in d.log(), 60, 0.01)
tap.ok(ok, "hung syslog drained: a new login is recorded (%.3fs)" % t)
sock.settimeout(30)


def message_about(ip):
    try:
        while True:
            if ip.encode() in sock.recv(4096):
                return True
    except OSError:
        return False


pt.append(d.log_file, pt.login_line("192.0.2.98"))
tap.ok(message_about("192.0.2.98"), "hung syslog drained: messages arrive again")
tap.ok(d.stop() == 0, "hung syslog: popgated exits 0 on TERM", d.log()[-2000:])
sock.close()
tap.finish()
