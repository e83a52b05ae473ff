#!/usr/bin/python3
# e2e_push.t - the push source end to end: a real Dovecot 2.3 configured
# with contrib/dovecot-auth-policy.conf (auth_policy_server_url pointing
# at popgated's dovecot_policy_listen), a real Postfix asking popgated's
# policy socket, and popgated following NO Dovecot log at all. POP3 and
# IMAP logins open relaying, failed logins do not, a report without the
# API header records nothing. Private temp dir, 127.0.0.1 high ports
# only; never asserts a timing (measured times are printed).
import json
import socket
import sys

sys.dont_write_bytecode = True   # leave no __pycache__ in the tree

from mailstack import MailStack, Tap, wait_until, free_port
from stackconf import contrib

DEADLINE = 20.0
SECRET = 'X-API-Key: e2e-push-secret'


def ip(n):
    return '127.0.0.%d' % n


def policy_snippet(port):
    """contrib/dovecot-auth-policy.conf with this test's port and secret"""
    text = contrib('dovecot-auth-policy.conf')
    text = text.replace('http://127.0.0.1:10045/',
                        'http://127.0.0.1:%d/' % port)
    text = text.replace('X-API-Key: CHANGE-THIS-SECRET', SECRET)
    return text.replace('CHANGE-THIS-TOO', 'e2e-nonce')


def wait_rcpt(stack, client, want):
    ok, elapsed = wait_until(
        lambda: stack.relay_attempt(client)[0] == want, DEADLINE, 0.05)
    return bool(ok), elapsed


def listed(daemon):
    return {r['ip']: r for r in daemon.dump_json(all=False)}


def raw_report(port, client, header):
    """a report as Dovecot sends it, with or without the API header;
    returns the status line"""
    body = json.dumps({"device_id": "", "login": "mallory",
                       "protocol": "pop3", "pwhash": "00", "remote": client,
                       "session_id": "x", "success": True,
                       "policy_reject": False, "tls": False}).encode()
    head = ('POST /?command=report HTTP/1.1\r\nHost: 127.0.0.1\r\n%s'
            'Content-Type: application/json\r\nContent-Length: %d\r\n\r\n'
            % (header + '\r\n' if header else '', len(body))).encode()
    s = socket.create_connection(('127.0.0.1', port), 10)
    try:
        s.sendall(head + body)
        return s.recv(4096).split(b'\r\n', 1)[0].decode()
    finally:
        s.close()


def main():
    tap = Tap()
    stack = MailStack('logpath', tap)
    port = free_port()
    stack.dovecot_extra = policy_snippet(port)
    other = stack.write('unrelated.log', '')
    d = stack.popgated(log_files=other, journal='no',
                       dovecot_policy_listen='inet:127.0.0.1:%d' % port,
                       dovecot_policy_api_header=SECRET, window='10m')
    stack.start()
    d.start(args=['-v'])

    code, text, _ = stack.relay_attempt(ip(30))
    tap.ok(code == 554, 'no login from %s: relay refused (%d %s)'
           % (ip(30), code, text))

    t = stack.pop3_login(ip(31))
    tap.ok(t, 'POP3 login from %s' % ip(31))
    ok, elapsed = wait_rcpt(stack, ip(31), 250)
    tap.ok(ok, 'POP3 login reported by Dovecot opens relaying for %s '
           '(accepted %.3fs after the login)' % (ip(31), elapsed))

    tap.ok(stack.imap_login(ip(32), 'bob'), 'IMAP login from %s' % ip(32))
    ok, elapsed = wait_rcpt(stack, ip(32), 250)
    tap.ok(ok, 'IMAP login reported by Dovecot opens relaying for %s '
           '(accepted after %.3fs)' % (ip(32), elapsed))

    rows = listed(d)
    r31, r32 = rows.get(ip(31), {}), rows.get(ip(32), {})
    tap.ok(r31.get('user') == 'alice' and r31.get('service') == 'pop3',
           'the record says who logged in and how (alice, pop3)', r31)
    tap.ok(r32.get('user') == 'bob' and r32.get('service') == 'imap',
           'the record says who logged in and how (bob, imap)', r32)

    tap.ok(stack.pop3_login(ip(33), password='wrong') is None,
           'a POP3 login with a wrong password fails')
    tap.ok(not stack.imap_login(ip(34), 'bob', password='wrong'),
           'an IMAP login with a wrong password fails')
    # a later success from another address proves the failures' reports
    # (sent before it) were handled
    stack.pop3_login(ip(35))
    ok, _ = wait_rcpt(stack, ip(35), 250)
    rows = listed(d)
    tap.ok(ok and ip(33) not in rows and ip(34) not in rows,
           'failed logins record nothing', sorted(rows))
    tap.ok(stack.relay_attempt(ip(33))[0] == 554,
           'relay still refused after a failed login')

    status = raw_report(port, ip(36), None)
    tap.ok(status.startswith('HTTP/1.1 401'), 'a report without the API '
           'header is refused (%s)' % status)
    status = raw_report(port, ip(37), 'X-API-Key: guessed')
    tap.ok(status.startswith('HTTP/1.1 401'), 'a report with a wrong API '
           'header is refused (%s)' % status)
    status = raw_report(port, ip(38), SECRET)
    tap.ok(status.startswith('HTTP/1.1 200'), 'the same report with the '
           'header is accepted (%s)' % status)
    wait_until(lambda: ip(38) in listed(d), DEADLINE, 0.02)
    rows = listed(d)
    tap.ok(ip(38) in rows and ip(36) not in rows and ip(37) not in rows,
           'only the report with the header was recorded', sorted(rows))
    tap.ok(d.proc.poll() is None, 'popgated is still running')
    tap.ok('Login: user=' not in open(other).read(),
           'popgated followed no Dovecot log')
    stack.close()
    tap.finish()


if __name__ == '__main__':
    main()
