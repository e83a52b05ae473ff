#!/usr/bin/python3
"""sessions.t - session tracking on the real daemon: an IMAP session that
stays open longer than the window keeps its address authorized until the
logout line, then for one more window; a session that is never closed
stops authorizing at session_max; session_tracking = no ignores sessions.
Dovecot (session id), Courier and UW (address on the logout line)."""

import time

from popgate_test import Tap, append, syslog_stamp, wait_until
from sessionlib import dovecot_login, dovecot_logout, session_daemon

WINDOW = 2

t = Tap()


def courier(kind, ip, user="bob"):
    return ("%s mail imapd: %s, user=%s, ip=[::ffff:%s], port=[40135]%s\n"
            % (syslog_stamp(), kind, user, ip,
               ", protocol=IMAP" if kind == "LOGIN" else ", headers=0, body=0, rcvd=28, sent=331, time=9"))


def uw(kind, ip, user="carol"):
    return ("%s mail imapd[3131]: %s user=%s host=client.example [%s]\n"
            % (syslog_stamp(), kind, user, ip))


def check_session(d, name, ip, login, logout):
    """login, outlive the window, log out, one more window, then gone"""
    append(d.log_file, login)
    t.ok(d.wait_action(ip, "OK", 10) is not None, "%s: login authorizes %s" % (name, ip))
    time.sleep(WINDOW + 1.5)
    t.ok(d.policy(ip) == "OK", "%s: still authorized %.1fs after login (window %ds): "
         "session open" % (name, WINDOW + 1.5, WINDOW))
    append(d.log_file, logout)
    _, elapsed = wait_until(lambda: d.policy(ip) != "OK", WINDOW + 10, 0.05)
    t.ok(d.policy(ip) == "DUNNO" and elapsed >= WINDOW - 1,
         "%s: authorized for the window after the logout, then not (%.2fs)" % (name, elapsed))


def main():
    d = session_daemon(window="%ds" % WINDOW, session_max="1h", sweep_interval="1s")
    try:
        check_session(d, "dovecot", "192.0.2.10", dovecot_login("192.0.2.10", 5001, "sessAAAA"),
                      dovecot_logout(5001, "sessAAAA"))
        check_session(d, "courier", "192.0.2.11", courier("LOGIN", "192.0.2.11"),
                      courier("LOGOUT", "192.0.2.11"))
        check_session(d, "uw", "192.0.2.12", uw("Login", "192.0.2.12"), uw("Logout", "192.0.2.12"))

        # a logout of another session id leaves this one open
        append(d.log_file, dovecot_login("192.0.2.13", 5002, "sessBBBB"))
        d.wait_action("192.0.2.13", "OK", 10)
        append(d.log_file, dovecot_logout(5002, "sessOTHER"))
        time.sleep(WINDOW + 1.5)
        t.ok(d.policy("192.0.2.13") == "OK", "a logout line of another session closes nothing")
        entry = [e for e in d.dump_json() if e["ip"] == "192.0.2.13"]
        t.ok(entry and entry[0].get("open_sessions") == 1,
             "popgate-dump -j shows the open session", entry)
        listing = d.dump().stdout
        t.ok("192.0.2.13" in listing, "popgate-dump lists the open session's address", listing)
    finally:
        t.ok(d.stop() == 0, "popgated exits 0 on TERM")

    # session_max caps a session whose logout never comes
    d = session_daemon(window="1s", session_max="3s")
    try:
        append(d.log_file, dovecot_login("192.0.2.20", 6001, "sessCCCC"))
        d.wait_action("192.0.2.20", "OK", 10)
        time.sleep(1.5)
        t.ok(d.policy("192.0.2.20") == "OK", "session_max: open session outlives the window")
        _, elapsed = wait_until(lambda: d.policy("192.0.2.20") == "DUNNO", 15, 0.05)
        t.ok(d.policy("192.0.2.20") == "DUNNO", "session_max: a lost logout stops authorizing "
             "at session_max (%.2fs more)" % elapsed)
    finally:
        d.stop()

    # session_tracking = no: the window runs from the login
    d = session_daemon(window="%ds" % WINDOW, session_tracking="no")
    try:
        append(d.log_file, dovecot_login("192.0.2.30", 7001, "sessDDDD"))
        d.wait_action("192.0.2.30", "OK", 10)
        _, elapsed = wait_until(lambda: d.policy("192.0.2.30") == "DUNNO", WINDOW + 10, 0.05)
        t.ok(d.policy("192.0.2.30") == "DUNNO",
             "session_tracking = no: expires one window after the login (%.2fs)" % elapsed)
    finally:
        d.stop()
    t.finish()


main()
