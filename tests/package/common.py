"""Shared helpers for the documentation, metrics and packaging checks (run by CTest with
/usr/bin/python3). Exit status: 0 pass, 1 fail. Nothing here skips: a missing tool is a
failure that names the Debian package to install (`make test` installs them)."""
import os
import re
import shutil
import subprocess
import sys

SOURCE_DIR = os.environ.get("FEEDD_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
FEEDD = os.environ.get("FEEDD_BIN", "")
MANPAGE = os.path.join(SOURCE_DIR, "doc", "feedd.1")


def fail(why):
    print("FAIL:", why)
    sys.exit(1)


def need_tool(name, package):
    path = shutil.which(name)
    if path is None:
        fail("%s is not installed; apt-get install %s (make test does)" % (name, package))
    return path


def need_feedd():
    if not (FEEDD and os.access(FEEDD, os.X_OK)):
        fail("FEEDD_BIN (%r) is not an executable; build the feedd target first" % FEEDD)
    return FEEDD


def run(argv, check=True, **kw):
    """Runs argv and returns the CompletedProcess (text, stdout and stderr apart). Echoes the
    command, and its output when it fails, since CTest shows only what the test printed."""
    print("$", " ".join(argv))
    kw.setdefault("timeout", 120)
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if check and proc.returncode != 0:
        print(proc.stdout + proc.stderr)
        fail("%s exited %d" % (argv[0], proc.returncode))
    return proc


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def man_sections(text):
    """{section name: [roff lines]} of a man page source; comment lines dropped."""
    sections = {}
    current = None
    for line in text.splitlines():
        if line.startswith('.\\"'):
            continue
        m = re.match(r'\.SH\s+"?([^"]+)"?\s*$', line)
        if m:
            current = m.group(1).strip()
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    return sections


def man_tags(lines):
    """The tag line of every .TP paragraph in `lines`, with font escapes and macro names
    removed: '.BR \\-c ", " \\-\\-config " \\fIFILE\\fR"' -> '-c, --config FILE'."""
    tags = []
    for i, line in enumerate(lines):
        if line.strip() == ".TP" and i + 1 < len(lines):
            tags.append(plain(lines[i + 1]))
    return tags


def plain(roff_line):
    """Text of one roff line, roughly: macro name, quotes and font escapes dropped."""
    s = re.sub(r"^\.[A-Z]{1,2}\s+", "", roff_line)
    s = re.sub(r"\\f[BIRP]", "", s)
    s = s.replace("\\-", "-").replace("\\&", "").replace("\\c", "")
    return s.replace('"', "")
