#!/usr/bin/python3
"""usage.t - -h/--help and -V/--version of popgated and popgate-dump: the
usage lines are the SYNOPSIS of the man page (rendered by mandoc), -h and
--help print them on standard output and exit 0, a usage error prints
them on standard error and exits 1, -V and --version print the same
version."""

import os
import re
import subprocess

import popgate_test as pt  # noqa: E402

tap = pt.Tap()
TOP = os.environ.get("POPGATE_TOP", ".")


def synopsis(page):
    """the SYNOPSIS of PAGE as lines, continuation lines joined"""
    text = subprocess.run(["mandoc", "-Tascii", "-Owidth=200", page],
                          capture_output=True, timeout=60).stdout.decode()
    text = re.sub(r".\x08", "", text)
    body = text.split("SYNOPSIS\n", 1)[1].split("\nDESCRIPTION", 1)[0]
    return [" ".join(x.split()) for x in body.strip().splitlines() if x.strip()]


def run(prog, *args):
    return subprocess.run([prog] + list(args), capture_output=True, text=True,
                          timeout=60)


for prog, page, bad in ((pt.POPGATED, "src/master/popgated.8", "-x"),
                        (pt.POPGATE_DUMP, "src/dump/popgate-dump.8", "-x")):
    name = os.path.basename(page)[:-2]
    want = synopsis(os.path.join(TOP, page))
    for flag in ("-h", "--help"):
        r = run(prog, flag)
        lines = [" ".join(x.split()) for x in r.stdout.splitlines()]
        got = [x[len("usage: "):] if x.startswith("usage: ") else x
               for x in lines[:len(want)]]
        tap.ok(r.returncode == 0 and got == want,
               "%s %s: the man page's SYNOPSIS (%d lines), exit 0" % (name, flag, len(want)),
               "want %s\ngot %s" % (want, got))
    r = run(prog, bad)
    tap.ok(r.returncode == 1 and r.stdout == "" and
           r.stderr.splitlines()[-len(want):][0].startswith("usage: " + name),
           "%s %s: usage on standard error, exit 1" % (name, bad), r.stderr)
    versions = {run(prog, flag).stdout for flag in ("-V", "--version")}
    tap.ok(len(versions) == 1 and re.match(r"^%s \d+\.\d+\.\d+\n$" % name, versions.pop()),
           "%s -V and --version print the version" % name)
tap.finish()
