"""Shared helpers for the systemd checks (run with /usr/bin/python3, from CTest).

Exit status follows CTest: 0 pass, 1 fail, 77 skipped (SKIP_RETURN_CODE).
"""
import os
import re
import shutil
import subprocess
import sys

SKIP = 77

UNIT = os.environ.get("FEEDD_UNIT", os.path.join(os.path.dirname(__file__), "..", "..", "systemd", "feedd.service"))
FEEDD = os.environ.get("FEEDD_BIN", "")
SHIPPED_CONFIG = os.environ.get("FEEDD_SYSTEMD_CONFIG", "")


def skip(why):
    print("SKIP:", why)
    sys.exit(SKIP)


def fail(why):
    print("FAIL:", why)
    sys.exit(1)


def systemd_analyze():
    """Path of systemd-analyze, or skips the test when it is not installed."""
    path = shutil.which("systemd-analyze")
    if path is None:
        skip("systemd-analyze is not installed")
    return path


def run(argv, **kw):
    """Runs argv, echoes it and its output (CTest shows them on failure), returns the result."""
    print("$", " ".join(argv))
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60, **kw)
    if proc.stdout:
        print(proc.stdout.rstrip("\n"))
    return proc


def parse_unit(text):
    """{section: [(key, value), ...]} per systemd.syntax(7): comments start with # or ;,
    a trailing backslash continues the line, keys may repeat (order kept)."""
    sections = {}
    current = None
    pending = ""
    for raw in text.splitlines():
        line = pending + raw.strip() if pending else raw.strip()
        pending = ""
        if not line or line[0] in "#;":
            continue
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        m = re.fullmatch(r"\[([^\]]+)\]", line)
        if m:
            current = sections.setdefault(m.group(1), [])
            continue
        if current is None or "=" not in line:
            raise ValueError("not a unit file line: %r" % line)
        key, value = line.split("=", 1)
        current.append((key.strip(), value.strip()))
    return sections


def values(sections, section, key):
    """Every value given to section.key, in order (an empty assignment resets, as in systemd)."""
    out = []
    for k, v in sections.get(section, []):
        if k == key:
            out = [] if v == "" else out + [v]
    return out


def with_exec_start(text, binary):
    """The unit text with ExecStart's program replaced by `binary` (arguments kept)."""
    out, n = re.subn(r"(?m)^ExecStart=(\S+)", lambda m: "ExecStart=" + binary, text)
    if n != 1:
        fail("expected exactly one ExecStart= line, found %d" % n)
    return out
