"""e2e_scenarios - POP-before-SMTP end to end: real Dovecot, real Postfix,
real popgated; each scenario prints ok/not ok lines. Shared by
e2e_syslog.t, e2e_logpath.t and e2e_forward.t, which differ only in how
Dovecot's lines reach the file popgated follows.
Never asserts a timing: outcomes are awaited with generous deadlines and
measured times are printed. Every process started is stopped at the end.
"""
import os
import statistics
import sys
import threading
import time
import traceback

from mailstack import MailStack, Tap, wait_until  # noqa: E402
from stackconf import RELAY_RESTRICTIONS  # noqa: E402

RELAY_RCPT = 'someone@example.net'
DEADLINE = 20.0           # seconds: far above the nominal few milliseconds


def ip(n):
    return '127.0.0.%d' % n


def rcpt_code(stack, client, rcpt=RELAY_RCPT):
    return stack.relay_attempt(client, rcpt)[0]


def wait_code(stack, client, want, timeout=DEADLINE):
    """(reached, seconds) until a new SMTP session from client gets want."""
    ok, elapsed = wait_until(lambda: rcpt_code(stack, client) == want,
                             timeout, 0.05)
    return bool(ok), elapsed


def login_then_accepted(tap, stack, client, how, login):
    """Log in with login(client); the relay must become accepted."""
    t = login(client)
    if not tap.ok(t, '%s login from %s succeeded' % (how, client)):
        return False
    ok, elapsed = wait_code(stack, client, 250)
    tap.ok(ok, '%s login from %s opens relaying (accepted after %.3fs)'
           % (how, client, elapsed))
    return ok


def scenario_no_login(tap, stack):
    code, text, _ = stack.relay_attempt(ip(8))
    tap.ok(code == 554 and 'Relay access denied' in text,
           'no login from %s: relay refused with 554 (%d %s)'
           % (ip(8), code, text))


def scenario_pop3(tap, stack):
    if not login_then_accepted(tap, stack, ip(7), 'POP3', stack.pop3_login):
        return False
    code, _, dcode = stack.relay_attempt(ip(7), data=True)
    tap.ok(code == 250 and dcode == 250,
           'relayed message from %s accepted at RCPT and DATA (%s/%s)'
           % (ip(7), code, dcode))
    tap.ok(rcpt_code(stack, ip(8)) == 554,
           'a neighbour address %s is still refused' % ip(8))
    return True


def scenario_imap(tap, stack):
    login_then_accepted(tap, stack, ip(9), 'IMAP',
                        lambda c: stack.imap_login(c, 'bob'))


def scenario_traceable(tap, stack, daemon):
    """Who relayed through whom: popgate-dump shows user and service, and
    popgated logged the first OK for the address with the user."""
    try:
        rows = {r.get('ip'): r for r in daemon.dump_json()}
    except (RuntimeError, ValueError, OSError) as e:
        rows = {}
        tap.note('popgate-dump: %s' % e)
    for n, user, service in ((7, 'alice', 'pop3'), (9, 'bob', 'imap')):
        r = rows.get(ip(n), {})
        tap.ok(r.get('user') == user and r.get('service') == service,
               'popgate-dump -j shows %s with user %s, service %s'
               % (ip(n), user, service), repr(r))
    lines = daemon.log().splitlines()
    tap.ok(any(ip(7) in x and 'alice' in x for x in lines),
           'popgated logged the OK for %s with the user alice' % ip(7),
           '\n'.join(lines[-10:]))


def scenario_failed_logins(tap, stack):
    """Bad password, unknown user and a hostile user name authorize
    nothing; a later good login (the sentinel) proves the lines were read."""
    tap.ok(stack.pop3_login(ip(10), password='wrong') is None,
           'POP3 login with a bad password from %s is refused' % ip(10))
    tap.ok(not stack.imap_login(ip(15), 'nosuchuser', 'x'),
           'IMAP login of an unknown user from %s is refused' % ip(15))
    hostile = 'x>, method=PLAIN, rip=127.0.0.30, lip=127.0.0.1, mpid=1'
    tap.ok(stack.pop3_login(ip(16), hostile, 'x') is None,
           'POP3 login with a forged rip= in the user name is refused')
    if not login_then_accepted(tap, stack, ip(11), 'POP3 (sentinel)',
                               stack.pop3_login):
        return
    for n in (10, 15, 16, 30):
        code = rcpt_code(stack, ip(n))
        tap.ok(code == 554, 'after a failed login, %s is refused (%d)'
               % (ip(n), code))


