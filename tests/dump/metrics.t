#!/usr/bin/python3
"""metrics.t - popgate-dump -s -j and -s -P against a real popgated's
database: the JSON object's fields, and the Prometheus text checked by a
strict parser that applies the exposition format's and node_exporter's
textfile collector's rules (promtool is not packaged small enough to
install): valid names and escapes, one TYPE/HELP per family before its
samples, a family's samples together, no duplicate series, no
timestamps, counters non-negative. Every counter -s -j shows is exported
with the same value; per-format matches, entries, map use and the last
commit / last login times are there; a log file name with a quote and a
backslash is escaped."""

import json
import math
import os
import re

import popgate_test as pt  # noqa: E402

tap = pt.Tap()
NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*$")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def parse_labels(text, where):
    """'a="x",b="y"' -> ((a, x), (b, y)); raises ValueError"""
    labels, i = [], 0
    while i < len(text):
        m = re.match(r"([^=]+)=\"", text[i:])
        if not m or not LABEL.match(m.group(1)) or m.group(1).startswith("__"):
            raise ValueError("%s: bad label name at %r" % (where, text[i:]))
        i += m.end()
        value = ""
        while True:
            if i >= len(text):
                raise ValueError("%s: unterminated label value" % where)
            c = text[i]
            if c == "\\":
                nxt = text[i + 1:i + 2]
                if nxt not in ("\\", "\"", "n"):
                    raise ValueError("%s: bad escape \\%s" % (where, nxt))
                value += {"n": "\n"}.get(nxt, nxt)
                i += 2
            elif c == "\"":
                i += 1
                break
            elif c == "\n":
                raise ValueError("%s: raw newline in a label value" % where)
            else:
                value += c
                i += 1
        labels.append((m.group(1), value))
        if i < len(text):
            if text[i] != ",":
                raise ValueError("%s: expected ',' at %r" % (where, text[i:]))
            i += 1
    names = [k for k, _ in labels]
    if len(names) != len(set(names)):
        raise ValueError("%s: repeated label" % where)
    return tuple(sorted(labels))


def parse_prometheus(text):
    """{(name, labels): value}, {family: type}; raises ValueError"""
    if not text.endswith("\n"):
        raise ValueError("no newline at the end")
    types, helps, samples, done, current = {}, {}, {}, set(), None
    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = "line %d" % n
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not NAME.match(name):
                    raise ValueError("%s: bad family name %r" % (where, name))
                seen = helps if parts[1] == "HELP" else types
                if name in seen:
                    raise ValueError("%s: second %s for %s" % (where, parts[1], name))
                if name in done or any(k[0] == name for k in samples):
                    raise ValueError("%s: %s after samples of %s" % (where, parts[1], name))
                if parts[1] == "TYPE":
                    if len(parts) != 4 or parts[3] not in TYPES:
                        raise ValueError("%s: bad type %r" % (where, line))
                    types[name] = parts[3]
                else:
                    helps[name] = parts[3] if len(parts) == 4 else ""
            continue
        if line.strip() == "":
            raise ValueError("%s: empty line" % where)
        m = re.match(r"([^{\s]+)(?:\{(.*)\})? (\S+)$", line)
        if not m:
            raise ValueError("%s: not 'name{labels} value' (or has a timestamp): %r"
                             % (where, line))
        name, labels = m.group(1), parse_labels(m.group(2) or "", where)
        if not NAME.match(name):
            raise ValueError("%s: bad metric name %r" % (where, name))
        value = float(m.group(3))      # Go's ParseFloat accepts the same set
        if name != current:
            if name in done:
                raise ValueError("%s: samples of %s are not together" % (where, name))
            if current:
                done.add(current)
            current = name
        if (name, labels) in samples:
            raise ValueError("%s: duplicate series %s%s" % (where, name, labels))
        if types.get(name) == "counter" and (value < 0 or math.isnan(value)):
            raise ValueError("%s: counter %s is %s" % (where, name, value))
        samples[(name, labels)] = value
    return samples, types


