#!/usr/bin/python3
"""feedd benchmark: `feedd once` against `newsboat -x reload` and feedparser, on one corpus.

Serves a generated corpus (bench/gen_corpus.py) on loopback with Debian's nginx (ETag and
Last-Modified on, so an unchanged upstream answers 304) and times, alternating A B A B:

  feedd once      cold (empty state) and warm (the same state again: every fetch a 304)
  newsboat        `newsboat -x reload` cold (empty cache) and warm, reload-threads 8
  feedparser      Debian's python3-feedparser parsing the same files from disk (parse only)

Reports medians of wall time, CPU (user+sys) and peak RSS of each child (GNU time), corpus
items per second of wall time, and each row's ratio to feedd in the same mode. Checks that a
warm feedd cycle rewrites no file (mtimes unchanged) and gets only 304s (nginx access log).
With --memory-cycles N it then runs `feedd run`, drives N warm cycles through POST /refresh and
GET /refresh/ID, and samples VmRSS from /proc.

Numbers are only as quiet as the machine: other work on the same cores shows up as noise,
which the alternation spreads evenly over both sides.
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import gen_corpus  # noqa: E402

NGINX_CANDIDATES = ["/usr/sbin/nginx", shutil.which("nginx") or ""]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sample:
    def __init__(self, wall, cpu, rss_mb, rc):
        self.wall, self.cpu, self.rss_mb, self.rc = wall, cpu, rss_mb, rc


GNU_TIME = "/usr/bin/time"

# Bulky per-round files, removed only once the last measurement of the last size is done (see
# the comment where rounds add to it).
TRASH = []


def empty_trash():
    for path in TRASH:
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.exists(path):
            os.remove(path)
    TRASH.clear()


def measure(argv, log_path, env=None, cwd=None):
    """Runs argv to completion; wall from the monotonic clock, CPU and peak RSS from GNU time.

    Not from our own wait4(): Linux carries the RSS high-water mark of the process image an
    exec() replaces into the child's ru_maxrss, and a child forked from this Python runner
    starts as a copy of it (25-30 MB and growing with the snapshots it keeps), which then
    showed up as every tool's "peak RSS". GNU time is a small C program; its own image
    (about 2 MB) is what carries over instead.
    """
    # Untimed: whatever the tool before (or the build, or another round's cleanup) left for the
    # disk to write is written now, not by this tool's first sync. feedd flushes with syncfs, which
    # writes the whole file system's dirty pages, so round 1 used to pay for the build's objects.
    os.sync()
    with open(log_path, "ab") as out:
        report = log_path + ".time"
        t0 = time.monotonic()
        p = subprocess.run([GNU_TIME, "-o", report, "-f", "%x %U %S %M", *argv], stdout=out,
                           stderr=subprocess.STDOUT, env=env, cwd=cwd)
        wall = time.monotonic() - t0
    with open(report) as f:
        last = f.read().split("\n")[-2].split()  # "Command exited with non-zero status" first
    rc, user, system, rss_kb = int(last[0]), float(last[1]), float(last[2]), int(last[3])
    if p.returncode != rc:
        rc = p.returncode  # time itself failed (or was killed): its report is not the tool's
    return Sample(wall, user + system, rss_kb / 1024.0, rc)


# ---------------------------------------------------------------------------------------------
# nginx on loopback

class Nginx:
    def __init__(self, root, prefix):
        self.root, self.prefix = root, prefix
        self.port = free_port()
        self.access_log = os.path.join(prefix, "access.log")
        self.proc = None

    def conf(self):
        p = self.prefix
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the corpus
        return f"""{user}worker_processes 2;
