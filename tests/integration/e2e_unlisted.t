#!/usr/bin/python3
# e2e_unlisted.t - unlisted_action = DEFER_IF_REJECT with the real Postfix:
# a relay attempt from a client that has not fetched its mail yet gets a
# temporary 4.7.1 refusal carrying unlisted_text (so it retries instead of
# bouncing), the same client gets 250 once it has logged in over POP3,
# and mail to a local recipient is never held up. Private Dovecot (its own
# log_path file) and Postfix on 127.0.0.1 high ports only.
import os
import sys
import traceback

sys.dont_write_bytecode = True   # leave no __pycache__ in the tree

from mailstack import MailStack, Tap, wait_until  # noqa: E402

DEADLINE = 20.0
TEXT = 'Fetch your mail first, then send again'


def main():
    tap = Tap()
    stack = MailStack('logpath', tap)
    try:
        stack.start()
        daemon = stack.popgated(log_formats='dovecot-logpath', window='1m',
                                unlisted_action='DEFER_IF_REJECT')
        daemon.start()
        client = '127.0.0.40'
        code, text, _ = stack.relay_attempt(client)
        tap.ok(code == 450 and '4.7.1' in text and TEXT in text,
               'unlisted %s: relay attempt deferred with a 4xx (%d %s)'
               % (client, code, text))
        code, text, _ = stack.relay_attempt(client, rcpt=stack.local_rcpt('bob'))
        tap.ok(code == 250, 'unlisted %s: mail to a local user still '
               'accepted (%d %s)' % (client, code, text))
        tap.ok(stack.pop3_login(client), 'POP3 login from %s' % client)
        ok, elapsed = wait_until(
            lambda: stack.relay_attempt(client)[0] == 250, DEADLINE, 0.05)
        tap.ok(ok, 'after the login: relay accepted with 250 (%.3fs)' % elapsed)
        code, text, _ = stack.relay_attempt('127.0.0.41')
        tap.ok(code == 450 and TEXT in text,
               'another unlisted client is still deferred (%d)' % code)
        tap.ok(daemon.stop() == 0, 'popgated exits 0 on TERM')
    except Exception:
        tap.ok(False, 'scenario ran to the end', traceback.format_exc())
    finally:
        stack.close()
    tap.finish()


main()
