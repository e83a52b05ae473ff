#!/usr/bin/python3
# make-seeds.py - (re)write the seed corpora in tests/fuzz/corpus/<harness>/
# from the real log lines in tests/corpus/*.log, contrib/*.conf and fixed
# policy requests, netstrings and time stamps. Run from the repository top
# (or with POPGATE_TOP set). Only ever writes under tests/fuzz/corpus/.
import glob, hashlib, os, shutil, sys

top = os.environ.get('POPGATE_TOP', os.getcwd())
out = os.path.join(top, 'tests/fuzz/corpus')


def write(harness, data):
    d = os.path.join(out, harness)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def log_lines(per_file):
    """the first PER_FILE distinct lines of each corpus file"""
    for path in sorted(glob.glob(os.path.join(top, 'tests/corpus/*.log'))):
        with open(path, 'rb') as f:
            lines = [l for l in dict.fromkeys(f.read().split(b'\n')) if l]
        for line in lines[:per_file]:
            yield path, line


def match_seeds():
    for _, line in log_lines(16):
        write('fuzz_match', line)
    for path in sorted(glob.glob(os.path.join(top, 'tests/corpus/*.log'))):
        with open(path, 'rb') as f:
            write('fuzz_match', f.read()[:4000])
    write('fuzz_match', b'Nov 23 11:06:24 vm custom[12]: ok alice from 192.0.2.23')
    write('fuzz_match', b'Nov 23 11:06:24 vm custom2: 2001:db8::7 user=bob')
    users = [b'alice', b'alice>, method=PLAIN, rip=6.6.6.6, lip=1.1.1.1, mpid=1, session=<x',
             b'x, ip=[6.6.6.6], port=[1]', b'x [6.6.6.6] y', b'a host=h [6.6.6.6]',
             b'a;oip=6.6.6.6;ip=6.6.6.6;', b'\x00\xff rip=6.6.6.6']
    # template 3 is the SASL method: its injection is a kept regression
    # (regressions/fuzz_match), not a seed that stops every run at once
    for t in range(10):
        for u in ([b'PLAIN', b'CRAM-MD5'] if t == 3 else users):
            write('fuzz_match', b'\x01' + bytes([t]) + u)


def policy_seeds():
    full = (b'request=smtpd_access_policy\nprotocol_state=RCPT\n'
            b'protocol_name=ESMTP\nclient_address=192.0.2.23\n'
            b'client_name=client.example.org\nreverse_client_name=client.example.org\n'
            b'helo_name=client.example.org\nsender=alice@example.org\n'
            b'recipient=bob@example.net\nrecipient_count=0\nqueue_id=\n'
            b'instance=123.456.7\nsize=0\nsasl_method=\nccert_subject=\n\n')
    v6 = b'request=smtpd_access_policy\nclient_address=2001:db8::17\n\n'
    for chunk, data in [(0, full), (1, full + v6), (7, v6 + v6 + v6), (0, b'\n'),
                        (3, b'request=x\nnoequals\n\n'), (0, b'client_address=1.2.3.4\x00\n\n'),
                        (0, b'client_address=\n\n'), (0, b'=x\n\n'),
                        (5, b'client_address=' + b'1' * 70 + b'\nclient_address=192.0.2.1\n\n'),
                        (0, b'client_address=192.0.2.1\r\n\r\n'),
                        (200, b'a=' + b'b' * 4094 + b'\n\n')]:
        write('fuzz_policy', bytes([chunk]) + data)


def netstring(s):
    return str(len(s)).encode() + b':' + s + b','


def socketmap_seeds():
    keys = [b'popgate 192.0.2.23', b'access Connect:192.0.2.23',
            b'access Connect:IPv6:2001:db8::1', b'access CONNECT:ipv6:::ffff:192.0.2.1',
            b'map host.example.org', b'map 192.0.2', b'map [::1]', b'nospace',
            b' empty', b'map ', b'']
    for i, k in enumerate(keys):
        write('fuzz_socketmap', bytes([0, 255]) + netstring(k))
        write('fuzz_socketmap', bytes([i + 1, i * 20]) + netstring(k) + netstring(keys[0]))
    for raw in [b'05:a b c,', b'10001:', b'123456:', b'3:abc;', b':x,', b'0:,0:,']:
        write('fuzz_socketmap', bytes([0, 255]) + raw)
    write('fuzz_socketmap', bytes([0, 244]) + netstring(b'm ' + b'x' * 9990))


def config_seeds():
    for path in sorted(glob.glob(os.path.join(top, 'contrib/*.conf'))):
        with open(path, 'rb') as f:
            write('fuzz_config', f.read())
    full = b'''database = /var/lib/popgate/popgate.lmdb
log_files = /var/log/mail.log, /var/log/dovecot.log
log_formats = dovecot, courier cyrus
pattern = ^\\S+ \\S+ mypopd\\[\\d+\\]: login ok user=(?<user>\\S+) from (?<ip>[0-9a-fA-F.:]+)$
pattern = ^# (?<ip>\\S+)
window = 1h
policy_listen = unix:/var/spool/postfix/private/popgate, inet:127.0.0.1:10040, inet:[::1]:10041
policy_action = OK
socketmap_value = RELAY
socket_mode = 0660
socketmap_listen = inet:0.0.0.0:10050
export_map = /etc/postfix/popgate
export_format = sendmail
export_command = postmap /etc/postfix/popgate
ignore_networks = 127.0.0.0/8, ::1/128, 10.0.0.0/8, 2001:db8::/32
ipv6_prefix = 64
user =
start_at = beginning
rotate_wait = 5s
sweep_interval = 60
max_clients = 1000
idle_timeout = 330s
journal = auto
journal_units = dovecot.service, courier-imap.service
journal_directory = /var/log/journal/remote
session_tracking = no
session_max = 1d
'''
    write('fuzz_config', full)
    for line in full.split(b'\n'):
        if line:
            write('fuzz_config', line + b'\n')
    for bad in [b'window = 0\n', b'window = 4294967296s\n', b'nokey\n', b'window = 1\nwindow = 2\n',
                b'policy_listen = inet:host:99999\n', b'ignore_networks = 10.0.0.1/8\n',
                b'pattern = (?<user>x)\n', b'socket_mode = 0999\n', b'  # comment\r\n\r\n',
                b'user = a\x00b\n', b'ipv6_prefix = 129\n', b'export_format = exim\n']:
        write('fuzz_config', bad)