pid {p}/nginx.pid;
error_log {p}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  log_format bench '$status $request_method $request_uri $body_bytes_sent "$http_if_none_match" "$http_if_modified_since"';
  access_log {self.access_log} bench;
  types {{ text/xml xml; }}
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 65;
  keepalive_requests 100000;
  etag on;
  if_modified_since exact;
  client_body_temp_path {p}/tmp/body;
  proxy_temp_path {p}/tmp/proxy;
  fastcgi_temp_path {p}/tmp/fastcgi;
  uwsgi_temp_path {p}/tmp/uwsgi;
  scgi_temp_path {p}/tmp/scgi;
  server {{
    listen 127.0.0.1:{self.port};
    root {self.root};
    location / {{ }}
  }}
}}
"""

    def start(self):
        binary = next((b for b in NGINX_CANDIDATES if b and os.access(b, os.X_OK)), None)
        if not binary:
            sys.exit("bench: nginx is missing: apt-get install -y nginx-light (make bench does it)")
        os.makedirs(os.path.join(self.prefix, "tmp"), exist_ok=True)
        conf = os.path.join(self.prefix, "nginx.conf")
        with open(conf, "w") as f:
            f.write(self.conf())
        self.proc = subprocess.Popen(
            [binary, "-p", self.prefix, "-e", os.path.join(self.prefix, "error.log"), "-c", conf,
             "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        sys.exit("bench: nginx did not start; see " + os.path.join(self.prefix, "error.log"))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: master waits for its workers
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log_offset(self):
        try:
            return os.path.getsize(self.access_log)
        except OSError:
            return 0

    def statuses_since(self, offset):
        """{status: count} and body bytes of the requests logged after `offset`."""
        counts, body = {}, 0
        with open(self.access_log, "rb") as f:
            f.seek(offset)
            for line in f.read().decode(errors="replace").splitlines():
                parts = line.split()
                if len(parts) >= 4:
                    counts[parts[0]] = counts.get(parts[0], 0) + 1
                    body += int(parts[3]) if parts[3].isdigit() else 0
        return counts, body


# ---------------------------------------------------------------------------------------------
# The contenders

def feedd_summary(log_path):
    """The last summary line of a `feedd once` log."""
    line = ""
    with open(log_path, errors="replace") as f:
        for l in f:
            if l.startswith("channels:"):
                line = l.strip()
    return line


def snapshot(tree):
    """{relative path: mtime_ns} of every file under `tree`."""
    out = {}
    for d, _, files in os.walk(tree):
        for name in files:
            p = os.path.join(d, name)
            out[os.path.relpath(p, tree)] = os.stat(p).st_mtime_ns
    return out


class Feedd:
    name = "feedd once"

    def __init__(self, binary, n, base_url, work):
        self.binary, self.n, self.base_url, self.work = binary, n, base_url, work

    def prepare(self, run):
        d = os.path.join(self.work, "feedd-%d" % run)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        with open(os.path.join(d, "feeds.yaml"), "w", encoding="utf-8") as f:
            f.write(gen_corpus.feeds_yaml(self.n, self.base_url, output="output",
                                          state="state/feedd.db",
                                          listen="127.0.0.1:%d" % free_port()))
        return d

    def once(self, d, tag):
        lp = os.path.join(d, "once-%s.log" % tag)
        s = measure([self.binary, "-c", os.path.join(d, "feeds.yaml"), "--log-level", "warn",
                     "once"], lp)
        s.summary = feedd_summary(lp)
        if s.rc != 0:
            log("bench: feedd once exited %d: see %s" % (s.rc, lp))
        return s


class Newsboat:
    name = "newsboat reload"

    def __init__(self, binary, urls, work):
        self.binary, self.urls, self.work = binary, urls, work

    def prepare(self, run):
        d = os.path.join(self.work, "newsboat-%d" % run)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, "home"))
        with open(os.path.join(d, "urls"), "w") as f:
            f.write("".join(u + "\n" for u in self.urls))
        with open(os.path.join(d, "config"), "w") as f:
            f.write("reload-threads 8\nshow-read-feeds yes\n")
        return d

    def reload(self, d, tag):
        env = dict(os.environ, HOME=os.path.join(d, "home"), XDG_CONFIG_HOME="",
                   XDG_DATA_HOME="")
        env.pop("XDG_CONFIG_HOME")
        env.pop("XDG_DATA_HOME")
        s = measure([self.binary, "-u", os.path.join(d, "urls"), "-c",
                     os.path.join(d, "cache.db"), "-C", os.path.join(d, "config"), "-x", "reload"],
                    os.path.join(d, "reload-%s.log" % tag), env=env, cwd=d)
        try:
            with sqlite3.connect(os.path.join(d, "cache.db")) as db:
                s.summary = "cache: %d items" % db.execute("select count(*) from rss_item").fetchone()[0]
        except sqlite3.Error as e:
            s.summary = "cache unreadable: %s" % e
        if s.rc != 0:
            log("bench: newsboat exited %d" % s.rc)
        return s


FEEDPARSER_SCRIPT = r"""
import sys, feedparser
n = 0
for path in sys.argv[1:]:
    d = feedparser.parse(path)
    n += len(d.entries)