# the parser itself refuses what the collector refuses
for bad in ("a 1\na 2\n", "a 1 1700000000\n", "# TYPE a counter\n# TYPE a counter\na 1\n",
            "a 1\nb 1\na{x=\"1\"} 2\n", "a{x=\"\\q\"} 1\n", "a{__x=\"1\"} 1\n", "1a 1\n",
            "a 1", "# TYPE a counter\na -1\n", "a 1\n# TYPE a gauge\n"):
    try:
        parse_prometheus(bad)
        tap.ok(False, "strict parser refuses %r" % bad)
    except ValueError:
        tap.ok(True, "strict parser refuses %r" % bad)

d = pt.Daemon(pt.temp_dir("popgate-metrics-"), journal="no", shared_address_users="3")
odd = os.path.join(d.dir, 'mail"odd\\name.log')
d.settings["log_files"] = "%s, %s" % (d.log_file, odd)
d.write_config()
pt.append(d.log_file, "")
pt.append(odd, "")
d.start()
pt.append(d.log_file, "".join(pt.login_line("192.0.2.%d" % i, user="u%d" % i, pid=i)
                              for i in range(1, 6)))
pt.append(d.log_file, "".join(pt.login_line("192.0.2.50", user="s%d" % i, pid=60 + i)
                              for i in range(4)))
pt.append(odd, "%s mx courierpop3login: LOGIN, user=carol, ip=[::ffff:192.0.2.60], "
          "port=[4711], protocol=POP3\n" % pt.syslog_stamp())
ok, t = pt.wait_until(lambda: len(d.dump_json()) == 7, 30, 0.05)
tap.ok(ok, "10 logins recorded at 7 addresses (%.3fs)" % t, d.dump_json())


def stats():
    return json.loads(d.dump("-s", "-j").stdout)


ok, _ = pt.wait_until(lambda: stats()["counters"].get("logins_recorded") == 10 and
                      stats()["counters"].get("matched_courier") == 1, 30, 0.05)
js = stats()
tap.ok(ok and js["entries"] == 7 and js["shared"] == 1 and js["map_used"] > 0 and
       js["last_commit"] > 0 and js["last_login"] > 0 and
       {p["file"] for p in js["positions"]} == {d.log_file, odd},
       "-s -j: entries, shared, map use, last commit and login, positions", js)
r = d.dump("-s", "-P")
tap.ok(r.returncode == 0, "-s -P exits 0", r.stderr)
try:
    samples, types = parse_prometheus(r.stdout)
    tap.ok(True, "-s -P parses under the textfile collector's rules (%d series)"
           % len(samples))
except ValueError as e:
    samples, types = {}, {}
    tap.ok(False, "-s -P parses under the textfile collector's rules", "%s\n%s" % (e, r.stdout))
tap.note(r.stdout)


def value(name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


missing = [name for name, v in js["counters"].items() if not name.startswith("matched_")
           and value("popgate_%s_total" % name) != v]
tap.ok(not missing, "every counter of -s -j is exported with its value", missing)
tap.ok(value("popgate_matched_lines_total", format="dovecot") == 9 and
       value("popgate_matched_lines_total", format="courier") == 1,
       "per-format matches (dovecot 9, courier 1)")
tap.ok(value("popgate_entries") == 7 and value("popgate_shared_entries") == 1 and
       value("popgate_map_used_bytes") == js["map_used"] and
       value("popgate_map_size_bytes") == js["map_size"],
       "entries, shared entries, map size and use")
tap.ok(value("popgate_last_commit_timestamp_seconds") == js["last_commit"] and
       value("popgate_last_login_timestamp_seconds") == js["last_login"] and
       types.get("popgate_last_login_timestamp_seconds") == "gauge",
       "last commit and last login recorded times")
tap.ok(value("popgate_log_position_bytes", file=odd) is not None and
       value("popgate_log_position_bytes", file=d.log_file) > 0,
       "log positions, the odd file name escaped and read back intact")
tap.ok(d.stop() == 0, "popgated exits 0")
for args in (["-P"], ["-s", "-P", "-j"], ["-s", "-u", "x"]):
    r = d.dump(*args)
    tap.ok(r.returncode == 1 and "usage: popgate-dump" in r.stderr,
           "usage error: %s" % " ".join(args), r.stderr)
tap.finish()
