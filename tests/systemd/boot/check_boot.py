"""test-systemd boot: feedd.service under a real systemd (PID 1 of a booted Debian 12 container).

Run by `make test-systemd` (not by CTest: it needs root, systemd-nspawn and a debootstrapped
rootfs). Usage: check_boot.py FEEDD.deb. Installs the .deb in a fresh copy of the cached rootfs,
points /etc/feedd/feeds.yaml at a loopback upstream inside the container (python3 http.server
serving tests/data/parse/rss20.xml; the container has a private network) and checks, in order:

  start     Type=notify: `systemctl start` returns once READY=1 came, the unit is active/running,
            and `systemctl status` shows the daemon's `Status:` line
  sandbox   /proc/<MainPID>/status: CapEff 0, NoNewPrivs 1, Seccomp 2, a non-root uid; `/` is
            mounted read-only for the service and /var/lib/feedd read-write
  serve     /feeds/all.xml (gzip when asked, holds the fixture's item), /metrics
  refresh   `feedd refresh` exits 0
  reload    good YAML: a new category's feed is served, same MainPID; broken YAML: still active,
            same MainPID, the old feeds still served, Status: says the reload failed and why
            (feeds.yaml:LINE), and so does the journal
  watchdog  SIGSTOP of the daemon: systemd kills and restarts it within WatchdogSec+RestartSec
  stop      `systemctl stop`: inactive, exit status 0 (not failed)
  journal   no EPERM (a call refused by SystemCallFilter) anywhere in the unit's journal

Every check prints PASS/FAIL; the exit status is 1 when any failed. FEEDD_BOOT_BREAK names a
check to sabotage (a negative control: the run must then fail), e.g. FEEDD_BOOT_BREAK=sandbox.
"""
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from container import Container, Failure, log  # noqa: E402

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FIXTURE = os.path.join(SOURCE_DIR, "tests", "data", "parse", "rss20.xml")
FIXTURE_TITLE = "Encoded body wins"
UPSTREAM_PORT = 8000
LISTEN = "127.0.0.1:8080"
BREAK = os.environ.get("FEEDD_BOOT_BREAK", "")

CONFIG = """\
output: /var/lib/feedd/output
state: /var/lib/feedd/feedd.db
listen: {listen}
base_url: http://{listen}/
interval: 1h
timezone: UTC
image_proxy: ""
categories:
  - name: Boot test
    slug: boot
    sources:
      - name: Fixture
        slug: fixture
        channels:
          - name: weekly
            url: http://127.0.0.1:{port}/feed.xml
{extra}"""
EXTRA_CATEGORY = """\
  - name: Reloaded
    slug: reloaded
    sources:
      - name: Again
        slug: again
        channels:
          - name: weekly
            url: http://127.0.0.1:{port}/feed.xml?again
""".format(port=UPSTREAM_PORT)
BROKEN = "categories:\n  - name: [unclosed\n"

# Negative controls (FEEDD_BOOT_BREAK): a drop-in that must make its check fail.
BREAK_DROPINS = {
    # A Type=notify daemon that cannot send READY=1 (no NOTIFY_SOCKET) must not come up.
    "start": "ExecStart=\nExecStart=/usr/bin/env -u NOTIFY_SOCKET /usr/bin/feedd run -c "
             "/etc/feedd/feeds.yaml\nTimeoutStartSec=10\n",
    # A capability and a writable / must show in /proc/PID/status and mountinfo.
    "sandbox": "ProtectSystem=no\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\n"
               "AmbientCapabilities=CAP_NET_BIND_SERVICE\nPrivateUsers=no\n",
}
# (reload: the "broken" YAML is a valid one; watchdog: the daemon is not stopped.)

# GET inside the container: prints {"status", "headers", "body"} (body gunzipped when it was).
HTTP_GET = r"""
import gzip, json, sys, urllib.error, urllib.request
req = urllib.request.Request(sys.argv[1], headers={"Accept-Encoding": sys.argv[2]})
try:
    r = urllib.request.urlopen(req, timeout=20)
    status, headers, body = r.status, dict(r.headers), r.read()
except urllib.error.HTTPError as e:
    status, headers, body = e.code, dict(e.headers), e.read()
if headers.get("Content-Encoding") == "gzip":
    body = gzip.decompress(body)
print(json.dumps({"status": status, "headers": headers, "body": body.decode("utf-8", "replace")}))
"""


