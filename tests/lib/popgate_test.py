"""popgate_test - what every script suite (tests/*/*.t) shares: TAP output,
temp dirs, a real popgated started on a private config, policy queries over
its real socket, popgate-dump calls, and waiting without timing asserts.
Tests only ever talk to loopback addresses."""

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

TOP = os.environ.get("POPGATE_TOP", os.getcwd())
POPGATED = os.environ.get("POPGATED", os.path.join(TOP, "popgated"))
POPGATE_DUMP = os.environ.get("POPGATE_DUMP", os.path.join(TOP, "popgate-dump"))
BUILD = os.environ.get("POPGATE_BUILD", os.path.join(TOP, "build"))


class Tap:
    """ok/not ok lines; finish() exits non-zero if anything failed."""

    def __init__(self):
        self.failed = 0
        self.count = 0

    def ok(self, cond, desc, detail=""):
        self.count += 1
        if cond:
            print("ok %d - %s" % (self.count, desc), flush=True)
        else:
            self.failed += 1
            print("not ok %d - %s" % (self.count, desc), flush=True)
            for line in str(detail).splitlines()[-40:]:
                print("#   " + line, flush=True)
        return bool(cond)

    def note(self, text):
        for line in str(text).splitlines():
            print("# " + line, flush=True)

    def finish(self):
        sys.exit(1 if self.failed else 0)


def temp_dir(prefix="popgate-test-"):
    """a directory removed at exit (kept when POPGATE_KEEP is set)"""
    path = tempfile.mkdtemp(prefix=prefix)
    if not os.environ.get("POPGATE_KEEP"):
        atexit.register(shutil.rmtree, path, True)
    return path


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    """a currently unused TCP port on loopback HOST (small race accepted)"""
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_until(fn, timeout=10.0, interval=0.01):
    """poll fn() until it returns a true value; (value, elapsed seconds),
    value is the last result (false on time-out)"""
    start = time.monotonic()
    while True:
        value = fn()
        elapsed = time.monotonic() - start
        if value or elapsed > timeout:
            return value, elapsed
        time.sleep(interval)


def append(path, text, mode="a"):
    with open(path, mode) as f:
        f.write(text)


def read(path):
    """a file's text, or None when it cannot be read"""
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def syslog_stamp(t=None):
    """'Nov  5 09:01:02' for time t (local time, like rsyslog classic)"""
    tm = time.localtime(t if t is not None else time.time())
    return time.strftime("%b ", tm) + ("%2d" % tm.tm_mday) + time.strftime(" %H:%M:%S", tm)


def login_line(ip, user="alice", service="pop3", t=None, pid=4242):
    """a Dovecot syslog line for a successful login from ip"""
    return ("%s mail dovecot: %s-login: Login: user=<%s>, method=PLAIN, "
            "rip=%s, lip=127.0.0.1, mpid=%d, session=<abcDEF%d>\n"
            % (syslog_stamp(t), service, user, ip, pid, pid))


def noise_line(n, t=None):
    """a Postfix line that must never authorize anything"""
    return ("%s mail postfix/smtpd[%d]: connect from unknown[192.0.2.%d]\n"
            % (syslog_stamp(t), 1000 + n % 5000, n % 250 + 1))


DEFAULTS = {
    "window": "30m",
    "user": "",
    "ignore_networks": "",
    "rotate_wait": "2s",
}


