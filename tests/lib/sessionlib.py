"""sessionlib - what the session-tracking suites (tests/sessions) share:
a started daemon on an empty log, the lines of a Dovecot IMAP session,
stamped now."""

from popgate_test import Daemon, temp_dir, syslog_stamp


def session_daemon(**settings):
    """popgated in a fresh directory, following an empty mail.log"""
    d = Daemon(temp_dir(), **settings)
    open(d.log_file, "w").close()
    return d.start()


def dovecot_login(ip, pid, sid, user="alice"):
    """imap-login's Login line: the mail process PID and the session id"""
    return ("%s mail dovecot: imap-login: Login: user=<%s>, method=PLAIN, rip=%s, "
            "lip=127.0.0.1, mpid=%d, session=<%s>\n" % (syslog_stamp(), user, ip, pid, sid))


def dovecot_logout(pid, sid, user="alice"):
    """the mail process's logout line for that session"""
    return ("%s mail dovecot: imap(%s)<%d><%s>: Disconnected: Logged out in=26 "
            "out=801 deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 "
            "body_count=0 body_bytes=0\n" % (syslog_stamp(), user, pid, sid))


def dovecot_user_logout(user="alice"):
    """Dovecot 2.2's logout line: no <pid><session>, only service and user"""
    return ("%s mail dovecot: imap(%s): Disconnected: Logged out in=26 out=801\n"
            % (syslog_stamp(), user))