TIMESPAN_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1, "min": 60, "h": 3600, "d": 86400}


def timespan(text):
    """Seconds in a systemd time span as `systemctl show` prints it: "1min 30s", "5s"."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(us|ms|s|min|h|d)\b", text)
    if not parts:
        raise Failure("not a time span: %r" % text)
    return sum(float(n) * TIMESPAN_UNITS[u] for n, u in parts)


def expect(cond, what):
    if not cond:
        raise Failure(what)


class Checks:
    def __init__(self, c):
        self.c = c
        self.results = []

    def check(self, name, fn):
        log("--- %s" % name)
        start = time.monotonic()
        try:
            fn()
            self.results.append((name, True))
            log("PASS %s (%.1f s)" % (name, time.monotonic() - start))
        except Failure as e:
            self.results.append((name, False))
            log("FAIL %s: %s" % (name, e))
            log(self.c.run(["journalctl", "-u", "feedd", "--no-pager", "-n", "30"],
                           check=False).stdout)

    # Helpers ------------------------------------------------------------------------------

    def show(self, *props):
        out = self.c.run(["systemctl", "show", "feedd.service", "-p", ",".join(props)]).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def get(self, path, encoding="identity"):
        url = "http://%s%s" % (LISTEN, path)
        out = self.c.run(["python3", "-c", HTTP_GET, url, encoding]).stdout
        return json.loads(out)

    def write_config(self, text):
        with open(self.c.path("/etc/feedd/feeds.yaml"), "w") as f:
            f.write(text)

    def wait_for(self, what, fn, timeout):
        deadline = time.monotonic() + timeout
        while True:
            value = fn()
            if value:
                return value
            if time.monotonic() > deadline:
                raise Failure("after %d s: %s" % (timeout, what))
            time.sleep(0.5)

    def journal(self):
        return self.c.run(["journalctl", "-u", "feedd", "--no-pager", "-o", "cat"]).stdout

    # Checks -------------------------------------------------------------------------------

    def install(self):
        self.c.run(["dpkg", "-i", "/root/" + os.path.basename(self.c.deb)], timeout=120)
        os.makedirs(self.c.path("/srv/upstream"), exist_ok=True)
        with open(FIXTURE, "rb") as src, open(self.c.path("/srv/upstream/feed.xml"), "wb") as dst:
            dst.write(src.read())
        # The upstream lives inside the container: --private-network leaves only its loopback.
        self.c.run(["systemd-run", "--unit=upstream", "--property=Type=exec", "python3", "-m",
                    "http.server", str(UPSTREAM_PORT), "--bind", "127.0.0.1", "--directory",
                    "/srv/upstream"])
        self.write_config(CONFIG.format(listen=LISTEN, port=UPSTREAM_PORT, extra=""))
        self.c.run(["feedd", "check", "-c", "/etc/feedd/feeds.yaml"])
        if BREAK in BREAK_DROPINS:
            os.makedirs(self.c.path("/etc/systemd/system/feedd.service.d"), exist_ok=True)
            with open(self.c.path("/etc/systemd/system/feedd.service.d/break.conf"), "w") as f:
                f.write("[Service]\n" + BREAK_DROPINS[BREAK])
            self.c.run(["systemctl", "daemon-reload"])

    def start(self):
        # Type=notify: the start job finishes only when the daemon sent READY=1.
        proc = self.c.run(["systemctl", "start", "feedd.service"], check=False, timeout=120)
        expect(proc.returncode == 0, "systemctl start failed:\n" + proc.stdout)
        # READY=1 is sent once the server listens, so it answers as soon as start returned.
        r = self.get("/metrics")
        expect(r["status"] == 200, "right after start, /metrics: HTTP %d" % r["status"])
        s = self.show("Type", "ActiveState", "SubState", "MainPID")
        expect(s["Type"] == "notify", "Type=%s" % s["Type"])
        expect((s["ActiveState"], s["SubState"]) == ("active", "running"), "state %r" % s)
        # STATUS= after the first cycle: the summary replaces "started, first poll under way".
        status = self.wait_for("a Status: line after the first cycle", lambda: self.status_line(
            lambda text: "first poll" not in text), 60)
        log("  " + status)
        self.pid = int(s["MainPID"])

    def status_line(self, accept=lambda text: True):
        out = self.c.run(["systemctl", "status", "feedd.service", "--no-pager"], check=False).stdout
        m = re.search(r'^\s*Status: "(.*)"$', out, re.M)
        return m.group(0).strip() if m and accept(m.group(1)) else None

    def sandbox(self):
        pid = int(self.show("MainPID")["MainPID"])
        status = self.c.run(["cat", "/proc/%d/status" % pid]).stdout
        fields = dict(re.findall(r"^(\w+):\s*(.*)$", status, re.M))
        log("  CapEff %s NoNewPrivs %s Seccomp %s Uid %s" % tuple(
            fields.get(k) for k in ("CapEff", "NoNewPrivs", "Seccomp", "Uid")))
        expect(int(fields["CapEff"], 16) == 0, "CapEff %s" % fields["CapEff"])
        expect(int(fields["CapBnd"], 16) == 0, "CapBnd %s" % fields["CapBnd"])
        expect(fields["NoNewPrivs"] == "1", "NoNewPrivs %s" % fields["NoNewPrivs"])
        expect(fields["Seccomp"] == "2", "Seccomp %s (2 is filter mode)" % fields["Seccomp"])
        expect(fields["Uid"].split()[0] != "0", "runs as uid 0")
        mounts = {}
        for line in self.c.run(["cat", "/proc/%d/mountinfo" % pid]).stdout.splitlines():
            parts = line.split()
            mounts[parts[4]] = parts[5].split(",")  # mount point -> per-mount options
        expect("ro" in mounts.get("/", []), "/ is %r for the service" % mounts.get("/"))
        writable = [m for m in mounts
                    if m.startswith("/var/lib/private/feedd") or m == "/var/lib/feedd"]
        expect(any("rw" in mounts[m] for m in writable),
               "no read-write mount of the state directory: %r" % {m: mounts[m] for m in writable})
        # And what the service sees: in its mount namespace a write to /etc fails, even as root.
        probe = self.c.run(["nsenter", "-t", str(pid), "-m", "touch", "/etc/feedd-probe"],
                           check=False)
        expect(probe.returncode != 0 and "Read-only file system" in probe.stdout,
               "a write to /etc inside the service's mount namespace: %r" % probe.stdout)

    def serve(self):
        r = self.get("/feeds/all.xml", "gzip")
        expect(r["status"] == 200, "/feeds/all.xml: HTTP %d" % r["status"])
        expect(r["headers"].get("Content-Encoding") == "gzip",
               "/feeds/all.xml with Accept-Encoding: gzip: Content-Encoding %r"
               % r["headers"].get("Content-Encoding"))
        expect(FIXTURE_TITLE in r["body"] and "<feed" in r["body"],
               "/feeds/all.xml lacks the fixture's item %r" % FIXTURE_TITLE)
        m = self.get("/metrics")
        expect(m["status"] == 200, "/metrics: HTTP %d" % m["status"])
        expect(re.search(r"^feedd_\w+", m["body"], re.M), "/metrics has no feedd_ metric")

    def refresh(self):
        proc = self.c.run(["feedd", "refresh", "-c", "/etc/feedd/feeds.yaml"], check=False,
                          timeout=120)
        log("  " + proc.stdout.strip().replace("\n", "\n  "))
        expect(proc.returncode == 0, "feedd refresh exited %d" % proc.returncode)

    def reload(self):
        pid = self.show("MainPID")["MainPID"]
        self.write_config(CONFIG.format(listen=LISTEN, port=UPSTREAM_PORT, extra=EXTRA_CATEGORY))
        self.c.run(["systemctl", "reload", "feedd.service"], timeout=60)
        self.wait_for("/feeds/reloaded.xml served after a good reload",
                      lambda: self.get("/feeds/reloaded.xml")["status"] == 200, 30)
        expect(self.show("MainPID")["MainPID"] == pid, "the good reload restarted the daemon")
        expect(self.status_line(lambda t: t == "reloaded") or self.status_line(),
               "no Status: line after the reload")

        self.write_config(BROKEN if BREAK != "reload" else
                          CONFIG.format(listen=LISTEN, port=UPSTREAM_PORT, extra=""))
        self.c.run(["systemctl", "reload", "feedd.service"], check=False, timeout=60)
        s = self.show("ActiveState", "SubState", "MainPID")
        expect((s["ActiveState"], s["SubState"]) == ("active", "running"),
               "after a broken reload: %r" % s)
        expect(s["MainPID"] == pid, "the broken reload restarted the daemon")
        status = self.status_line()
        log("  " + str(status))
        expect(status and "reload failed" in status, "Status: does not say the reload failed: %r"
               % status)
        expect(re.search(r"/etc/feedd/feeds\.yaml:\d+", status),
               "Status: does not say why (PATH:LINE): %r" % status)
        expect(re.search(r"/etc/feedd/feeds\.yaml:\d+", self.journal()),
               "the journal does not name /etc/feedd/feeds.yaml:LINE")
        expect(self.get("/feeds/reloaded.xml")["status"] == 200,
               "the previous configuration's feed is gone after a failed reload")
        self.write_config(CONFIG.format(listen=LISTEN, port=UPSTREAM_PORT, extra=EXTRA_CATEGORY))

    def watchdog(self):
        s = self.show("MainPID", "WatchdogUSec", "RestartUSec", "NRestarts")
        pid = int(s["MainPID"])
        bound = timespan(s["WatchdogUSec"]) + timespan(s["RestartUSec"])
        if BREAK != "watchdog":
            self.c.run(["kill", "-STOP", str(pid)])
        log("  %s pid %d; WatchdogSec+RestartSec = %.0f s" % (
            "did not stop" if BREAK == "watchdog" else "stopped", pid, bound))
        start = time.monotonic()

        def restarted():
            now = self.show("MainPID", "ActiveState", "SubState", "NRestarts")
            return now if (now["MainPID"] not in ("0", str(pid))
                           and now["SubState"] == "running") else None
        # The margin is for starting the new daemon (READY=1 after the store opens) on a busy host.
        now = self.wait_for("a new MainPID after SIGSTOP", restarted, bound + 30)
        log("  restarted as pid %s after %.0f s (NRestarts %s)" % (
            now["MainPID"], time.monotonic() - start, now["NRestarts"]))
        expect(int(now["NRestarts"]) > int(s["NRestarts"]), "NRestarts did not grow")
        expect("Watchdog timeout" in self.journal(), "the journal has no 'Watchdog timeout'")
        self.get("/metrics")  # the new daemon serves

    def stop(self):
        self.c.run(["systemctl", "stop", "feedd.service"], timeout=60)
        s = self.show("ActiveState", "Result", "ExecMainStatus", "ExecMainCode")
        log("  %r" % s)
        expect(s["ActiveState"] == "inactive", "after stop: %r" % s)
        expect(s["Result"] == "success" and s["ExecMainStatus"] == "0",
               "not a clean stop (exit 0 within TimeoutStopSec): %r" % s)

    def journal_clean(self):
        text = self.journal()
        bad = [line for line in text.splitlines()
               if re.search(r"EPERM|Operation not permitted", line)]
        expect(not bad, "EPERM in the journal:\n" + "\n".join(bad[:10]))


def main():
    if len(sys.argv) != 2:
        print("usage: check_boot.py FEEDD.deb", file=sys.stderr)
        return 2
    start = time.monotonic()
    try:
        with Container(os.path.abspath(sys.argv[1])) as c:
            checks = Checks(c)
            checks.install()
            checks.check("start", checks.start)
            if checks.results[-1][1]:
                for name in ("sandbox", "serve", "refresh", "reload", "watchdog", "stop"):
                    checks.check(name, getattr(checks, name))
            checks.check("journal", checks.journal_clean)
    except Failure as e:
        log("FAIL setup:", e)
        return 1
    failed = [name for name, ok in checks.results if not ok]
    log("test-systemd boot: %d checks, %d failed%s (%.0f s)" % (
        len(checks.results), len(failed), ": " + ", ".join(failed) if failed else "",
        time.monotonic() - start))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