def scenario_forged_tag(tap, stack):
    """A local user's logger(1) line that imitates a Dovecot login under
    another program name reaches the log but authorizes nothing."""
    stack.syslog_send('evil', 'pop3-login: Login: user=<alice>, '
                      'method=PLAIN, rip=127.0.0.40, lip=127.0.0.1, '
                      'mpid=1, session=<x>')
    stack.syslog_send('dovecot-evil', 'imap-login: Login: user=<alice>, '
                      'method=PLAIN, rip=127.0.0.41, lip=127.0.0.1')
    if not login_then_accepted(tap, stack, ip(18), 'POP3 (sentinel)',
                               stack.pop3_login):
        return
    for n in (40, 41):
        code = rcpt_code(stack, ip(n))
        tap.ok(code == 554, 'a login line logged under a foreign tag does '
               'not authorize %s (%d)' % (ip(n), code))


def scenario_local_delivery(tap, stack, note):
    before = stack.local_maildir_count('alice')
    code, _, dcode = stack.relay_attempt(ip(8), stack.local_rcpt('alice'),
                                         data=True)
    tap.ok(code == 250 and dcode == 250,
           'mail to the local domain from %s accepted %s (%s/%s)'
           % (ip(8), note, code, dcode))
    ok, elapsed = wait_until(
        lambda: stack.local_maildir_count('alice') > before, DEADLINE)
    tap.ok(ok, 'it is delivered to the Maildir %s (%.3fs)' % (note, elapsed))


def scenario_rotation(tap, stack):
    """Rename of the log: a login written to the renamed file before the
    writer reopens, one to the new file, one just before a rename."""
    stack.rotate_login_log(reopen=False)
    login_then_accepted(tap, stack, ip(13), 'POP3 into the renamed log',
                        stack.pop3_login)
    stack.reopen_login_log()
    login_then_accepted(tap, stack, ip(14), 'IMAP into the new log',
                        stack.imap_login)
    t = stack.pop3_login(ip(12))
    stack.rotate_login_log()
    ok, elapsed = wait_code(stack, ip(12), 250)
    tap.ok(t and ok, 'login, then log renamed and reopened: %s accepted '
           '(%.3fs)' % (ip(12), elapsed))


def first_accept_after_login(stack, client):
    """Open SMTP, log in over POP3 in a thread, poll RCPT every 10 ms.
    Returns seconds from the +OK of PASS to the first 250, or None."""
    smtp = stack.smtp(client)
    try:
        smtp.mail('sender@example.org')
        got = {}
        th = threading.Thread(target=lambda: got.update(
            t=stack.pop3_login(client)))
        th.start()
        end = time.monotonic() + DEADLINE
        accepted = None
        while time.monotonic() < end:
            if smtp.rcpt(RELAY_RCPT)[0] == 250:
                accepted = time.monotonic()
                break
            time.sleep(0.01)
        th.join()
        if accepted is None or not got.get('t'):
            return None
        return accepted - got['t']
    finally:
        smtp.close()


def scenario_latency(tap, stack):
    delays = []
    for n in range(100, 150):
        d = first_accept_after_login(stack, ip(n))
        if d is None:
            tap.ok(False, 'login from %s opens relaying' % ip(n))
            return
        delays.append(d)
    ms = sorted(x * 1000 for x in delays)
    tap.ok(True, 'latency POP3 +OK -> first accepted RCPT over 50 logins: '
           'median %.1f ms, max %.1f ms, min %.1f ms (RCPT polled every '
           '10 ms; below 0: accepted before the client had read its +OK)'
           % (statistics.median(ms), ms[-1], ms[0]))


def scenario_window(tap, stack, window):
    if not login_then_accepted(tap, stack, ip(17), 'POP3', stack.pop3_login):
        return
    start = time.monotonic()
    ok, elapsed = wait_until(lambda: rcpt_code(stack, ip(17)) == 554,
                             window + DEADLINE, 0.1)
    tap.ok(ok, 'after the window (%ds) %s is refused again (after %.1fs)'
           % (window, ip(17), time.monotonic() - start))


