"""package_manpage_help: `feedd --help` and feedd(1) document the same commands and options,
in both directions, every signal --help names is a SIGNALS entry of the page, and the page's
.TH names the version `feedd --version` prints.

Commands: the first word of each line under "Commands:" in --help; the tag of each .TP entry
under COMMANDS in the page. Options: every -x / --long-name on an option line of --help; every
one in the tags under OPTIONS.
"""
import re

from common import MANPAGE, fail, man_sections, man_tags, need_feedd, read, run


def help_text(feedd):
    proc = run([feedd, "--help"])
    if proc.stderr:
        fail("--help wrote to stderr: %r" % proc.stderr)
    return proc.stdout


def parse_help(text):
    commands, options = set(), set()
    block = None
    for line in text.splitlines():
        if re.match(r"^Commands:\s*$", line):
            block = "commands"
            continue
        if re.match(r"^\S", line):
            block = None
        if block == "commands":
            # Exactly two spaces: deeper lines continue a description.
            m = re.match(r"^ {2}([a-z][a-z-]*)(?=\s|$)", line)
            if m:
                commands.add(m.group(1))
        # boost::program_options: "  -c [ --config ] FILE   text", "  --log-level LEVEL   text"
        m = re.match(r"^\s+(-[-\w\[\] ]+?)(?:\s{2,}|$)", line)
        if m and block is None:
            options |= set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", m.group(1)))
    return commands, options


def parse_page(text):
    sections = man_sections(text)
    for name in ("COMMANDS", "OPTIONS"):
        if name not in sections:
            fail("doc/feedd.1 has no .SH %s" % name)
    commands = {t.split()[0] for t in man_tags(sections["COMMANDS"]) if t.split()}
    options = set()
    for tag in man_tags(sections["OPTIONS"]):
        options |= set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", tag))
    th = re.search(r'^\.TH\s+\S+\s+1\s+\S+\s+"feedd ([^"]+)"', text, re.M)
    return commands, options, th.group(1) if th else None


def main():
    feedd = need_feedd()
    text = help_text(feedd)
    h_commands, h_options = parse_help(text)
    m_commands, m_options, m_version = parse_page(read(MANPAGE))
    # Guards against a parser that finds nothing and so compares two empty sets.
    if len(h_commands) < 4 or len(h_options) < 6:
        fail("could not read --help: commands %s, options %s" % (sorted(h_commands), sorted(h_options)))
    if len(m_commands) < 4 or len(m_options) < 6:
        fail("could not read doc/feedd.1: commands %s, options %s" % (sorted(m_commands), sorted(m_options)))
    print("--help:     commands %s\n            options  %s" % (sorted(h_commands), sorted(h_options)))
    print("doc/feedd.1 commands %s\n            options  %s" % (sorted(m_commands), sorted(m_options)))

    problems = []
    problems += ["command %r is in feedd(1) but not in --help" % c for c in sorted(m_commands - h_commands)]
    problems += ["command %r is in --help but not in feedd(1)" % c for c in sorted(h_commands - m_commands)]
    problems += ["option %s is in feedd(1) but not in --help" % o for o in sorted(m_options - h_options)]
    problems += ["option %s is in --help but not in feedd(1)" % o for o in sorted(h_options - m_options)]

    m_signals = set(re.findall(r"\bSIG[A-Z0-9]+\b", " ".join(man_tags(man_sections(read(MANPAGE)).get("SIGNALS", [])))))
    problems += ["signal %s is in --help but not under SIGNALS in feedd(1)" % s
                 for s in sorted(set(re.findall(r"\bSIG[A-Z0-9]+\b", text)) - m_signals)]

    version = run([feedd, "--version"]).stdout.strip()
    if version != "feedd %s" % m_version:
        problems.append("feedd --version prints %r; the page's .TH says \"feedd %s\"" % (version, m_version))
    if problems:
        fail("\n  ".join(["--help and feedd(1) disagree:"] + problems))
    print("PASS")


main()
