"""mailstack - a private Dovecot, Postfix, rsyslogd and popgated for tests.

Everything lives in one temp dir, listens on 127.0.0.1 high ports and is
stopped (process groups killed) by MailStack.close(), which also runs at
exit and on SIGTERM/SIGINT. It must never touch the system instances:
no /etc/dovecot, /etc/postfix, system spool, port 25/110/143 or host
/dev/log (syslog mode gives each logging daemon a private /dev in its own
mount namespace, whose /dev/log points at our rsyslogd's socket).
"""
import atexit
import os
import poplib
import imaplib
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time

import popgate_test  # noqa: E402
from popgate_test import Tap, free_port, wait_until  # noqa: E402,F401
from stackconf import (  # noqa: E402
    contrib, dovecot_conf, rsyslog_conf, rsyslog_forward_confs,
    postfix_main_cf, postfix_master_cf, USERS, LOCAL_DOMAIN)

NOBODY = 65534


def tail(path, n=30):
    try:
        with open(path, 'rb') as f:
            lines = f.read().decode('utf-8', 'replace').splitlines()
        return lines[-n:]
    except OSError as e:
        return ['(%s)' % e]


# A private /dev with /dev/log -> our rsyslog socket, for one daemon.
NS_SCRIPT = r'''set -e
mount --make-rprivate /
mount -t tmpfs -o mode=755,size=1m popgate-test-dev /dev
mknod -m 666 /dev/null c 1 3
mknod -m 666 /dev/zero c 1 5
mknod -m 666 /dev/full c 1 7
mknod -m 666 /dev/random c 1 8
mknod -m 666 /dev/urandom c 1 9
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
mkdir /dev/shm && mount -t tmpfs -o mode=1777,size=16m shm /dev/shm
ln -s "$1" /dev/log
shift
exec "$@"
'''


