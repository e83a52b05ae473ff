"""mtalib - what the MTA suites (tests/mta/*.t) share: Debian 12's own
Exim, Sendmail and ucspi-tcp binaries, unpacked by tests/deps.sh (they
conflict with the installed Postfix as packages), run with private
configurations inside private mount, network and UTS namespaces: only
that namespace's loopback exists, /var/lib is a private tmpfs (so the
contrib/mta/ recipes run verbatim with their /var/lib/popgate paths), the
host name is qualified (sendmail sleeps 60 s otherwise), and /etc is an
overlay where the user Debian-exim exists (Debian's exim4 insists on it)
and the recipes' /etc/mail/access and /etc/tcp.smtp can be written."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("POPGATE_TOP", "."), "tests/lib"))
import popgate_test as pt  # noqa: E402

DEBS = os.environ.get("POPGATE_DEBS", "/var/cache/popgate-test-debs")
X = os.path.join(DEBS, "x")
PACKAGES = ("exim4-daemon-light", "libidn12", "sendmail-bin", "sendmail-cf",
            "ucspi-tcp", "ucspi-tcp-ipv6", "m4")
CONTRIB = os.path.join(pt.TOP, "contrib", "mta")
VARLIB = "/var/lib/popgate/export"
HOSTNAME = "mx.popgate.test"
EXIM_UID = 64990
SENDMAIL_LIB = os.path.join(X, "sendmail-bin/usr/libexec/sendmail")
UCSPI = {"tcprules": os.path.join(X, "ucspi-tcp/usr/bin"),
         "tcprules-ipv6": os.path.join(X, "ucspi-tcp-ipv6/usr/bin")}
SANDBOX_FLAG = "POPGATE_MTA_SANDBOX"


def sandbox():
    """re-run this script inside its private namespaces (once); inside,
    set them up. A missing MTA package is a failure, never a skip."""
    if os.environ.get(SANDBOX_FLAG) != "1":
        missing = [p for p in PACKAGES
                   if not os.path.exists(os.path.join(X, p, ".unpacked"))]
        if missing:
            print("not ok 1 - MTA packages not unpacked in %s: %s (run make deps)"
                  % (X, " ".join(missing)), flush=True)
            sys.exit(1)
        env = dict(os.environ, **{SANDBOX_FLAG: "1"})
        os.execvpe("unshare", ["unshare", "-m", "-n", "-u", "--propagation",
                               "private", sys.executable] + sys.argv, env)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    socket.sethostname(HOSTNAME)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "popgate-test",
                    "/var/lib"], check=True)
    os.makedirs(VARLIB, 0o755)
    os.chmod(os.path.dirname(VARLIB), 0o751)	# as contrib/popgate.tmpfiles
    # /etc: an overlay on a private tmpfs, so the recipes' own paths
    # (/etc/mail/access, /etc/tcp.smtp) can be written
    over = pt.temp_dir("popgate-mta-etc-")
    subprocess.run(["mount", "-t", "tmpfs", "popgate-test", over], check=True)
    os.mkdir(over + "/upper")
    os.mkdir(over + "/work")
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                    "lowerdir=/etc,upperdir=%s/upper,workdir=%s/work" % (over, over),
                    "/etc"], check=True)
    os.makedirs("/etc/mail", 0o755, exist_ok=True)
    pt.append("/etc/passwd", "Debian-exim:x:%d:%d::/nonexistent:/usr/sbin/nologin\n"
              % (EXIM_UID, EXIM_UID))
    pt.append("/etc/group", "Debian-exim:x:%d:\n" % EXIM_UID)
    # names for the test clients: without DNS a PTR lookup is a temporary
    # failure, and sendmail answers 450 instead of refusing
    with open("/etc/hosts", "w") as f:
        f.write("127.0.0.1 localhost %s\n::1 localhost ip6-localhost\n" % HOSTNAME)
        for i in range(2, 32):
            f.write("127.0.0.%d client%d.example\n" % (i, i))
    os.environ["PATH"] = SENDMAIL_LIB + ":" + os.environ["PATH"]


def contrib_settings(name):
    """the key = value lines of a contrib/mta/*.conf popgate snippet"""
    settings = {}
    with open(os.path.join(CONTRIB, name)) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                key, value = line.split("=", 1)
                settings[key.strip()] = value.strip()
    return settings


def daemon(dir, contrib, **settings):
    """popgated in DIR with a contrib snippet's keys, then SETTINGS"""
    s = contrib_settings(contrib)
    s.update(settings)
    return pt.Daemon(dir, **s)


def login(d, ip, user="alice"):
    """a Dovecot login line for IP in the followed log; returns its time"""
    pt.append(d.log_file, pt.login_line(ip, user))
    return time.monotonic()


read = pt.read


def measure(t, what, start, fn, want, timeout=30):
    """wait until fn() == want; note and return the seconds since START"""
    ok, _ = pt.wait_until(lambda: fn() == want, timeout, 0.02)
    elapsed = time.monotonic() - start
    t.note("%s: %.2fs" % (what, elapsed))
    return elapsed if ok else None


# ---- Exim ----

class Exim:
    """Debian's exim4 on a private config that .includes contrib's ACL
    statement verbatim; rcpt(ip) runs the ACLs for a simulated client
    (exim4 -bh: no network) and returns the RCPT reply code"""

    def __init__(self, dir):
        self.dir = dir
        os.chmod(dir, 0o755)	# Debian-exim reaches its spool through it
        spool = os.path.join(dir, "spool")
        os.mkdir(spool)
        os.chown(spool, EXIM_UID, EXIM_UID)
        self.conf = os.path.join(dir, "exim4.conf")
        with open(self.conf, "w") as f:
            f.write("primary_hostname = %s\n"
                    "spool_directory = %s\n"
                    "log_file_path = %s/%%slog\n"
                    "domainlist local_domains = popgate.test\n"
                    "acl_smtp_rcpt = acl_check_rcpt\n"
                    "begin acl\n"
                    "acl_check_rcpt:\n"
                    "  accept  domains = +local_domains\n"
                    ".include %s/exim4-acl.conf\n"
                    "  deny    message = relay not permitted\n"
                    "begin routers\nbegin transports\n"
                    % (HOSTNAME, spool, spool, CONTRIB))
        self.last = ""

    def rcpt(self, ip):
        env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(
            X, "libidn12/usr/lib/x86_64-linux-gnu"))
        r = subprocess.run(
            [os.path.join(X, "exim4-daemon-light/usr/sbin/exim4"), "-C", self.conf,
             "-bh", ip], input="HELO client.example\nMAIL FROM:<a@example.org>\n"
            "RCPT TO:<b@example.net>\nQUIT\n", capture_output=True, text=True,
            env=env, timeout=60)
        self.last = r.stdout + r.stderr
        codes = re.findall(r"^(\d{3})[ -]", r.stdout, re.M)
        # 220 greeting, 250 HELO, 250 MAIL, then the RCPT reply
        return codes[3] if len(codes) > 3 else "none"


# ---- Sendmail ----

class Sendmail:
    """Debian's sendmail on a cf built by m4 from a private .mc that
    includes one contrib/mta/*.mc verbatim. bt(addr) runs its Relay_ok
    ruleset for {client_addr} = ADDR (sendmail -bt); start() runs a real
    daemon on 127.0.0.1:PORT for smtp(ip) with swaks"""

    def __init__(self, dir, contrib_mc, port=25):
        self.dir = dir
        self.port = port
        queue = os.path.join(dir, "mqueue")
        os.mkdir(queue, 0o700)
        for name in ("aliases", "statistics"):
            open(os.path.join(dir, name), "w").close()
        switch = os.path.join(dir, "service.switch")
        with open(switch, "w") as f:
            f.write("hosts files\naliases files\n")
        mc = os.path.join(dir, "test.mc")
        with open(mc, "w") as f:
            f.write("divert(0)dnl\n"
                    "OSTYPE(`linux')dnl\n"
                    "define(`confDOMAIN_NAME', `%s')dnl\n"
                    "define(`QUEUE_DIR', `%s')dnl\n"
                    "define(`STATUS_FILE', `%s/statistics')dnl\n"
                    "define(`ALIAS_FILE', `%s/aliases')dnl\n"
                    "define(`confPID_FILE', `%s/sendmail.pid')dnl\n"
                    "define(`confSERVICE_SWITCH_FILE', `%s')dnl\n"
                    "define(`confHOST_STATUS_DIRECTORY', `')dnl\n"
                    "FEATURE(`no_default_msa')dnl\n"
                    "FEATURE(`accept_unresolvable_domains')dnl\n"
                    "DAEMON_OPTIONS(`Port=%d, Addr=127.0.0.1, Name=MTA')dnl\n"
                    "include(`%s/%s')dnl\n"
                    "MAILER(`smtp')dnl\n"
                    % (HOSTNAME, queue, dir, dir, dir, switch, port, CONTRIB,
                       contrib_mc))
        cfdir = os.path.join(X, "sendmail-cf/usr/share/sendmail/cf")
        self.cf = os.path.join(dir, "sendmail.cf")
        with open(self.cf, "w") as out:
            subprocess.run([os.path.join(X, "m4/usr/bin/m4"), "-D_CF_DIR_=%s/" % cfdir,
                            os.path.join(cfdir, "m4/cf.m4"), mc], stdout=out, check=True)
        shutil.copy(self.cf, "/etc/mail/sendmail.cf")	# makemap reads it
        self.proc = None
        self.last = ""

    def binary(self):
        return os.path.join(SENDMAIL_LIB, "sendmail")

    def bt(self, client_addr):
        """Relay_ok's verdict for a client: RELAY, TEMP or the other result"""
        r = subprocess.run([self.binary(), "-C", self.cf, "-bt"],
                           input=".D{client_addr}%s\nRelay_ok x\n" % client_addr,
                           capture_output=True, text=True, timeout=60)
        self.last = r.stdout + r.stderr
        m = re.search(r"^Relay_ok\s+returns: (.*)$", r.stdout, re.M)
        if not m:
            return "none"
        if m.group(1).strip() == "RELAY":
            return "RELAY"
        return "TEMP" if "TEMP" in m.group(1) else m.group(1).strip()

    def start(self):
        self.proc = subprocess.Popen([self.binary(), "-C", self.cf, "-bD"],
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, "sendmail.err"), "w"))

        def listening():
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return True
            except OSError:
                return False
        ok, elapsed = pt.wait_until(listening, 60, 0.05)
        if not ok:
            raise RuntimeError("sendmail -bD not listening after %.0fs" % elapsed)
        return elapsed

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)

    def smtp(self, ip):
        """a real SMTP session from loopback IP (swaks): the RCPT reply code"""
        return swaks(ip, self.port, self)


def swaks(ip, port, holder):
    r = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(port),
                        "--local-interface", ip, "--from", "a@example.org",
                        "--to", "b@example.net", "--helo", "client.example",
                        "--quit-after", "RCPT", "--timeout", "30"],
                       capture_output=True, text=True, timeout=90)
    holder.last = r.stdout + r.stderr
    # the first refusal (MAIL FROM or RCPT TO: swaks marks it "<**"), or
    # else the reply to RCPT TO
    refused = re.search(r"^<\*\*\s+(\d{3})[ -]", r.stdout, re.M)
    if refused:
        return refused.group(1)
    after = r.stdout.split("-> RCPT TO:", 1)
    m = re.search(r"^<-\s+(\d{3})[ -]", after[1], re.M) if len(after) > 1 else None
    return m.group(1) if m else "none"


# ---- ucspi-tcp ----

class Tcpserver:
    """ucspi-tcp's tcpserver -x CDB on loopback HOST running a shell that
    reports whether the rules set RELAYCLIENT; check(ip) connects from
    loopback IP. tcprulescheck(ip) asks the rules for any address"""

    def __init__(self, dir, variant, cdb, host="127.0.0.1"):
        self.bin = UCSPI[variant]
        self.cdb = cdb
        self.host = host
        self.port = pt.free_port(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
        self.proc = subprocess.Popen(
            [os.path.join(self.bin, "tcpserver"), "-R", "-H", "-l", HOSTNAME,
             "-x", cdb, host, str(self.port), "/bin/sh", "-c",
             'if [ -n "${RELAYCLIENT+set}" ]; then echo RELAY; else echo NORELAY; fi'],
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(dir, "tcpserver-%s.err" % variant), "w"))
        self.last = ""

    def check(self, ip):
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        try:
            with socket.socket(family, socket.SOCK_STREAM) as s:
                s.settimeout(10)
                s.bind((ip, 0))
                s.connect((self.host, self.port))
                data = b""
                while True:
                    c = s.recv(100)
                    if not c:
                        break
                    data += c
                self.last = data.decode(errors="replace")
                return self.last.strip() or "closed"
        except OSError as e:
            self.last = str(e)
            return "error"

    def tcprulescheck(self, ip):
        r = subprocess.run([os.path.join(self.bin, "tcprulescheck"), self.cdb],
                           env=dict(os.environ, TCPREMOTEIP=ip),
                           capture_output=True, text=True, timeout=30)
        self.last = r.stdout + r.stderr
        if "deny connection" in r.stdout:
            return "DENY"
        return "RELAY" if "RELAYCLIENT" in r.stdout else "NORELAY"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)
