"""package_metrics_promtool: what `feedd run` serves at /metrics passes Prometheus' own linter,
`promtool check metrics` (Debian package prometheus; `make test` installs it).

The daemon runs on a free loopback port against a file:// feed, and /metrics is read after
the first cycle, so that the labelled series (fetch outcomes, channels) are there to be
checked too. The serve stage's golden metrics file (label values with quotes, backslashes and
newlines) goes through promtool as well.
"""
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

from common import SOURCE_DIR, fail, need_feedd, need_tool, read

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>metrics fixture</title><link>https://example.test/</link>
<item><title>指标测试一</title><link>https://example.test/1</link><guid>m-1</guid>
<pubDate>Fri, 21 May 2021 14:00:00 GMT</pubDate><description>&lt;p&gt;one&lt;/p&gt;</description></item>
<item><title>指标测试二</title><link>https://example.test/2</link><guid>m-2</guid>
<pubDate>Fri, 21 May 2021 15:00:00 GMT</pubDate><description>&lt;p&gt;two&lt;/p&gt;</description></item>
</channel></rss>
"""


# free_port() hands over a port that nothing holds until feedd binds it; under `ctest -j` another
# test can take it first. feedd then exits at once, and is started again on another port.
PORT_ATTEMPTS = 5


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening_or_exit(proc, log_path):
    """True once feedd logs that it listens; False when it exited before that."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if " listening on " in read(log_path):
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.05)
    fail("feedd run did not listen within 30 s:\n" + read(log_path))


def get(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read().decode("utf-8")


def promtool_check(promtool, text, what):
    print("$ promtool check metrics < %s" % what)
    proc = subprocess.run([promtool, "check", "metrics"], input=text, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=60)
    if proc.returncode != 0:
        fail("promtool check metrics rejects %s (exit %d):\n%s\n--- input\n%s"
             % (what, proc.returncode, proc.stdout, text))
    print(proc.stdout.strip() or "ok")


def scrape_after_first_cycle(proc, base):
    deadline = time.monotonic() + 30
    last = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            fail("feedd run exited with %d" % proc.returncode)
        try:
            status, ctype, body = get(base + "/metrics")
        except OSError:
            time.sleep(0.1)
            continue
        last = body
        if status != 200:
            fail("/metrics answered %d" % status)
        if re.search(r'^feedd_fetches_total\{outcome="[^"]+"\} [1-9]', body, re.M) and \
                re.search(r"^feedd_articles_stored [1-9]", body, re.M):
            return ctype, body
        time.sleep(0.2)
    fail("no fetch counted in /metrics within 30 s:\n" + last)


def main():
    feedd = need_feedd()
    promtool = need_tool("promtool", "prometheus")
    promtool_check(promtool, read(os.path.join(SOURCE_DIR, "tests/data/serve/metrics.prom")),
                   "tests/data/serve/metrics.prom")

    with tempfile.TemporaryDirectory(prefix="feedd-metrics-") as d:
        upstream = os.path.join(d, "upstream.xml")
        with open(upstream, "w", encoding="utf-8") as f:
            f.write(RSS)
        config = os.path.join(d, "feeds.yaml")
        log_path = os.path.join(d, "feedd.log")
        for attempt in range(1, PORT_ATTEMPTS + 1):
            port = free_port()
            with open(config, "w", encoding="utf-8") as f:
                f.write("output: out\nstate: out/feedd.db\nlisten: 127.0.0.1:%d\n"
                        "base_url: http://127.0.0.1:%d/\ninterval: 30m\ncategories:\n"
                        "  - {name: 测试, slug: test, sources: [{name: Src, slug: src, channels: [\n"
                        "      {name: ok, url: 'file://%s'},\n"
                        "      {name: gone, url: 'file://%s/missing.xml'}]}]}\n"
                        % (port, port, upstream, d))
            with open(log_path, "w") as log:
                proc = subprocess.Popen([feedd, "run", "-c", config], stdin=subprocess.DEVNULL,
                                        stdout=log, stderr=log)
            if listening_or_exit(proc, log_path) or attempt == PORT_ATTEMPTS or \
                    "Address already in use" not in read(log_path):
                break
            print("port %d was taken; starting again on another" % port)
        try:
            ctype, body = scrape_after_first_cycle(proc, "http://127.0.0.1:%d" % port)
            print("--- /metrics (%s)\n%s" % (ctype, body))
            if not ctype.startswith("text/plain"):
                fail("/metrics has Content-Type %r; Prometheus expects text/plain; version=0.0.4" % ctype)
            if 'channel="test/src/gone"' not in body:
                fail("/metrics lacks the failing channel's series")
            promtool_check(promtool, body, "/metrics of feedd run")
            proc.send_signal(signal.SIGTERM)
            if proc.wait(timeout=15) != 0:
                fail("feedd run exited %d after SIGTERM" % proc.returncode)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            print("--- feedd log\n" + read(log_path))
    print("PASS")


main()