class MailStack:
    """One private mail system. logmode: 'syslog' (Dovecot -> rsyslogd ->
    mail.log), 'logpath' (Dovecot's own files) or 'forward' (Dovecot ->
    rsyslogd -> TCP -> a second rsyslogd -> logins.log, the scale-out set-up
    of contrib/rsyslog-popgate.conf)."""

    def __init__(self, logmode, tap=None,
                 syslog_template='RSYSLOG_FileFormat'):
        assert logmode in ('syslog', 'logpath', 'forward')
        self.logmode = logmode
        self.tap = tap or Tap()
        self.syslog_template = syslog_template
        self.dir = tempfile.mkdtemp(prefix='popgate-e2e-')
        os.chmod(self.dir, 0o755)      # dovenull, dovecot, postfix, nobody
        self.procs = {}                # name -> Popen (own session each)
        self.daemons = []              # popgate_test.Daemon instances
        self.postfix_started = False
        self.closed = False
        self.dovecot_extra = ''        # appended to dovecot.conf
        self.pop3_port = free_port()
        self.imap_port = free_port()
        self.smtp_port = free_port()
        self.spool = self.path('postfix/spool')
        self.policy_socket = os.path.join(self.spool, 'private/popgate')
        self.login_log = self.path({'syslog': 'mail.log',
                                    'logpath': 'dovecot-info.log',
                                    'forward': 'logins.log'}[logmode])
        self.via_syslog = logmode != 'logpath'
        self.syslog_socket = self.path('rsyslog/log.sock')
        atexit.register(self.close)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum, frame):
        self.close()
        sys.exit(128 + signum)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write(self, rel, text, mode=0o644):
        p = self.path(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, 'w') as f:
            f.write(text)
        os.chmod(p, mode)
        return p

    # -- process management -------------------------------------------
    def spawn(self, name, argv, in_syslog_ns=False):
        """Start argv in its own session; stdout+stderr to NAME.out."""
        if in_syslog_ns:
            argv = self.ns_argv() + argv
        out = open(self.path(name + '.out'), 'ab')
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT, start_new_session=True,
                             cwd=self.dir)
        out.close()
        self.procs[name] = p
        return p

    def ns_argv(self):
        """Command prefix: run in a mount namespace with a private /dev."""
        return ['unshare', '--mount', '--propagation', 'private',
                'sh', '-c', NS_SCRIPT, 'ns', self.syslog_socket]

    def stop_proc(self, name, sig=signal.SIGTERM, timeout=15):
        """Signal a daemon, wait for it, then kill its whole process group."""
        p = self.procs.pop(name, None)
        if p is None:
            return None
        if p.poll() is None:
            try:
                os.kill(p.pid, sig)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            return p.wait(5)
        except subprocess.TimeoutExpired:
            return None

    def close(self):
        if self.closed:
            return
        self.closed = True
        if self.tap.failed:
            self.dump_logs()
        for d in self.daemons:
            if d.stop(10) is None:
                d.kill()
        self.stop_postfix()
        for name in list(self.procs):
            self.stop_proc(name)
        if os.environ.get('POPGATE_KEEP_TMP'):
            print('# kept %s' % self.dir, flush=True)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def dump_logs(self):
        """Diagnostics for a failed run."""
        names = [n + '.out' for n in self.procs] + [
            'popgated.err', 'dovecot.log', 'postfix/maillog',
            os.path.relpath(self.login_log, self.dir)]
        for rel in names:
            self.tap.note('--- %s' % rel)
            for line in tail(self.path(rel), 15):
                self.tap.note('  ' + line)

    # -- rsyslogd -------------------------------------------------------
    def start_rsyslog(self):
        for sub in ('work', 'recv'):
            os.makedirs(self.path('rsyslog', sub), exist_ok=True)
        if self.logmode == 'forward':
            port = free_port()
            sender, receiver = rsyslog_forward_confs(
                self.dir, self.syslog_socket, port, self.login_log)
            self._rsyslogd('rsyslogd-recv', receiver)
            if not wait_until(lambda: self._port_open(port), 20)[0]:
                raise RuntimeError('receiving rsyslogd did not listen')
        else:
            sender = rsyslog_conf(self.path('rsyslog/work'),
                                  self.syslog_socket, self.login_log,
                                  self.syslog_template)
        self._rsyslogd('rsyslogd', sender)
        if not wait_until(lambda: os.path.exists(self.syslog_socket), 20)[0]:
            raise RuntimeError('rsyslogd did not create its socket')

    def _rsyslogd(self, name, text):
        conf = self.write('rsyslog/%s.conf' % name, text)
        self.spawn(name, ['rsyslogd', '-n', '-f', conf,
                          '-i', self.path('rsyslog/%s.pid' % name)])

    def reopen_rsyslog(self):
        """SIGHUP the rsyslogd that writes the followed file."""
        name = 'rsyslogd-recv' if self.logmode == 'forward' else 'rsyslogd'
        os.kill(self.procs[name].pid, signal.SIGHUP)

    def syslog_send(self, tag, msg, facility=2, severity=6):
        """What logger(1) does: one datagram to the private syslog socket."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            s.sendto(('<%d>%s %s: %s' % (facility * 8 + severity,
                                         time.strftime('%b %d %H:%M:%S'),
                                         tag, msg)).encode(),
                     self.syslog_socket)
        finally:
            s.close()

    # -- Dovecot --------------------------------------------------------
    def start_dovecot(self):
        for user, pw in USERS.items():
            os.makedirs(self.path('mail', user, 'Maildir'), exist_ok=True)
        for root, dirs, files in os.walk(self.path('mail')):
            os.chown(root, NOBODY, NOBODY)
        lines = ['%s:{PLAIN}%s:%d:%d::%s::' % (u, pw, NOBODY, NOBODY,
                                               self.path('mail', u))
                 for u, pw in USERS.items()]
        users = self.write('dovecot/users', '\n'.join(lines) + '\n', 0o640)
        os.chown(users, 0, self._ids('dovecot')[1])   # auth runs as dovecot
        conf = self.write('dovecot/dovecot.conf', dovecot_conf(
            self.dir, self.pop3_port, self.imap_port,
            'syslog' if self.via_syslog else 'logpath') +
            self.dovecot_extra)
        self.dovecot_conf = conf
        self.spawn('dovecot', ['dovecot', '-F', '-c', conf],
                   in_syslog_ns=self.via_syslog)
        ok, _ = wait_until(lambda: self._port_open(self.pop3_port) and
                           self._port_open(self.imap_port), 30)
        if not ok:
            raise RuntimeError('dovecot did not start: %s' %
                               tail(self.path('dovecot.out')))

    def reopen_dovecot_log(self):
        """What logrotate's postrotate does: doveadm log reopen."""
        subprocess.run(['doveadm', '-c', self.dovecot_conf, 'log', 'reopen'],
                       check=True, stdout=subprocess.DEVNULL)

    def rotate_login_log(self, reopen=True):
        """Rename the log, then make the writer reopen. Dovecot's own files
        are rotated by logrotate(8) running contrib/logrotate.popgate."""
        if reopen and not self.via_syslog:
            return self.logrotate()
        os.rename(self.login_log, self.login_log + '.1')
        if reopen:
            self.reopen_login_log()

    def logrotate(self):
        """What cron would do: logrotate -f on contrib/logrotate.popgate."""
        text = contrib('logrotate.popgate').replace('/var/log/',
                                                    self.dir + '/')
        text = text.replace('doveadm log reopen', 'doveadm -c %s log reopen'
                            % self.dovecot_conf)
        conf = self.write('logrotate.conf', text)
        subprocess.run(['logrotate', '-f', '-s', self.path('logrotate.state'),
                        conf], check=True, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)

    def reopen_login_log(self):
        if self.via_syslog:
            self.reopen_rsyslog()
        else:
            self.reopen_dovecot_log()    # rsyslog creates it lazily

    @staticmethod
    def _port_open(port):
        try:
            socket.create_connection(('127.0.0.1', port), 0.5).close()
            return True
        except OSError:
            return False

    # -- Postfix --------------------------------------------------------
    def postfix(self, *args, check=True):
        r = subprocess.run(['postfix', '-c', self.path('postfix/etc')] +
                           list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
        if check and r.returncode != 0:
            raise RuntimeError('postfix %s: %s' % (' '.join(args),
                                                   r.stdout.decode()))
        return r

    def start_postfix(self):
        os.makedirs(self.spool, exist_ok=True)
        os.makedirs(self.path('postfix/data'), exist_ok=True)
        os.chown(self.path('postfix/data'),
                 *self._ids('postfix'))
        self.write('postfix/etc/main.cf', postfix_main_cf(self.dir))
        with open('/usr/share/postfix/master.cf.dist') as f:
            self.write('postfix/etc/master.cf',
                       postfix_master_cf(f.read(), self.smtp_port))
        self.postfix('check')
        self.postfix('start')
        self.postfix_started = True
        if not wait_until(lambda: self._port_open(self.smtp_port), 30)[0]:
            raise RuntimeError('postfix did not listen: %s' %
                               tail(self.path('postfix/maillog')))

    def postconf(self, name):
        r = subprocess.run(['postconf', '-c', self.path('postfix/etc'), '-h',
                            name], stdout=subprocess.PIPE, text=True)
        return r.stdout.strip()

    @staticmethod
    def _ids(user):
        import pwd
        pw = pwd.getpwnam(user)
        return pw.pw_uid, pw.pw_gid

    def stop_postfix(self):
        if not self.postfix_started:
            return
        self.postfix_started = False
        pidfile = os.path.join(self.spool, 'pid/master.pid')
        try:
            with open(pidfile) as f:
                pid = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pid = None
        if self.postfix('stop', check=False).returncode != 0:
            self.postfix('abort', check=False)
        if pid:
            # master ran setsid(): its pid is its process group
            wait_until(lambda: not os.path.exists('/proc/%d' % pid), 10)
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    # -- popgated -------------------------------------------------------
    def popgated(self, **settings):
        """A popgate_test.Daemon for this stack (not started): it follows
        the login log and serves policy in Postfix's private/ directory;
        in syslog mode it runs with our private /dev/log, so its own
        lines land in the log it follows, as on a real server."""
        d = StackDaemon(self.dir, **dict({
            'log_files': self.login_log,
            'policy_listen': 'unix:' + self.policy_socket,
            'socket_mode': '0666',
            'window': '5s',
        }, **settings))
        if self.via_syslog:
            d.wrap = self.ns_argv()
        self.daemons.append(d)
        return d

    def start(self):
        if self.via_syslog:
            self.start_rsyslog()
        self.start_postfix()
        self.start_dovecot()

    # -- clients --------------------------------------------------------
    def pop3_login(self, ip, user='alice', password=None):
        """POP3 USER/PASS/QUIT from ip. Returns monotonic time of +OK of
        PASS, or None when the server refused the password."""
        password = USERS[user] if password is None else password
        p = _POP3From(ip, '127.0.0.1', self.pop3_port, timeout=10)
        try:
            p.user(user)
            try:
                p.pass_(password)
            except poplib.error_proto:
                return None
            t = time.monotonic()
            p.stat()
            return t
        finally:
            try:
                p.quit()
            except (OSError, poplib.error_proto):
                p.close()

    def imap_session(self, ip, user='alice'):
        """a logged-in IMAP connection from ip (the caller logs out), or
        None when the login failed"""
        m = _IMAP4From(ip, '127.0.0.1', self.imap_port)
        try:
            m.login(user, USERS[user])
            m.select('INBOX')
            return m
        except imaplib.IMAP4.error:
            m.shutdown()
            return None

    def imap_login(self, ip, user='alice', password=None):
        """IMAP LOGIN/SELECT/LOGOUT from ip; True when the login worked."""
        password = USERS[user] if password is None else password
        m = _IMAP4From(ip, '127.0.0.1', self.imap_port)
        try:
            try:
                m.login(user, password)
            except imaplib.IMAP4.error:
                return False
            m.select('INBOX')
            return True
        finally:
            try:
                m.logout()
            except (OSError, imaplib.IMAP4.error):
                pass

    def smtp(self, ip):
        s = smtplib.SMTP(timeout=30, source_address=(ip, 0))
        s.connect('127.0.0.1', self.smtp_port)
        s.ehlo('client.popgate.test')
        return s

    def relay_attempt(self, ip, rcpt='someone@example.net', data=False):
        """One SMTP session from ip: MAIL, RCPT (and DATA if data and the
        RCPT was accepted). Returns (rcpt code, text, data code)."""
        s = self.smtp(ip)
        try:
            s.mail('sender@example.org')
            code, text = s.rcpt(rcpt)
            dcode = None
            if code == 250 and data:
                dcode, _ = s.data('Subject: popgate e2e\r\n\r\nhello\r\n')
            return code, text.decode('utf-8', 'replace'), dcode
        finally:
            try:
                s.quit()
            except (OSError, smtplib.SMTPException):
                s.close()

    def local_maildir_count(self, user):
        base = self.path('mail', user, 'Maildir')
        return sum(len(os.listdir(os.path.join(base, sub)))
                   for sub in ('new', 'cur') if os.path.isdir(
                       os.path.join(base, sub)))

    def local_rcpt(self, user):
        return '%s@%s' % (user, LOCAL_DOMAIN)


class _POP3From(poplib.POP3):
    """poplib.POP3 whose socket has a chosen source address."""

    def __init__(self, src, host, port, timeout):
        self._src = src
        super().__init__(host, port, timeout)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout,
                                        source_address=(self._src, 0))


class _IMAP4From(imaplib.IMAP4):
    """imaplib.IMAP4 whose socket has a chosen source address."""

    def __init__(self, src, host, port):
        self._src = src
        super().__init__(host, port, timeout=10)

    def _create_socket(self, timeout=None):
        return socket.create_connection((self.host, self.port), timeout,
                                        source_address=(self._src, 0))


class StackDaemon(popgate_test.Daemon):
    """popgate_test.Daemon, optionally started behind a command prefix."""
    wrap = []

    def start(self, ready=True, timeout=30, args=()):
        if not self.wrap:
            return super().start(ready, timeout, args)
        err = open(self.err_path, 'a')
        self.proc = subprocess.Popen(
            self.wrap + [popgate_test.POPGATED, '-f', '-c', self.conf] +
            list(args), stdout=err, stderr=subprocess.STDOUT,
            start_new_session=True)
        err.close()
        if ready and not self.wait_ready(timeout):
            raise RuntimeError('popgated not ready after %ss:\n%s' %
                               (timeout, self.log()))
        return self
