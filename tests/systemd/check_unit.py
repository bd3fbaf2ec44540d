"""systemd_unit_check: feedd.service says what the daemon relies on, and the config shipped for
/etc/feedd is one the daemon accepts and can live with inside the unit's sandbox.

Without systemd as PID 1 the sandbox itself cannot be run; what is checked is that hardening
did not take away something the daemon needs (see systemd_notify for the protocol side).
"""
import os
import re
import subprocess

import yaml

from unitfile import FEEDD, SHIPPED_CONFIG, UNIT, fail, parse_unit, values

EXEC_START = "/usr/bin/feedd run -c /etc/feedd/feeds.yaml"
REPO_CONFIG = os.path.join(os.environ.get("FEEDD_SOURCE_DIR", ""), "feeds.yaml")

failures = []


def expect(ok, what):
    print("ok  " if ok else "FAIL", what)
    if not ok:
        failures.append(what)


def one(unit, key, section="Service"):
    got = values(unit, section, key)
    return got[-1] if got else None


def check_unit(unit):
    expect(one(unit, "Type") == "notify", "Type=notify (READY=1 when the store is open and the server listens)")
    expect(one(unit, "ExecStart") == EXEC_START, "ExecStart=" + EXEC_START)
    reload = one(unit, "ExecReload") or ""
    expect(reload.split() == ["/bin/kill", "-HUP", "$MAINPID"], "ExecReload sends SIGHUP to the main process")
    expect(one(unit, "WatchdogSec") == "60", "WatchdogSec=60 (the daemon pings at half of it)")
    expect(one(unit, "Restart") == "on-failure", "Restart=on-failure")
    stop = one(unit, "TimeoutStopSec") or "0"
    expect(stop.isdigit() and int(stop) > 5, "TimeoutStopSec leaves room for the daemon's 5 s shutdown grace")
    expect(one(unit, "StateDirectory") == "feedd", "StateDirectory=feedd")
    expect(one(unit, "DynamicUser") == "yes", "DynamicUser=yes")
    expect(one(unit, "ProtectSystem") == "strict", "ProtectSystem=strict")
    families = " ".join(values(unit, "Service", "RestrictAddressFamilies")).split()
    expect(sorted(families) == ["AF_INET", "AF_INET6", "AF_UNIX"],
           "RestrictAddressFamilies is exactly AF_INET AF_INET6 AF_UNIX (HTTP out, listening, sd_notify)")
    for key in ("PrivateNetwork", "IPAddressDeny", "IPAddressAllow"):
        expect(one(unit, key) in (None, "no"), "%s is unset: feeds are fetched from the internet" % key)
    expect(values(unit, "Service", "CapabilityBoundingSet") == [] and
           any(k == "CapabilityBoundingSet" for k, _ in unit.get("Service", [])),
           "CapabilityBoundingSet= is set and empty")
    expect(one(unit, "WantedBy", "Install") == "multi-user.target", "WantedBy=multi-user.target")


def check_config(path):
    expect(os.path.isfile(path), "the shipped config exists: %s" % path)
    if not os.path.isfile(path):
        return
    with open(path, encoding="utf-8") as f:
        shipped = yaml.safe_load(f)
    shipped_paths = {k: str(shipped.get(k, "")) for k in ("output", "state")}
    state_root = "/var/lib/feedd/"
    for key in ("output", "state"):
        value = str(shipped.get(key, ""))
        expect(value.startswith(state_root) and ".." not in value.split("/"),
               "%s: %r lies under %s, the only writable place in the sandbox" % (key, value, state_root))
    if "inbox" in shipped:
        expect(str(shipped["inbox"]).startswith(state_root), "inbox lies under " + state_root)
    port = str(shipped.get("listen", "127.0.0.1:8080")).rsplit(":", 1)[-1]
    expect(port.isdigit() and int(port) >= 1024, "listen port %s needs no CAP_NET_BIND_SERVICE" % port)

    # Apart from the paths it is the repository's feeds.yaml, so the two cannot drift apart.
    with open(REPO_CONFIG, encoding="utf-8") as f:
        repo = yaml.safe_load(f)
    for d in (repo, shipped):
        for key in ("output", "state", "inbox"):
            d.pop(key, None)
    expect(shipped == repo, "everything but output/state/inbox equals the repository's feeds.yaml")

    if not (FEEDD and os.access(FEEDD, os.X_OK)):
        expect(False, "FEEDD_BIN (%r) is an executable" % FEEDD)
        return
    proc = subprocess.run([FEEDD, "check", "-c", path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=60)
    print(proc.stdout.rstrip("\n"))
    expect(proc.returncode == 0, "`feedd check -c %s` exits 0 (got %d)" % (path, proc.returncode))
    expect("xinmeiti" in proc.stdout, "`feedd check` prints the category tree")
    for key in ("output", "state"):
        expect(re.search(r"^%s: +%s$" % (key, re.escape(shipped_paths[key])), proc.stdout, re.M) is not None,
               "`feedd check` resolves %s to %s" % (key, shipped_paths[key]))


def main():
    with open(UNIT, encoding="utf-8") as f:
        unit = parse_unit(f.read())
    check_unit(unit)
    if not SHIPPED_CONFIG:
        fail("FEEDD_SYSTEMD_CONFIG is not set (cmake/install.cmake generates it)")
    check_config(SHIPPED_CONFIG)
    if failures:
        fail("%d check(s) failed" % len(failures))
    print("PASS")


main()
