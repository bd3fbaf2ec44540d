#!/usr/bin/python3
"""Checks Atom files the way a feed reader would see them.

Usage: check_atom.py [--entries N] FILE...

Each FILE is parsed twice: with feedparser (the library most Python feed readers use), which
must report no problem at all (bozo == 0) and recognise Atom 1.0; and with the standard
library's XML parser, as an independent count of <entry> elements. The two must agree, and
every entry needs a unique id, a title and an updated date. --entries N additionally requires
exactly N entries in every file. Prints one line per file; exits 1 if any check failed,
2 on bad usage.
"""
import argparse
import sys
import xml.etree.ElementTree as ET

try:
    import feedparser
except ImportError:  # the caller (tests/emit) turns this exit code into a skip
    print("check_atom: python3-feedparser is not installed", file=sys.stderr)
    sys.exit(77)

ATOM = "{http://www.w3.org/2005/Atom}"


def check(path, want_entries):
    problems = []
    parsed = feedparser.parse(path)
    if parsed.bozo:
        problems.append("feedparser: %r" % (parsed.get("bozo_exception"),))
    if parsed.get("version") != "atom10":
        problems.append("feedparser sees version %r, not atom10" % (parsed.get("version"),))

    try:
        root = ET.parse(path).getroot()
        if root.tag != ATOM + "feed":
            problems.append("root element is %s, not atom:feed" % root.tag)
        raw_count = len(root.findall(ATOM + "entry"))
    except (ET.ParseError, OSError) as e:
        problems.append("cannot parse: %s" % e)
        raw_count = -1

    entries = parsed.entries
    if raw_count >= 0 and len(entries) != raw_count:
        problems.append("feedparser found %d entries, the XML has %d" % (len(entries), raw_count))
    if raw_count >= 0 and want_entries is not None and raw_count != want_entries:
        problems.append("%d entries, expected %d" % (raw_count, want_entries))

    seen = set()
    for i, entry in enumerate(entries):
        entry_id = entry.get("id")
        if not entry_id:
            problems.append("entry %d has no id" % i)
        elif entry_id in seen:
            problems.append("entry %d repeats id %s" % (i, entry_id))
        seen.add(entry_id)
        if not entry.get("title"):
            problems.append("entry %d (%s) has no title" % (i, entry_id))
        if not entry.get("updated_parsed"):
            problems.append("entry %d (%s) has no parseable updated date" % (i, entry_id))

    for p in problems:
        print("%s: FAIL: %s" % (path, p))
    if not problems:
        print("%s: ok: atom10, well-formed, %d entries, ids unique, titles and dates present"
              % (path, raw_count))
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, help="exact number of entries each file must have")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    failed = False
    for path in args.files:
        if check(path, args.entries):
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