def timeparse_seeds():
    stamps = [b'Nov 23 11:04:39 vm dovecot: x', b'2026-11-23T11:04:39.188487+00:00 vm',
              b'Dec 31 23:59:59 host', b'Jan  1 00:00:01 host', b'Feb 29 12:00:00 h',
              b'Mar 29 02:30:00 h', b'Oct 25 02:30:00 h', b'2026-11-23T11:04:39Z',
              b'2026-11-23T11:04:39-14:00 x', b'9999-12-31T23:59:59+00:00',
              b'0000-01-01T00:00:00Z', b'2026-11-23 11:06:24,123 INFO',
              b'1970-01-01T00:00:00+23:59', b'Nov 23 11:03:39 pop3-login: Info:']
    for i, s in enumerate(stamps):
        write('fuzz_timeparse', bytes([i % 7]) + s)
    for path, line in log_lines(2):
        write('fuzz_timeparse', bytes([len(line) % 7]) + line[:40])


def trust_seeds():
    """fuzz_trust: template, cut, padding, second template, texts"""
    texts = [b'alice', b'x" status="ok', b', rip=203.0.113.66, lip=1.1.1.1',
             b'x, ip=[203.0.113.66], port=[1]', b'x;oip=203.0.113.66;',
             b'x host=[203.0.113.66]', b'(v4.1.0) POP login by user "x" at (h) 203.0.113.66',
             b'x -- [203.0.113.66]', b'x\' with passwd; child PID is 1']
    for t in range(64):
        for i, text in enumerate(texts):
            cut, pad = (i % 5, 0) if i % 2 else (1, 1000 - len(text))
            write('fuzz_trust', bytes([t, cut, pad >> 8, pad & 0xff, (t * 7 + i) % 64]) +
                  text + (b'\n' + texts[(i + 1) % len(texts)] if i % 3 == 0 else b''))


def pattern_seeds():
    for pat, lines in [
            (rb'^\S+ \S+ mypopd\[\d+\]: login ok user=(?<user>\S+) from (?<ip>[0-9a-fA-F.:]+)$',
             [b'Nov 23 11:06:24 vm mypopd[12]: login ok user=alice from 192.0.2.7']),
            (rb'^(?<time>\S+) (?:a(?<ip>\S+)|b(?<user>\S+))',
             [b'2026-11-23T11:04:39Z b1.2.3.4', b'2026-11-23T11:04:39Z a1.2.3.4']),
            (rb'(?<ip>\[[^]]*\])', [b'x [::ffff:1.2.3.4] y', b'[fe80::1%eth0]']),
            (rb'^(?<time>\w{3} [ \d]\d \d\d:\d\d:\d\d) (?<ip>\S+) (?<user>.*)$',
             [b'Nov 23 11:04:39 2001:db8::1 bob\x00\xff', b'Feb 30 25:00:00 1.2.3.4 x']),
            (rb'(?<ip>)(?<time>)(?<user>)', [b'', b'x']),
            (rb'^(?<svc>\w+): (?<ip>\S+)$', [b'imaps: 192.0.2.1', b'pop3: 1.2.3.4.5'])]:
        write('fuzz_pattern', pat + b'\n' + b'\n'.join(lines))


def http_seeds():
    """Dovecot auth-policy requests (byte 0: read size, byte 1 & 1: API
    header required), pipelined, HTTP/1.0, and what must be refused"""
    body = (b'{"device_id":"","login":"alice","protocol":"pop3","pwhash":"0d09",'
            b'"remote":"192.0.2.7","session_id":"pW88XJthoet/AAAH","success":true,'
            b'"policy_reject":false,"tls":false}')
    for d in [b'\x00\x01POST /?command=report HTTP/1.1\r\nHost: 127.0.0.1\r\n'
              b'X-API-Key: s3cret\r\nContent-Type: application/json\r\n'
              b'Content-Length: %d\r\n\r\n' % len(body) + body,
              b'\x07\x00POST /?command=allow HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n'
              b'\r\n{}POST /?command=allow HTTP/1.1\r\nContent-Length: 0\r\n\r\n',
              b'\x01\x01GET / HTTP/1.0\nConnection: keep-alive\nx-api-key:   s3cret  \n\n',
              b'\x00\x00POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
              b'\x00\x00POST / HTTP/1.1\r\nContent-Length: 70000\r\n\r\n']:
        write('fuzz_http', d)


if __name__ == '__main__':
    if os.path.isdir(out):
        shutil.rmtree(out)
    for fn in (match_seeds, pattern_seeds, policy_seeds, socketmap_seeds, config_seeds, timeparse_seeds,
               trust_seeds, http_seeds):
        fn()
    for h in sorted(os.listdir(out)):
        print(h, len(os.listdir(os.path.join(out, h))), 'seeds')