def scenario_long_imap_session(tap, stack, window):
    """An IMAP client that stays logged in longer than the window may
    still relay; after its logout, for one more window only."""
    client = ip(30)
    session = stack.imap_session(client)
    if not tap.ok(session is not None, 'IMAP session from %s logged in'
                  % client):
        return
    try:
        if not tap.ok(wait_code(stack, client, 250)[0],
                      'IMAP session from %s opens relaying' % client):
            return
        deadline = time.monotonic() + window + 2
        while time.monotonic() < deadline:   # an idle client polls
            session.noop()
            time.sleep(0.5)
        tap.ok(rcpt_code(stack, client) == 250, 'still accepted %ds after '
               'the login (window %ds): the session is open'
               % (window + 2, window))
    finally:
        session.logout()
    start = time.monotonic()
    tap.ok(rcpt_code(stack, client) == 250,
           'accepted right after the logout (the window starts there)')
    ok, _ = wait_until(lambda: rcpt_code(stack, client) == 554,
                       window + DEADLINE, 0.1)
    tap.ok(ok, 'refused again one window after the logout (%.1fs)'
           % (time.monotonic() - start))


def scenario_daemon_down(tap, stack, daemon):
    """Stop popgated: relaying is deferred (4xx), local mail flows, a login
    made while it is down counts once it is back, entries survive."""
    daemon.stop()
    daemon.settings['window'] = '10m'
    daemon.write_config()
    daemon.start()
    if not login_then_accepted(tap, stack, ip(20), 'POP3', stack.pop3_login):
        return
    rc = daemon.stop()
    tap.ok(rc == 0, 'popgated exits 0 on TERM (%s)' % rc)
    for n in (20, 8):
        code, text, _ = stack.relay_attempt(ip(n))
        tap.ok(400 <= code < 500, 'popgated down: relay from %s gets a '
               'temporary error, never 250 (%d %s)' % (ip(n), code, text))
    scenario_local_delivery(tap, stack, 'while popgated is down')
    tap.ok(stack.pop3_login(ip(21)), 'POP3 login from %s while popgated '
           'is down' % ip(21))
    daemon.start()
    tap.ok(rcpt_code(stack, ip(20)) == 250,
           'popgated restarted: %s still accepted at once' % ip(20))
    ok, elapsed = wait_code(stack, ip(21), 250)
    tap.ok(ok, 'the login made while it was down is picked up (%.3fs)'
           % elapsed)
    tap.ok(rcpt_code(stack, ip(8)) == 554,
           'and %s is refused again with 554' % ip(8))


def run(tap, stack):
    stack.start()
    tap.ok(True, 'private mail stack started (%s logging)' % stack.logmode)
    got = ' '.join(stack.postconf('smtpd_relay_restrictions').split())
    tap.ok(got == RELAY_RESTRICTIONS, 'Postfix runs with the relay '
           'restrictions of contrib/postfix-main.cf.snippet', got)
    # logpath: what contrib/dovecot-logging.conf recommends; else `auto`
    formats = {'log_formats': 'dovecot-logpath'} if not stack.via_syslog \
        else {}
    daemon = stack.popgated(window='5s', **formats)
    daemon.start()
    scenario_no_login(tap, stack)
    if not scenario_pop3(tap, stack):
        tap.ok(False, 'the first login opened nothing: rest skipped')
        return
    scenario_imap(tap, stack)
    scenario_traceable(tap, stack, daemon)
    scenario_failed_logins(tap, stack)
    if stack.via_syslog:
        scenario_forged_tag(tap, stack)
    scenario_local_delivery(tap, stack, 'with popgated up')
    scenario_rotation(tap, stack)
    scenario_latency(tap, stack)
    if stack.logmode == 'syslog':
        with open(stack.login_log, errors='replace') as f:
            own = [x for x in f if ' popgated[' in x or ' popgated:' in x]
        tap.ok(own, 'popgated\'s own syslog lines (%d) land in the log it '
               'follows, and the checks above show they authorized nothing'
               % len(own))
    if stack.logmode != 'forward':  # the rest does not depend on transport
        scenario_window(tap, stack, 5)
        scenario_long_imap_session(tap, stack, 5)
        scenario_daemon_down(tap, stack, daemon)
    scenario_clean_exit(tap, daemon)


def scenario_clean_exit(tap, daemon):
    rc = daemon.stop()
    bad = [x for x in daemon.log().splitlines()
           if 'Sanitizer' in x or 'runtime error' in x]
    tap.ok(rc == 0 and not bad, 'popgated exits 0 on TERM with no sanitizer '
           'report (%s)' % rc, '\n'.join(bad[:20]))


def main(logmode):
    tap = Tap()
    stack = MailStack(logmode, tap)
    begin = time.monotonic()
    try:
        run(tap, stack)
    except Exception:
        tap.ok(False, 'scenarios ran to the end', traceback.format_exc())
    finally:
        stack.close()            # prints the servers' logs if anything failed
    tap.note('%s suite took %.1fs' % (logmode, time.monotonic() - begin))
    tap.finish()
