"""package_manpage: doc/feedd.1 renders without a single groff or man warning, and documents
what the sources define, read from the sources themselves so that a new one fails here:
  every signal daemon/app/daemon.cpp handles or ignores        -> SIGNALS
  every exit status in daemon/app/commands.hpp (kExit*)        -> EXIT STATUS
  every endpoint listed in daemon/app/http_api.hpp             -> HTTP ENDPOINTS
  every environment variable the daemon reads, and the two
  libsystemd's sd_notify reads for it                          -> ENVIRONMENT
  every top-level key of feeds.yaml, the unit's config path    -> FILES
"""
import os
import re

from common import MANPAGE, SOURCE_DIR, fail, man_sections, man_tags, need_tool, plain, read, run


def render_cleanly():
    groff = need_tool("groff", "groff-base")
    # -ww: every warning; -z: no output, only the diagnostics.
    proc = run([groff, "-man", "-Tutf8", "-ww", "-z", MANPAGE], check=False)
    if proc.returncode != 0 or proc.stderr.strip():
        fail("groff warns about doc/feedd.1:\n" + proc.stderr)
    man = need_tool("man", "man-db")
    env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80", MAN_DISABLE_SECCOMP="1")
    proc = run([man, "--warnings", "-l", MANPAGE], check=False, env=env)
    if proc.returncode != 0 or proc.stderr.strip():
        fail("man -l warns about doc/feedd.1:\n" + proc.stderr)
    if "feedd" not in proc.stdout or "EXIT STATUS" not in proc.stdout:
        fail("man -l rendered something unexpected:\n" + proc.stdout[:500])
    return proc.stdout


def section_text(sections, name):
    if name not in sections:
        fail("doc/feedd.1 has no .SH %s" % name)
    return "\n".join(plain(l) for l in sections[name])


def main():
    rendered = render_cleanly()
    page = read(MANPAGE)
    sections = man_sections(page)
    for name in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS", "SIGNALS",
                 "HTTP ENDPOINTS", "FILES", "ENVIRONMENT", "EXIT STATUS", "SEE ALSO"):
        section_text(sections, name)
    problems = []

    # The daemon's signals are mapped to actions in daemon/app/signals.cpp; daemon.cpp acts.
    daemon = "\n".join(read(os.path.join(SOURCE_DIR, "daemon/app", f))
                       for f in ("signals.cpp", "daemon.cpp"))
    signals = set(re.findall(r"\bSIG[A-Z0-9]+\b", daemon)) - {"SIG_IGN", "SIG_DFL"}
    if not {"SIGHUP", "SIGUSR1", "SIGTERM", "SIGINT", "SIGPIPE"} <= signals:
        fail("daemon/app/signals.cpp no longer names the signals this test expects: %s" % sorted(signals))
    documented = set(re.findall(r"\bSIG[A-Z0-9]+\b", " ".join(man_tags(sections["SIGNALS"]))))
    problems += ["signal %s is not a SIGNALS entry" % s for s in sorted(signals - documented)]

    commands = read(os.path.join(SOURCE_DIR, "daemon/app/commands.hpp"))
    codes = set(re.findall(r"kExit\w+\s*=\s*(\d+)", commands))
    if not codes:
        fail("no kExit* constants in daemon/app/commands.hpp")
    documented = set(t.strip() for t in man_tags(sections["EXIT STATUS"]))
    problems += ["exit status %s is not an EXIT STATUS entry" % c for c in sorted(codes - documented)]

    api = read(os.path.join(SOURCE_DIR, "daemon/app/http_api.hpp"))
    endpoints = re.findall(r"^//\s+(?:GET|HEAD|POST|\|)+\s+(/[^\s\[,]*)", api, re.M)
    if len(endpoints) < 5:
        fail("could not read the endpoint list of daemon/app/http_api.hpp: %r" % endpoints)
    tags = " ".join(man_tags(sections["HTTP ENDPOINTS"]))
    for e in endpoints:
        stem = re.sub(r"(N|….xml)$", "", e)  # "/refresh/N" -> "/refresh/"
        if stem not in tags:
            problems.append("endpoint %s is not an HTTP ENDPOINTS entry" % e)

    env_vars = set(re.findall(r'getenv\("([A-Z_]+)"\)', read(os.path.join(SOURCE_DIR, "daemon/main.cpp"))))
    for root, _, files in os.walk(os.path.join(SOURCE_DIR, "daemon")):
        for f in files:
            if f.endswith((".cpp", ".hpp")):
                env_vars |= set(re.findall(r'getenv\("([A-Z_]+)"\)', read(os.path.join(root, f))))
    env_vars |= {"NOTIFY_SOCKET", "WATCHDOG_USEC"}  # read by sd_notify(3) / sd_watchdog_enabled(3)
    documented = set(man_tags(sections["ENVIRONMENT"]))
    problems += ["environment variable %s is not an ENVIRONMENT entry" % v
                 for v in sorted(env_vars - documented)]

    files = section_text(sections, "FILES")
    keys = set(re.findall(r"^(?:# )?([a-z_]+):", read(os.path.join(SOURCE_DIR, "feeds.yaml")), re.M))
    keys.discard("categories")
    if len(keys) < 8:
        fail("could not read the keys of feeds.yaml: %r" % keys)
    problems += ["feeds.yaml key %s is not mentioned under FILES" % k
                 for k in sorted(keys) if not re.search(r"\b%s\b" % k, files)]
    unit = read(os.path.join(SOURCE_DIR, "systemd/feedd.service"))
    m = re.search(r"^ExecStart=\S+.*-c\s+(\S+)", unit, re.M)
    if not m or m.group(1) not in files:
        problems.append("the unit's config file (%s) is not under FILES" % (m and m.group(1)))

    if "feedd " + version() not in rendered:
        problems.append(".TH does not name the project version %s" % version())
    if problems:
        fail("doc/feedd.1 is out of date:\n  " + "\n  ".join(problems))
    print("PASS: %d signals, %d exit statuses, %d endpoints, %d variables, %d config keys documented"
          % (len(signals), len(codes), len(endpoints), len(env_vars), len(keys)))


def version():
    cmake = read(os.path.join(SOURCE_DIR, "CMakeLists.txt"))
    m = re.search(r"project\(feedd\s+VERSION\s+([0-9.]+)", cmake)
    if not m:
        fail("no project(feedd VERSION ...) in CMakeLists.txt")
    return m.group(1)


main()
