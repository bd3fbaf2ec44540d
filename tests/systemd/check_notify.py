"""systemd_notify: the daemon, started the way feedd.service starts it, speaks the Type=notify
protocol the unit relies on, to a fake service manager (a datagram socket at NOTIFY_SOCKET).

The environment is the unit's as far as it can be had without systemd as PID 1: the ExecStart
arguments (with -c pointing at a temporary config), working directory /, UMask=0027,
LimitNOFILE=1024, JOURNAL_STREAM and WATCHDOG_USEC set. Checked:
  READY=1 only once the HTTP server answers; STATUS= after the first cycle; WATCHDOG=1 at about
  half of WATCHDOG_USEC; SIGHUP (ExecReload) gives RELOADING=1 with a current MONOTONIC_USEC,
  then READY=1; SIGTERM gives STOPPING=1 and exit 0 within 5 s; stderr lines carry <N> prefixes.
Upstream is a file:// feed; nothing leaves the machine.
"""
import os
import re
import resource
import shlex
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

from unitfile import FEEDD, UNIT, fail, parse_unit, values

WATCHDOG_USEC = 1_000_000

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>notify fixture</title><link>https://example.test/</link>
<item><title>一条测试消息</title><link>https://example.test/1</link><guid>t-1</guid>
<pubDate>Fri, 21 May 2021 14:00:00 GMT</pubDate><description>&lt;p&gt;正文&lt;/p&gt;</description></item>
</channel></rss>
"""


# free_port() hands over a port that nothing holds until feedd binds it; under `ctest -j` another
# test can take it first. feedd then exits before READY=1, and is started again on another port.
PORT_ATTEMPTS = 5


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Manager:
    """The service manager's end of NOTIFY_SOCKET: every datagram, in order of arrival."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.messages = []  # [(monotonic arrival, {key: value})]

    def poll(self, seconds):
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                return
            fields = dict(l.split("=", 1) for l in data.decode("utf-8", "replace").split("\n") if "=" in l)
            if fields != {"WATCHDOG": "1"}:  # pings are counted, not echoed
                print("notify:", fields)
            self.messages.append((time.monotonic(), fields))

    def wait_for(self, proc, pred, seconds, what, after=None):
        """Index of the first message matching pred that arrived after message `after` (default:
        from now on); fails after `seconds`."""
        start = len(self.messages) if after is None else after + 1
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for i in range(start, len(self.messages)):
                if pred(self.messages[i][1]):
                    return i
            if proc.poll() is not None:
                fail("feedd exited with %d while waiting for %s" % (proc.returncode, what))
            self.poll(0.2)
        fail("no %s within %d s" % (what, seconds))