class Daemon:
    """popgated on a config in DIR. settings override the defaults; a value
    of None leaves the key out. Paths default to files inside DIR."""

    def __init__(self, dir, **settings):
        self.dir = dir
        self.settings = dict(DEFAULTS)
        self.settings.update({
            "database": os.path.join(dir, "popgate.lmdb"),
            "log_files": os.path.join(dir, "mail.log"),
            "policy_listen": "unix:" + os.path.join(dir, "policy.sock"),
        })
        self.settings.update(settings)
        self.conf = os.path.join(dir, "popgate.conf")
        self.err_path = os.path.join(dir, "popgated.err")
        self.proc = None
        self.write_config()
        atexit.register(self.kill)

    @property
    def database(self):
        return self.settings["database"]

    @property
    def log_file(self):
        return self.settings["log_files"].split(",")[0].strip()

    def write_config(self, extra_text=""):
        with open(self.conf, "w") as f:
            for key, value in self.settings.items():
                if value is None:
                    continue
                for v in (value if isinstance(value, list) else [value]):
                    f.write("%s = %s\n" % (key, v))
            f.write(extra_text)

    def policy_endpoint(self):
        ep = self.settings["policy_listen"].split(",")[0].strip()
        return ep

    def start(self, ready=True, timeout=30, args=()):
        err = open(self.err_path, "a")
        self.proc = subprocess.Popen([POPGATED, "-f", "-c", self.conf] + list(args),
                                     stdout=err, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        err.close()
        if ready and not self.wait_ready(timeout):
            if self.proc.poll() is not None:
                raise RuntimeError("popgated exited with status %s:\n%s"
                                   % (self.proc.returncode, self.log()))
            raise RuntimeError("popgated not ready after %ss:\n%s" % (timeout, self.log()))
        return self

    def wait_ready(self, timeout=30):
        def ready():
            if self.proc.poll() is not None:
                return "exited"
            try:
                self.policy("192.0.2.254", timeout=2)
                return "ready"
            except OSError:
                return None
        value, _ = wait_until(ready, timeout, 0.02)
        return value == "ready"

    def signal(self, sig):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def hup(self):
        self.signal(signal.SIGHUP)

    def stop(self, timeout=30):
        """SIGTERM, wait; returns the exit status (None if it had to be killed)"""
        if not self.proc:
            return None
        self.signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self):
        """SIGKILL the master and everything in its process group"""
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self.proc.wait()

    def children(self):
        """pids of the master's worker processes"""
        try:
            with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
                return [int(p) for p in f.read().split()]
        except OSError:
            return []

    def log(self):
        try:
            with open(self.err_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def connect(self, timeout=5):
        return connect_endpoint(self.policy_endpoint(), timeout)

    def policy(self, ip, timeout=5, **attrs):
        """one policy request on a new connection; returns the action text"""
        s = self.connect(timeout)
        try:
            s.sendall(policy_request(ip, **attrs))
            return read_policy_answer(s)
        finally:
            s.close()

    def try_policy(self, ip, **attrs):
        """like policy(), but a refused or reset connection answers None"""
        try:
            return self.policy(ip, **attrs)
        except OSError:
            return None

    def wait_action(self, ip, want="OK", timeout=10):
        """elapsed seconds until the policy answer for ip is want, or None"""
        value, elapsed = wait_until(lambda: self.try_policy(ip) == want, timeout, 0.005)
        return elapsed if value else None

    def dump(self, *args):
        return subprocess.run([POPGATE_DUMP, "-d", self.database] + list(args),
                              capture_output=True, text=True, errors="replace")

    def dump_json(self, all=True):
        r = self.dump(*(["-j", "-a"] if all else ["-j"]))
        if r.returncode != 0:
            raise RuntimeError("popgate-dump failed: %s" % r.stderr)
        return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def connect_endpoint(ep, timeout=5):
    """a connected socket for 'unix:PATH' or 'inet:HOST:PORT'"""
    if ep.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(ep[5:])
        except OSError:
            s.close()
            raise
        return s
    host, _, port = ep[5:].rpartition(":")
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((host, int(port)))
    except OSError:
        s.close()
        raise
    return s


def policy_request(ip, **attrs):
    """a Postfix 3.7 RCPT-stage policy request for client ip, as bytes"""
    req = {
        "request": "smtpd_access_policy", "protocol_state": "RCPT",
        "protocol_name": "ESMTP", "client_address": ip,
        "client_name": "unknown", "reverse_client_name": "unknown",
        "client_port": "40000", "helo_name": "client.example",
        "sender": "alice@example.org", "recipient": "bob@example.net",
        "recipient_count": "0", "queue_id": "", "instance": "1a2b.3c4d.1",
        "size": "0", "etrn_domain": "", "stress": "", "sasl_method": "",
        "sasl_username": "", "sasl_sender": "", "ccert_subject": "",
        "ccert_issuer": "", "ccert_fingerprint": "", "ccert_pubkey_fingerprint": "",
        "encryption_protocol": "", "encryption_cipher": "",
        "encryption_keysize": "0", "server_address": "127.0.0.1",
        "server_port": "25", "policy_context": "", "compatibility_level": "3.6",
        "mail_version": "3.7.11",
    }
    req.update(attrs)
    return ("".join("%s=%s\n" % kv for kv in req.items()) + "\n").encode()


def read_policy_answer(s):
    """read up to the empty line; 'OK', 'DUNNO', ... or '' if closed"""
    data = b""
    while not data.endswith(b"\n\n"):
        chunk = s.recv(4096)
        if not chunk:
            return ""
        data += chunk
    first = data.split(b"\n", 1)[0].decode(errors="replace")
    return first[len("action="):] if first.startswith("action=") else first
