#!/usr/bin/python3
# e2e_forward.t - POP-before-SMTP end to end, scale-out set-up of
# contrib/rsyslog-popgate.conf: Dovecot -> rsyslogd -> TCP -> rsyslogd -> file;
# real Dovecot (POP3, IMAP), real Postfix relaying through popgated's policy
# socket, all private (temp dir, 127.0.0.1 high ports). Must never touch the
# system mail servers, port 25/110/143 or the host's /dev/log.
import os
import sys

sys.dont_write_bytecode = True   # leave no __pycache__ in the tree

import e2e_scenarios  # noqa: E402

e2e_scenarios.main('forward')
