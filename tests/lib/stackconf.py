"""stackconf - configuration text for the private test mail stack.

Pure functions: paths and ports in, config file text out. Every path is
inside the test's temp dir and every listener on 127.0.0.1; nothing here
may ever name /etc/dovecot, /etc/postfix, the system spool or /dev/log.
"""
import os
import re

TOP = os.environ.get('POPGATE_TOP', os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', '..'))
USERS = {'alice': 'alice-pw', 'bob': 'bob-pw'}
LOCAL_DOMAIN = 'local.popgate.test'

# What DESIGN.md and README recommend; contrib/postfix-main.cf.snippet,
# which the test's main.cf includes verbatim, must say exactly this.
RELAY_RESTRICTIONS = (
    'permit_mynetworks, permit_sasl_authenticated, permit_auth_destination,'
    ' check_policy_service { unix:private/popgate, timeout=10s,'
    ' default_action=DEFER_IF_REJECT }, reject_unauth_destination')


def contrib(name):
    with open(os.path.join(TOP, 'contrib', name)) as f:
        return f.read()


def dovecot_conf(top, pop3_port, imap_port, logmode):
    """Dovecot 2.3: POP3+IMAP on 127.0.0.1, plaintext passwd-file users.
    logmode 'syslog', or 'logpath': contrib/dovecot-logging.conf with its
    /var/log/ paths moved into top."""
    if logmode == 'syslog':
        logging = 'log_path = syslog\nsyslog_facility = mail\n'
    else:
        logging = contrib('dovecot-logging.conf').replace('/var/log/',
                                                          top + '/')
    return _dovecot_base(top, pop3_port, imap_port) + logging


def _dovecot_base(top, pop3_port, imap_port):
    return '''# private test instance, started with: dovecot -F -c THIS_FILE
base_dir = {top}/dovecot/run
state_dir = {top}/dovecot/state
protocols = pop3 imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
default_login_user = dovenull
default_internal_user = dovecot
mail_location = maildir:{top}/mail/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {top}/dovecot/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {top}/dovecot/users
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {pop3_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
'''.format(top=top, pop3_port=pop3_port, imap_port=imap_port)


def rsyslog_conf(workdir, socket_path, mail_log, template):
    """rsyslogd on a private socket only; mail.* to one file."""
    return '''# private test instance: rsyslogd -n -f THIS_FILE -i PIDFILE
global(workDirectory="{workdir}")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{sock}" CreatePath="on"
      RateLimit.Interval="0")
mail.* action(type="omfile" file="{log}" template="{tpl}")
'''.format(workdir=workdir, sock=socket_path, log=mail_log, tpl=template)


def rsyslog_forward_confs(top, socket_path, port, mail_log):
    """contrib/rsyslog-popgate.conf split in its sender part (after our
    private socket input) and its receiver part, moved to 127.0.0.1:port,
    with 127.0.0.1 as the one allowed sender and mail_log as the file."""
    text = contrib('rsyslog-popgate.conf')
    marker = '# ---------------------------------------------------------------- part '
    part_a = text.split(marker + 'A')[1].split(marker + 'B')[0]
    part_b = text.split(marker + 'B')[1]
    subst = [('popgate.example.org', '127.0.0.1'), ('10514', str(port)),
             ('192.0.2.10', '127.0.0.1'), ('192.0.2.11', '127.0.0.1'),
             ('/var/log/popgate/logins.log', mail_log)]
    for old, new in subst:
        part_a, part_b = part_a.replace(old, new), part_b.replace(old, new)
    sender = '''global(workDirectory="{top}/rsyslog/work")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{sock}" CreatePath="on" RateLimit.Interval="0")
'''.format(top=top, sock=socket_path) + part_a
    receiver = 'global(workDirectory="{top}/rsyslog/recv")\n'.format(
        top=top) + part_b
    return sender, receiver


def postfix_main_cf(top):
    """Postfix 3.7: loopback only, no DNS, relay gated by popgate."""
    return '''# private test instance: postfix -c {top}/postfix/etc start
compatibility_level = 3.6
queue_directory = {top}/postfix/spool
data_directory = {top}/postfix/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = {top}/postfix/maillog
maillog_file_prefixes = {top}
myhostname = mx.popgate.test
mydomain = popgate.test
myorigin = $myhostname
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
relay_domains =
alias_maps =
alias_database =
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
smtpd_client_restrictions =
smtpd_helo_restrictions =
smtpd_sender_restrictions =
smtpd_recipient_restrictions =
# relayed mail is thrown away: nothing ever leaves the machine
default_transport = discard:relayed mail discarded by the popgate test
relay_transport = $default_transport
local_transport = $default_transport
# the local domain is delivered for real, to the Dovecot users' Maildirs
virtual_mailbox_domains = {domain}
virtual_mailbox_base = {top}/mail
virtual_mailbox_maps = inline:{{ {maps} }}
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
# a client polls RCPT every 10 ms: no tarpit, no error limit
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 10000
smtpd_hard_error_limit = 10000
smtpd_junk_command_limit = 10000
biff = no
'''.format(top=top, domain=LOCAL_DOMAIN,
           maps=', '.join('%s@%s=%s/Maildir/' % (u, LOCAL_DOMAIN, u)
                          for u in USERS)) + contrib('postfix-main.cf.snippet')


def postfix_master_cf(dist, smtp_port):
    """master.cf.dist with no chroot and smtpd on 127.0.0.1:smtp_port."""
    out = []
    for line in dist.splitlines():
        fields = line.split()
        if line[:1] not in ('', '#', ' ', '\t') and len(fields) >= 8:
            if fields[0] == 'smtp' and fields[1] == 'inet':
                fields[0] = '127.0.0.1:%d' % smtp_port
            fields[4] = 'n'                         # chroot
            line = re.sub(r'\s+', ' ', ' '.join(fields))
        out.append(line)
    return '\n'.join(out) + '\n'