print("entries: %d" % n)
"""


def feedparser_run(files, work, tag):
    lp = os.path.join(work, "feedparser-%s.log" % tag)
    s = measure(["/usr/bin/python3", "-c", FEEDPARSER_SCRIPT] + files, lp)
    with open(lp, errors="replace") as f:
        lines = [l.strip() for l in f if l.startswith("entries:")]
    s.summary = lines[-1] if lines else "no output (exit %d)" % s.rc
    return s


# ---------------------------------------------------------------------------------------------
# feedd run: memory across warm cycles

def rss_kb(pid, key="VmRSS"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def http_json(conn, method, path):
    conn.request(method, path, headers={"Content-Length": "0"} if method == "POST" else {})
    r = conn.getresponse()
    body = r.read()
    if r.status >= 400:
        raise RuntimeError("%s %s: %d %s" % (method, path, r.status, body[:200]))
    return json.loads(body)


def refresh_cycle(conn, timeout=600):
    ticket = http_json(conn, "POST", "/refresh")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        p = http_json(conn, "GET", "/refresh/%d" % ticket["id"])
        if p.get("done"):
            return p
        time.sleep(0.005)
    raise RuntimeError("refresh %d did not finish in %ds" % (ticket["id"], timeout))


def memory_run(binary, n, base_url, work, cycles, nginx):
    d = os.path.join(work, "feedd-run")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    port = free_port()
    with open(os.path.join(d, "feeds.yaml"), "w", encoding="utf-8") as f:
        f.write(gen_corpus.feeds_yaml(n, base_url, output="output", state="state/feedd.db",
                                      listen="127.0.0.1:%d" % port))
    logf = open(os.path.join(d, "run.log"), "wb")
    p = subprocess.Popen([binary, "-c", os.path.join(d, "feeds.yaml"), "--log-level", "warn",
                          "run"], stdout=logf, stderr=subprocess.STDOUT)
    samples = []
    try:
        conn = None
        for _ in range(200):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                break
            except OSError:
                conn = None
                if p.poll() is not None:
                    raise RuntimeError("feedd run exited %s; see %s/run.log" % (p.returncode, d))
                time.sleep(0.05)
        if conn is None:
            raise RuntimeError("feedd run did not answer on port %d" % port)
        t0 = time.monotonic()
        refresh_cycle(conn)  # the cold cycle (the start-up poll may already have done it)
        cold = time.monotonic() - t0
        after_cold = rss_kb(p.pid)
        off = nginx.log_offset()
        t0 = time.monotonic()
        for i in range(1, cycles + 1):
            refresh_cycle(conn)
            samples.append((i, rss_kb(p.pid)))
            if i % 100 == 0:
                log("  feedd run: %d warm cycles, VmRSS %.1f MB" % (i, samples[-1][1] / 1024))
        warm_total = time.monotonic() - t0
        statuses, body = nginx.statuses_since(off)
        hwm = rss_kb(p.pid, "VmHWM")
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        logf.close()
    ref = dict(samples).get(min(10, cycles), samples[0][1])
    half = dict(samples).get(max(1, cycles // 2), samples[0][1])
    last = samples[-1][1]
    return {
        "cycles": cycles, "cold_s": cold, "rss_after_cold_mb": after_cold / 1024,
        "rss_cycle10_mb": ref / 1024, "rss_last_mb": last / 1024,
        "growth_pct": 100.0 * (last - ref) / ref, "vmhwm_mb": hwm / 1024,
        # Allocator arenas fill up over the first cycles; the second half shows the trend.
        "rss_half_mb": half / 1024, "growth_second_half_pct": 100.0 * (last - half) / half,
        "warm_cycle_ms": 1000 * warm_total / cycles, "statuses": statuses, "body_bytes": body,
        "rss_min_mb": min(s for _, s in samples) / 1024,
        "rss_max_mb": max(s for _, s in samples) / 1024,
    }


# ---------------------------------------------------------------------------------------------

def med(samples, attr):
    return statistics.median(getattr(s, attr) for s in samples)


def fmt_status(counts):
    return ", ".join("%s×%d" % (k, v) for k, v in sorted(counts.items())) or "no requests"


def bench_size(args, n, feedd_bin, newsboat_bin):
    work = os.path.join(args.work, "n%d" % n)
    corpus = os.path.join(args.work, "corpus-%dx%d" % (n, args.items))
    os.makedirs(work, exist_ok=True)
    t0 = time.monotonic()
    manifest = gen_corpus.generate(n, args.items, args.seed, corpus)
    log("corpus: %d feeds × %d items, %.1f MB (%.0fs)" % (
        n, args.items, manifest["bytes"] / 1e6, time.monotonic() - t0))
    items = n * args.items
    nginx = Nginx(os.path.join(corpus, "www"), os.path.join(work, "nginx"))
    nginx.start()
    base_url = "http://127.0.0.1:%d/" % nginx.port
    urls = [base_url + "feeds/" + f for f in manifest["files"]]
    files = [os.path.join(corpus, "www", "feeds", f) for f in manifest["files"]]
    feedd = Feedd(feedd_bin, n, base_url, work)
    nb = Newsboat(newsboat_bin, urls, work) if newsboat_bin else None
    res = {k: [] for k in ("feedd_cold", "feedd_warm", "nb_cold", "nb_warm", "fp")}
    checks = []
    trash = []  # removed after the last measurement of the last size
    try:
        for r in range(args.runs):
            log("round %d/%d (%d feeds)" % (r + 1, args.runs, n))
            # A B A B: each mode alternates feedd and newsboat so load drifts hit both.
            fd = feedd.prepare(r)
            off = nginx.log_offset()
            s = feedd.once(fd, "cold")
            st, _ = nginx.statuses_since(off)
            log("  feedd cold     %6.2fs cpu %6.2fs rss %6.1f MB  %s [%s]" % (
                s.wall, s.cpu, s.rss_mb, s.summary, fmt_status(st)))
            res["feedd_cold"].append(s)
            if nb:
                nd = nb.prepare(r)
                off = nginx.log_offset()
                s = nb.reload(nd, "cold")
                st, _ = nginx.statuses_since(off)
                log("  newsboat cold  %6.2fs cpu %6.2fs rss %6.1f MB  %s [%s]" % (
                    s.wall, s.cpu, s.rss_mb, s.summary, fmt_status(st)))
                res["nb_cold"].append(s)
            if nb:
                # newsboat sends no validators on the reload after a cold one (observed with
                # 2.21: all 200s); from the next one on it does. Prime it, untimed, so its warm
                # row is the steady state, as feedd's is.
                off = nginx.log_offset()
                nb.reload(nd, "prime")
                st, _ = nginx.statuses_since(off)
                log("  newsboat prime (untimed) [%s]" % fmt_status(st))
            before = snapshot(os.path.join(fd, "output"))
            off = nginx.log_offset()
            s = feedd.once(fd, "warm")
            st, body = nginx.statuses_since(off)
            after = snapshot(os.path.join(fd, "output"))
            changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
            ok = not changed and st == {"304": n} and s.rc == 0
            checks.append({"round": r + 1, "changed_files": changed[:10],
                           "n_changed": len(changed), "statuses": st, "body_bytes": body,
                           "summary": s.summary, "ok": ok})
            log("  feedd warm     %6.2fs cpu %6.2fs rss %6.1f MB  %s [%s] files changed: %d" % (
                s.wall, s.cpu, s.rss_mb, s.summary, fmt_status(st), len(changed)))
            res["feedd_warm"].append(s)
            if nb:
                off = nginx.log_offset()
                s = nb.reload(nd, "warm")
                st, _ = nginx.statuses_since(off)
                log("  newsboat warm  %6.2fs cpu %6.2fs rss %6.1f MB  %s [%s]" % (
                    s.wall, s.cpu, s.rss_mb, s.summary, fmt_status(st)))
                res["nb_warm"].append(s)
            # Logs stay; the bulk goes (3000 feeds leave over 1 GB per round) — but only once
            # every timing is done. On ext4 without a journal (this machine's root), creating
            # a file scans the inodes deleted in the last minutes (recently_deleted()): right
            # after 18000 deletions, feedd's cold cycle took 2x as long and newsboat's (whose
            # SQLite journal is a new file per transaction) 3x, so deleting between rounds
            # measured the file system, not the tools. The window is minutes (60 s, 360 s
            # while the inode table block is dirty): leave that long between two invocations.
            if not args.keep:
                trash.extend([os.path.join(fd, "output"), os.path.join(fd, "state")])
                if nb:
                    trash.extend([os.path.join(nd, "home"), os.path.join(nd, "cache.db")])
            if not args.no_feedparser:
                s = feedparser_run(files, work, "r%d" % r)
                log("  feedparser     %6.2fs cpu %6.2fs rss %6.1f MB  %s" % (
                    s.wall, s.cpu, s.rss_mb, s.summary))
                res["fp"].append(s)
        mem = None
        if args.memory_cycles:
            log("feedd run: %d warm cycles through POST /refresh" % args.memory_cycles)
            mem = memory_run(feedd_bin, n, base_url, work, args.memory_cycles, nginx)
    finally:
        nginx.stop()
        TRASH.extend(trash)  # removed when every size has been measured
    return {"n": n, "items": items, "mb": manifest["bytes"] / 1e6, "res": res, "checks": checks,
            "mem": mem}


def table(out):
    res, items = out["res"], out["items"]
    rows = [("feedd once, cold", "feedd_cold", "feedd_cold"),
            ("newsboat reload, cold", "nb_cold", "feedd_cold"),
            ("feedd once, warm (304)", "feedd_warm", "feedd_warm"),
            ("newsboat reload, warm", "nb_warm", "feedd_warm"),
            ("feedparser, parse only", "fp", "feedd_cold")]
    lines = ["%d feeds × %d items = %d items, %.1f MB; medians of %d runs" % (
        out["n"], items // out["n"], items, out["mb"], len(res["feedd_cold"])),
        "| run | wall s | CPU s | peak RSS MB | articles/s | ÷ feedd: wall / CPU / RSS (>1: feedd ahead) |",
        "|---|---:|---:|---:|---:|---|"]
    for label, key, ref in rows:
        if not res[key]:
            continue
        w, c, m = med(res[key], "wall"), med(res[key], "cpu"), med(res[key], "rss_mb")
        if key == ref:
            ratio = "1 (reference)"
        else:
            rw, rc, rm = med(res[ref], "wall"), med(res[ref], "cpu"), med(res[ref], "rss_mb")
            ratio = "%.1f× / %.1f× / %.1f×" % (w / rw, c / rc, m / rm)
        lines.append("| %s | %.2f | %.2f | %.1f | %.0f | %s |" % (label, w, c, m, items / w, ratio))
    ok = all(c["ok"] for c in out["checks"])
    lines.append("warm check: %s (every warm feedd fetch a 304, no file under output/ rewritten)" % (
        "PASS" if ok else "FAIL " + json.dumps([c for c in out["checks"] if not c["ok"]],
                                                ensure_ascii=False)))
    mem = out["mem"]
    if mem:
        lines.append(
            "feedd run: %d warm cycles, %.0f ms each; VmRSS %.1f MB after cycle 10, %.1f MB after "
            "the last (%+.1f%%; %+.1f%% over the second half), min %.1f max %.1f, VmHWM %.1f MB; "
            "upstream %s" % (
                mem["cycles"], mem["warm_cycle_ms"], mem["rss_cycle10_mb"], mem["rss_last_mb"],
                mem["growth_pct"], mem["growth_second_half_pct"], mem["rss_min_mb"],
                mem["rss_max_mb"], mem["vmhwm_mb"], fmt_status(mem["statuses"])))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", default="300",
                    help="comma-separated corpus sizes in feeds, e.g. 300,1000,3000 (default 300)")
    ap.add_argument("--items", type=int, default=30, help="items per feed (default 30)")
    ap.add_argument("--runs", type=int, default=3, help="rounds per size, at least 3 (default 3)")
    ap.add_argument("--seed", type=int, default=20210712)
    ap.add_argument("--build", default=os.path.join(os.path.dirname(HERE), "build-bench"),
                    help="build folder holding daemon/feedd (default: build-bench)")
    ap.add_argument("--work", help="scratch folder (default: BUILD/bench-work)")
    ap.add_argument("--no-newsboat", action="store_true")
    ap.add_argument("--no-feedparser", action="store_true")
    ap.add_argument("--memory-cycles", type=int, default=0,
                    help="then run `feedd run` for this many warm cycles and report VmRSS")
    ap.add_argument("--json", help="also write the raw results here")
    ap.add_argument("--keep", action="store_true",
                    help="keep each round's output, state and newsboat cache under --work")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be positive")
    args.work = os.path.abspath(args.work or os.path.join(args.build, "bench-work"))
    feedd_bin = next((os.path.abspath(os.path.join(args.build, p)) for p in ("daemon/feedd", "feedd")
                      if os.access(os.path.join(args.build, p), os.X_OK)), "")
    if not feedd_bin:
        sys.exit("bench: no feedd under %s; build it first (make bench)" % args.build)
    newsboat_bin = None if args.no_newsboat else shutil.which("newsboat")
    if not args.no_newsboat and not newsboat_bin:
        sys.exit("bench: newsboat is missing: apt-get install -y newsboat (make bench does it)")
    if not args.no_feedparser:
        r = subprocess.run(["/usr/bin/python3", "-c", "import feedparser"], capture_output=True)
        if r.returncode != 0:
            sys.exit("bench: python3-feedparser is missing: apt-get install -y python3-feedparser")
    # Regression guard for the peak-RSS defect (measure() says why): a program that uses
    # almost nothing must measure as almost nothing, however big this runner has grown.
    os.makedirs(args.work, exist_ok=True)
    ballast = bytearray(64 << 20)
    for i in range(0, len(ballast), 4096):
        ballast[i] = 1
    probe = measure(["/bin/true"], os.path.join(args.work, "rss-probe.log"))
    del ballast
    if probe.rc != 0 or probe.rss_mb > 8:
        sys.exit("bench: /bin/true measured %.1f MB peak RSS: the measurement counts the runner"
                 % probe.rss_mb)
    sizes = [int(x) for x in args.feeds.split(",") if x.strip()]
    log("bench: %d CPUs, load average %s" % (os.cpu_count(), os.getloadavg()))
    try:
        outs = [bench_size(args, n, feedd_bin, newsboat_bin) for n in sizes]
    finally:
        empty_trash()
    print()
    for out in outs:
        print(table(out))
        print()
    if len(outs) > 1:
        print("scaling (feedd, per feed): " + "; ".join(
            "%d feeds: cold %.1f ms, warm %.2f ms" % (
                o["n"], 1000 * med(o["res"]["feedd_cold"], "wall") / o["n"],
                1000 * med(o["res"]["feedd_warm"], "wall") / o["n"]) for o in outs))
    print("load average at the end: %s (2 cores shared: expect noise)" % (os.getloadavg(),))
    if args.json:
        def enc(o):
            return o.__dict__
        with open(args.json, "w") as f:
            json.dump(outs, f, default=enc, indent=1, ensure_ascii=False)
    failed = [c for o in outs for c in o["checks"] if not c["ok"]]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
