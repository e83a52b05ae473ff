#!/usr/bin/python3
"""gen_maillog.py - deterministic mail.log for the ingest benchmark.

    gen_maillog.py OUT [LINES] [SEED]

Writes LINES (default 2,000,000) lines seeded by SEED (default 42): mostly
Postfix and other noise, about 3 % successful logins in every built-in
format (shapes from tests/corpus/*.log), Dovecot logouts that end earlier
Dovecot logins (as a real log pairs them), failed logins, single-digit days,
RFC 3339 stamps, IPv6 clients and some long lines (a few over 16 KiB).
Addresses are documentation ranges written as text. Prints the number of
login lines it wrote. Never depends on the clock: same seed, same bytes.
"""

import collections
import random
import sys

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun",
          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace",
         "heidi", "ivan", "judy", "mallory", "oscar", "peggy", "trent"]
HOSTS = ["mx", "mail", "vm", "mailstore21"]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.sec = 0		# seconds since the start of the log
        self.month = 2		# March
        self.day = 1
        self.sessions = collections.deque()	# Dovecot logins not ended

    # ---- pieces -------------------------------------------------------
    def ip4(self):
        r = self.r
        net = r.choice(("192.0.2", "198.51.100", "203.0.113"))
        return "%s.%d" % (net, r.randint(1, 254))

    def ip6(self):
        r = self.r
        return "2001:db8:%x::%x" % (r.randint(0, 0xffff), r.randint(1, 0xffff))

    def client_ip(self):
        return self.ip6() if self.r.random() < 0.15 else self.ip4()

    def stamp(self):
        """BSD stamp (day padded with a space, or not) or RFC 3339"""
        self.sec += 1 if self.r.random() < 0.05 else 0
        if self.sec >= 86400:
            self.sec = 0
            self.day = self.day % 28 + 1
        h, m, s = self.sec // 3600, (self.sec // 60) % 60, self.sec % 60
        roll = self.r.random()
        if roll < 0.1:
            return "2026-%02d-%02dT%02d:%02d:%02d.%06d+00:00 %s" % (
                self.month + 1, self.day, h, m, s, self.r.randint(0, 999999),
                self.r.choice(HOSTS))
        day = ("%d" % self.day) if roll < 0.15 else ("%2d" % self.day)
        return "%s %s %02d:%02d:%02d %s" % (MONTHS[self.month], day, h, m, s,
                                            self.r.choice(HOSTS))

    def pid(self):
        return self.r.randint(100, 65000)

    def qid(self):
        return "%010X" % self.r.getrandbits(40)

    def user(self):
        return self.r.choice(USERS)

    # ---- logins, one per built-in format ---------------------------------
    def login(self):
        r = self.r
        u, ip, p = self.user(), self.client_ip(), self.pid()
        kind = r.randrange(12)
        if kind <= 2:
            svc, sid = r.choice(("pop3", "imap")), self.qid()
            self.sessions.append((svc, u, p, sid))
            return ("%s dovecot: %s-login: Login: user=<%s>, method=PLAIN, "
                    "rip=%s, lip=192.0.2.254, mpid=%d, TLS, session=<%s>"
                    % (self.stamp(), svc, u, ip, p, sid))
        if kind == 3:
            svc = r.choice(("pop3", "imap"))
            return ("Mar %d %02d:%02d:%02d %s-login: Info: Login: user=<%s>, "
                    "method=PLAIN, rip=%s, lip=127.0.0.1, mpid=%d, session=<%s>"
                    % (self.day, self.sec // 3600, (self.sec // 60) % 60,
                       self.sec % 60, svc, u, ip, p, self.qid()))
        if kind == 4:
            tag = r.choice(("pop3d", "imapd", "pop3d-ssl", "imapd-ssl"))
            cip = ip if ":" in ip else "::ffff:" + ip
            return ("%s %s: LOGIN, user=%s, ip=[%s], port=[%d], protocol=%s"
                    % (self.stamp(), tag, u, cip, r.randint(1024, 65535),
                       "IMAP" if "imap" in tag else "POP3"))
        if kind == 5:
            return ("%s cyrus/%s[%d]: login: client.example.org [%s] %s "
                    "plaintext+TLS User logged in SESSIONID=<mx-%d-1>"
                    % (self.stamp(), r.choice(("imap", "pop3")), p, ip, u, p))
        if kind == 6:
            return ("%s %s[%d]: Login user=%s host=client.example.org [%s] "
                    "nmsgs=3/3" % (self.stamp(), r.choice(("ipop3d", "imapd")),
                                   p, u, ip))
        if kind == 7:
            return ("%s qpopper[%d]: (v4.1.0) POP login by user \"%s\" at "
                    "(c.example) %s" % (self.stamp(), p, u, ip))
        if kind == 8:
            return ("%s popa3d[%d]: Authentication passed for %s -- [%s]"
                    % (self.stamp(), p, u, ip))
        if kind == 9:
            return ("%s tpop3d[%d]: fork_child: [7]%s/192.0.2.1: began session "
                    "for `%s' with passwd; child PID is %d"
                    % (self.stamp(), p, self.ip4(), u, p + 1))
        if kind == 10:
            return ("%s gnu-pop3d[%d]: User %s logged in with mailbox "
                    "/var/mail/%s from %s" % (self.stamp(), p, u, u, ip))
        return ("2026-03-%02d 10:23:45,%03d INFO  [ImapSSLServer-%d] "
                "[name=%s@example.com;ip=10.0.0.5;oip=%s;ua=Thunderbird;] imap "
                "- user %s@example.com authenticated, mechanism=LOGIN [TLS]"
                % (self.day, r.randint(0, 999), r.randint(1, 99), u, ip, u))

    # ---- noise -----------------------------------------------------------
    def postfix(self):
        r = self.r
        st, p, q, ip = self.stamp(), self.pid(), self.qid(), self.client_ip()
        kind = r.randrange(10)
        if kind == 0:
            return "%s postfix/smtpd[%d]: connect from unknown[%s]" % (st, p, ip)
        if kind == 1:
            return ("%s postfix/smtpd[%d]: disconnect from unknown[%s] ehlo=1 "
                    "mail=1 rcpt=1 data=1 quit=1 commands=5" % (st, p, ip))
        if kind == 2:
            return ("%s postfix/smtpd[%d]: %s: client=client.example.org[%s]"
                    % (st, p, q, ip))
        if kind == 3:
            return ("%s postfix/cleanup[%d]: %s: message-id=<%s@example.com>"
                    % (st, p, q, self.qid()))
        if kind == 4:
            return ("%s postfix/qmgr[%d]: %s: from=<%s@example.com>, size=%d, "
                    "nrcpt=1 (queue active)" % (st, p, q, self.user(),
                                                r.randint(500, 900000)))
        if kind == 5:
            return ("%s postfix/smtp[%d]: %s: to=<%s@example.net>, "
                    "relay=mx.example.net[%s]:25, delay=0.4, "
                    "delays=0.01/0/0.2/0.19, dsn=2.0.0, status=sent (250 2.0.0 "
                    "Ok: queued as %s)" % (st, p, q, self.user(), self.ip4(),
                                           self.qid()))
        if kind == 6:
            return ("%s postfix/smtpd[%d]: NOQUEUE: reject: RCPT from "
                    "unknown[%s]: 554 5.7.1 <x@example.com>: Relay access "
                    "denied; from=<spam@example.org> to=<x@example.com> "
                    "proto=ESMTP helo=<example.org>" % (st, p, ip))
        if kind == 7:
            return "%s postfix/qmgr[%d]: %s: removed" % (st, p, q)
        if kind == 8:
            return ("%s postfix/local[%d]: %s: to=<%s@example.com>, "
                    "relay=local, delay=0.1, dsn=2.0.0, status=sent "
                    "(delivered to mailbox)" % (st, p, q, self.user()))
        return ("%s postfix/anvil[%d]: statistics: max connection rate "
                "1/60s for (smtp:%s) at %s" % (st, p, ip, st[:15]))

    def other(self):
        r = self.r
        st, p, ip = self.stamp(), self.pid(), self.client_ip()
        kind = r.randrange(8)
        if kind == 0:	# the oldest Dovecot login still open ends
            svc, u, p, sid = (self.sessions.popleft() if self.sessions else
                              ("pop3", self.user(), p, self.qid()))
            return ("%s dovecot: %s(%s)<%d><%s>: Disconnected: Logged out "
                    "top=0/0, retr=0/0, del=0/1, size=162" % (st, svc, u, p,
                                                              sid))
        if kind == 1:
            return ("%s dovecot: imap-login: Disconnected: Connection closed "
                    "(auth failed, 1 attempts in 2 secs): user=<%s>, "
                    "method=PLAIN, rip=%s, lip=192.0.2.254, session=<%s>"
                    % (st, self.user(), ip, self.qid()))
        if kind == 2:
            return ("%s imapd[%d]: Login failed user=%s auth=%s host=c.example "
                    "[%s]" % (st, p, self.user(), self.user(), ip))
        if kind == 3:
            return ("%s pop3d: Connection, ip=[::ffff:%s], port=[%d]"
                    % (st, self.ip4(), r.randint(1024, 65535)))
        if kind == 4:
            return ("%s amavis[%d]: (%05d-01) Passed CLEAN {RelayedInbound}, "
                    "[%s]:%d <a@example.org> -> <b@example.com>, Queue-ID: %s, "
                    "Message-ID: <%s@example.org>, mail_id: %s, Hits: -1.2, "
                    "size: %d, queued_as: %s, %d ms"
                    % (st, p, p, ip, r.randint(1024, 65535), self.qid(),
                       self.qid(), self.qid(), r.randint(500, 90000),
                       self.qid(), r.randint(100, 3000)))
        if kind == 5:
            return ("%s popa3d[%d]: Authentication failed for %s -- [%s]"
                    % (st, p, self.user(), ip))
        if kind == 6:
            return "%s opendkim[%d]: %s: DKIM-Signature field added (s=mail, d=example.com)" % (st, p, self.qid())
        return ("%s postfix/smtpd[%d]: warning: unknown[%s]: SASL LOGIN "
                "authentication failed: UGFzc3dvcmQ6" % (st, p, ip))

    def long_line(self):
        """a long Postfix line (header_checks / milter), sometimes > 16 KiB"""
        r = self.r
        n = r.choice((900, 2500, 6000, 20000)) if r.random() < 0.02 else r.randint(300, 1500)
        to = ",".join("<%s%d@example.net>" % (self.user(), i) for i in range(n // 24 + 1))
        return ("%s postfix/cleanup[%d]: %s: warning: header To: %s from "
                "unknown[%s]; from=<a@example.org> to=<b@example.com> "
                "proto=ESMTP helo=<x>" % (self.stamp(), self.pid(), self.qid(),
                                          to[:n], self.client_ip()))

    def line(self):
        roll = self.r.random()
        if roll < 0.03:
            return self.login(), 1
        if roll < 0.75:
            return self.postfix(), 0
        if roll < 0.995:
            return self.other(), 0
        return self.long_line(), 0


def main():
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 42
    g = Gen(seed)
    logins = 0
    chunk = []
    with open(out, "w", encoding="ascii") as f:
        for _ in range(count):
            text, is_login = g.line()
            logins += is_login
            chunk.append(text)
            if len(chunk) >= 10000:
                f.write("\n".join(chunk) + "\n")
                chunk = []
        if chunk:
            f.write("\n".join(chunk) + "\n")
    print(logins)


if __name__ == "__main__":
    main()