def ready_or_exit(proc, manager, seconds):
    """Index of the first READY=1, or None when feedd exited before sending it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for i, (_, m) in enumerate(manager.messages):
            if m.get("READY") == "1":
                return i
        if proc.poll() is not None:
            manager.poll(0.05)  # what it sent before exiting is still queued on the socket
            return next((i for i, (_, m) in enumerate(manager.messages) if m.get("READY") == "1"), None)
        manager.poll(0.2)
    fail("no READY=1 within %d s" % seconds)


def limits():
    os.umask(0o027)
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))


def main():
    if not (FEEDD and os.access(FEEDD, os.X_OK)):
        fail("FEEDD_BIN (%r) is not an executable" % FEEDD)
    with open(UNIT, encoding="utf-8") as f:
        unit = parse_unit(f.read())
    argv = shlex.split(values(unit, "Service", "ExecStart")[-1])
    if "-c" not in argv[:-1]:
        fail("ExecStart has no -c CONFIG: %r" % argv)

    with tempfile.TemporaryDirectory(prefix="feedd-notify-") as d:
        state = os.path.join(d, "state")
        os.makedirs(state, mode=0o750)
        upstream = os.path.join(d, "upstream.xml")
        with open(upstream, "w", encoding="utf-8") as f:
            f.write(RSS)
        config = os.path.join(d, "feeds.yaml")
        argv[0] = FEEDD
        argv[argv.index("-c") + 1] = config

        manager = Manager(os.path.join(d, "notify"))
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
               "NOTIFY_SOCKET": os.path.join(d, "notify"), "WATCHDOG_USEC": str(WATCHDOG_USEC),
               "JOURNAL_STREAM": "8:12345", "INVOCATION_ID": "0" * 32, "STATE_DIRECTORY": state}
        stderr_path = os.path.join(d, "stderr")
        for attempt in range(1, PORT_ATTEMPTS + 1):
            port = free_port()
            with open(config, "w", encoding="utf-8") as f:
                f.write("output: %s/output\nstate: %s/feedd.db\nlisten: 127.0.0.1:%d\n"
                        "base_url: http://127.0.0.1:%d/\ninterval: 30m\ncategories:\n"
                        "  - {name: 测试, slug: test, sources: [{name: Src, slug: src, channels:\n"
                        "      [{name: chan, url: 'file://%s'}]}]}\n" % (state, state, port, port, upstream))
            with open(stderr_path, "w") as err:
                print("$", " ".join(argv))
                proc = subprocess.Popen(argv, env=env, cwd="/", stdin=subprocess.DEVNULL, stdout=err,
                                        stderr=err, preexec_fn=limits)
            ready = ready_or_exit(proc, manager, 30)
            if ready is not None or attempt == PORT_ATTEMPTS:
                break
            with open(stderr_path, encoding="utf-8", errors="replace") as f:
                if "Address already in use" not in f.read():
                    break
            print("port %d was taken; starting again on another" % port)
        try:
            if ready is None:
                fail("feedd exited with %d before READY=1" % proc.returncode)
            run(proc, manager, port, ready)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            with open(stderr_path, encoding="utf-8", errors="replace") as f:
                log = f.read()
            print("--- feedd stderr\n" + log)
        bad = [l for l in log.splitlines() if l and not re.match(r"<[0-7]>", l)]
        if not log.strip() or bad:
            fail("stderr lines without a <N> priority prefix under JOURNAL_STREAM: %r" % bad[:3])
    print("PASS")


def run(proc, manager, port, ready):
    # READY=1 promises a listening server: a request right now must be answered.
    with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=5) as r:
        if r.status != 200:
            fail("/healthz answered %d right after READY=1" % r.status)
    first_status = manager.messages[ready][1].get("STATUS")
    manager.wait_for(proc, lambda m: "STATUS" in m and m["STATUS"] != first_status, 30,
                     "STATUS= after the first cycle", after=ready)

    manager.poll(3 * WATCHDOG_USEC / 1e6)
    pings = [t for t, m in manager.messages if m.get("WATCHDOG") == "1"]
    if len(pings) < 4:
        fail("%d WATCHDOG=1 in the run so far; expected one about every %.1f s" % (len(pings), WATCHDOG_USEC / 2e6))
    gaps = [b - a for a, b in zip(pings, pings[1:])]
    if max(gaps[-4:]) > WATCHDOG_USEC / 1e6:
        fail("WATCHDOG=1 gaps %r reach WATCHDOG_USEC: the manager would kill the service" % gaps)

    before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    proc.send_signal(signal.SIGHUP)  # what ExecReload does
    i = manager.wait_for(proc, lambda m: m.get("RELOADING") == "1", 10, "RELOADING=1 after SIGHUP")
    after = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    usec = manager.messages[i][1].get("MONOTONIC_USEC", "")
    if not usec.isdigit() or not before <= int(usec) <= after:
        fail("RELOADING=1 came with MONOTONIC_USEC=%r, not a CLOCK_MONOTONIC time in [%d, %d]" % (usec, before, after))
    manager.wait_for(proc, lambda m: m.get("READY") == "1", 10, "READY=1 after the reload", after=i)

    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        status = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        fail("feedd did not exit within 10 s of SIGTERM")
    took = time.monotonic() - start
    manager.poll(0.1)
    if not any(m.get("STOPPING") == "1" for _, m in manager.messages):
        fail("no STOPPING=1 before exit")
    if status != 0 or took > 5.5:
        fail("SIGTERM: exit %d after %.1f s; the unit expects 0 within 5 s" % (status, took))
    print("SIGTERM: exit 0 after %.2f s" % took)


main()
