#!/usr/bin/python3
"""The cold cycle with `images: download` (issue 13) against a loopback image server.

Generates the bench corpus (bench/gen_corpus.py), points its image URLs (ZAKER-like
zkres1..3.myzaker.com, WeChat-like mmbiz.qpic.cn) at a loopback server on four addresses
127.0.0.1..4 (four "CDN hosts", so the per-host limit applies as it would upstream), and times
`feedd once` from an empty state three ways: `images: hotlink` (today), `images: download`,
and the download mode's image pass alone (from feedd's "images: … in N ms" line). The image
server answers every path with distinct bytes (a JPEG header and 24 KiB derived from the path),
so every image is a file of its own, as upstream. Nothing leaves 127.0.0.0/8.

  /usr/bin/python3 bench/images.py --feeds 300 [--build build] [--runs 3]
"""
import argparse
import hashlib
import http.server
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_corpus  # noqa: E402
import run as bench_run  # noqa: E402

IMAGE_BYTES = 24 << 10


class ImageServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a CDN

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.count += 1
        seed = hashlib.sha256(self.path.encode()).digest()
        body = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + (seed * (IMAGE_BYTES // len(seed) + 1))[:IMAGE_BYTES]
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve_images(port):
    servers = []
    for last in (1, 2, 3, 4):
        s = ImageServer(("127.0.0.%d" % last, port), Handler)
        s.count = 0
        threading.Thread(target=s.serve_forever, daemon=True).start()
        servers.append(s)
    return servers


def localise(www, port):
    """Image URLs of the corpus → the loopback image hosts. Returns the number of <img>s."""
    hosts = {"zkres1.myzaker.com": 1, "zkres2.myzaker.com": 2, "zkres3.myzaker.com": 3,
             "zkres.myzaker.com": 3, "mmbiz.qpic.cn": 4}
    pattern = re.compile(r"http://(%s)/" % "|".join(re.escape(h) for h in hosts))
    images = 0
    for name in os.listdir(www):
        path = os.path.join(www, name)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        text = pattern.sub(lambda m: "http://127.0.0.%d:%d/%s/" % (hosts[m.group(1)], port, m.group(1)), text)
        images += text.count("<img")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    return images


def once(binary, d, mode, image_port):
    shutil.rmtree(os.path.join(d, "output"), ignore_errors=True)
    shutil.rmtree(os.path.join(d, "state"), ignore_errors=True)
    with open(os.path.join(d, "feeds.yaml"), encoding="utf-8") as f:
        conf = f.read()
    conf = re.sub(r"(?m)^(images|image_private_hosts): .*\n", "", conf)
    conf = conf.replace("categories:\n", "images: %s\nimage_private_hosts: true\ncategories:\n" % mode, 1)
    with open(os.path.join(d, "feeds.yaml"), "w", encoding="utf-8") as f:
        f.write(conf)
    log_path = os.path.join(d, "once-%s.log" % mode)
    s = bench_run.measure([binary, "-c", os.path.join(d, "feeds.yaml"), "--log-level", "info", "once"], log_path)
    with open(log_path, errors="replace") as f:
        text = f.read()
    # The log may hold earlier runs too: the last line is this run's.
    found = re.findall(r"images: (\d+) stored, (\d+) to retry, (\d+) given up; (\d+) posts rewritten in (\d+) ms", text)
    s.images = tuple(int(x) for x in found[-1]) if found else None
    s.summary = bench_run.feedd_summary(log_path)
    if s.rc != 0:
        sys.exit("bench: feedd once exited %d: see %s" % (s.rc, log_path))
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--feeds", type=int, default=300)
    ap.add_argument("--items", type=int, default=30)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20210712)
    ap.add_argument("--build", default=os.path.join(os.path.dirname(HERE), "build"))
    ap.add_argument("--work", help="scratch folder (default: BUILD/bench-images)")
    args = ap.parse_args()
    binary = os.path.join(args.build, "daemon", "feedd")
    work = args.work or os.path.join(args.build, "bench-images")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    gen_corpus.generate(args.feeds, args.items, args.seed, work)
    image_port = bench_run.free_port()
    images = localise(os.path.join(work, "www", "feeds"), image_port)
    servers = serve_images(image_port)
    nginx = bench_run.Nginx(os.path.join(work, "www"), os.path.join(work, "nginx"))
    nginx.start()
    try:
        d = os.path.join(work, "feedd")
        os.makedirs(d)
        with open(os.path.join(d, "feeds.yaml"), "w", encoding="utf-8") as f:
            f.write(gen_corpus.feeds_yaml(args.feeds, "http://127.0.0.1:%d/" % nginx.port, output="output",
                                          state="state/feedd.db"))
        rows = {"hotlink": [], "download": []}
        for r in range(args.runs):
            for mode in ("hotlink", "download"):
                before = sum(s.count for s in servers)
                s = once(binary, d, mode, image_port)
                s.requests = sum(s2.count for s2 in servers) - before
                rows[mode].append(s)
                print("run %d %-8s wall %.2f s, cpu %.2f s, rss %.1f MB, image requests %d, %s | %s"
                      % (r + 1, mode, s.wall, s.cpu, s.rss_mb, s.requests, s.images, s.summary), flush=True)
        print()
        print("corpus: %d feeds x %d items, %d <img> in the bodies" % (args.feeds, args.items, images))
        for mode, ss in rows.items():
            line = "%-8s cold cycle: wall %.2f s, cpu %.2f s, peak RSS %.1f MB (medians of %d)" % (
                mode, statistics.median(x.wall for x in ss), statistics.median(x.cpu for x in ss),
                statistics.median(x.rss_mb for x in ss), len(ss))
            if mode == "download":
                line += "; image pass %.2f s, %d images stored" % (
                    statistics.median(x.images[4] for x in ss) / 1000, statistics.median(x.images[0] for x in ss))
            print(line)
    finally:
        nginx.stop()
        for s in servers:
            s.shutdown()


if __name__ == "__main__":
    main()
