"""jlib - what the journal suites share: a Tap that fails at once without
systemd-journal-remote, a fresh journal directory, real journal files
written by systemd-journal-remote from Journal Export Format input, and
dovecot login messages. Files are built in a scratch directory and
renamed into the journal directory, so a reader never sees a half-written
file."""

import os
import struct
import subprocess
import sys
import time

import popgate_test as pt  # noqa: E402

JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote"
BOOT_ID = "0123456789abcdef0123456789abcdef"


def available():
    return os.access(JOURNAL_REMOTE, os.X_OK)


def tap():
    """a Tap; fails the suite at once when journal-remote is missing"""
    t = pt.Tap()
    if not available():
        t.ok(False, "systemd-journal-remote is installed (make deps)")
        t.finish()
    return t


def journal_dir():
    """a fresh temp dir and an empty journal directory inside it:
    (tmp, jdir)"""
    tmp = pt.temp_dir()
    jdir = os.path.join(tmp, "journal")
    os.mkdir(jdir)
    return tmp, jdir


def login_message(ip, user="alice", service="pop3"):
    return ("%s-login: Login: user=<%s>, method=PLAIN, rip=%s, lip=127.0.0.1, "
            "mpid=4242, session=<abcDEF4242>" % (service, user, ip))


def entry(message, unit="dovecot.service", ident="dovecot", pid=4242,
          t=None, host="mail", extra=()):
    """one entry as a list of (field, bytes); t in seconds (default now)"""
    t = time.time() if t is None else t
    fields = [("__REALTIME_TIMESTAMP", str(int(t * 1000000))),
              ("__MONOTONIC_TIMESTAMP", str(int(time.monotonic() * 1000000))),
              ("_BOOT_ID", BOOT_ID), ("_HOSTNAME", host)]
    if unit is not None:
        fields.append(("_SYSTEMD_UNIT", unit))
    if ident is not None:
        fields.append(("SYSLOG_IDENTIFIER", ident))
    if pid is not None:
        fields.append(("_PID", str(pid)))
    fields.extend(extra)
    fields.append(("MESSAGE", message))
    return [(k, v if isinstance(v, bytes) else v.encode()) for k, v in fields]


def export_bytes(entries):
    """the Journal Export Format: NAME=value lines, or for a value holding
    a newline or control bytes NAME\\n + le64 size + bytes + \\n"""
    out = b""
    for e in entries:
        for name, value in e:
            if any(c < 0x20 for c in value):
                out += name.encode() + b"\n" + struct.pack("<Q", len(value)) + value + b"\n"
            else:
                out += name.encode() + b"=" + value + b"\n"
        out += b"\n"
    return out


def write_journal(directory, name, entries):
    """a journal file DIRECTORY/NAME.journal holding ENTRIES"""
    scratch = pt.temp_dir("popgate-jr-")
    src = os.path.join(scratch, "in.export")
    tmp = os.path.join(scratch, name + ".journal")
    with open(src, "wb") as f:
        f.write(export_bytes(entries))
    r = subprocess.run([JOURNAL_REMOTE, "--output=" + tmp, src],
                       capture_output=True, text=True)
    if r.returncode != 0 or not os.path.exists(tmp):
        raise RuntimeError("systemd-journal-remote failed: %s" % r.stderr)
    dest = os.path.join(directory, name + ".journal")
    os.rename(tmp, dest)
    return dest


def append_journal(path, entries):
    """append ENTRIES to the existing journal file PATH (as journald
    appends to the file a reader has open)"""
    scratch = pt.temp_dir("popgate-jr-")
    src = os.path.join(scratch, "in.export")
    with open(src, "wb") as f:
        f.write(export_bytes(entries))
    r = subprocess.run([JOURNAL_REMOTE, "--output=" + path, src],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("systemd-journal-remote failed: %s" % r.stderr)


def daemon(tmp, jdir, **settings):
    """popgated reading the journal in JDIR (no log file exists)"""
    conf = {"journal": "yes", "journal_directory": jdir,
            "log_files": os.path.join(tmp, "absent.log"),
            "start_at": "beginning"}
    conf.update(settings)
    return pt.Daemon(tmp, **conf)


def counts(d):
    """{ip: count} from popgate-dump -j -a"""
    return {e["ip"]: e["count"] for e in d.dump_json()}


def clean_exit(t, d, what):
    """stop D; exit status 0 and no sanitizer report"""
    rc = d.stop()
    log = d.log()
    t.ok(rc == 0, "%s: popgated exits 0 on TERM" % what, "status %s\n%s" % (rc, log))
    t.ok("Sanitizer" not in log and "runtime error" not in log,
         "%s: no sanitizer report" % what, log)
