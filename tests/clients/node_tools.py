"""Node.js tooling shared by the client tests (tests/clients/test_*.py).

- Where node, npm, npx and Debian's chromium are (FEEDD_CHROMIUM overrides the browser).
- npm_install(): npm packages installed once into a cache folder under the build tree and
  reused; a lock keeps parallel CTest runs apart.
- install_playwright(): playwright-core@1 for the drivers under tests/clients/browser/, which
  launch Debian's chromium (tests/clients/browser/chromium.js); no browser is ever downloaded.
- skip_unless(): the one skip rule: a client test exits 77 (CTest skip) when its toolchain is
  missing, except under CI=true, where a missing toolchain is a failure (exit 1).
"""
import fcntl
import json
import os
import shutil
import subprocess
import sys

SOURCE_DIR = os.environ.get("FEEDD_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
NODE, NPM, NPX = shutil.which("node"), shutil.which("npm"), shutil.which("npx")
CHROMIUM = os.environ.get("FEEDD_CHROMIUM", "/usr/bin/chromium")
HAVE_CHROMIUM = os.access(CHROMIUM, os.X_OK)
PLAYWRIGHT_CACHE = os.environ.get("FEEDD_PLAYWRIGHT_CACHE") or os.path.join(
    SOURCE_DIR, "build", "npm-cache", "playwright")
BROWSER_DRIVERS = os.path.join(SOURCE_DIR, "tests", "clients", "browser")
# The environment of a Chromium driver: playwright-core resolved from the cache.
PLAYWRIGHT_ENV = dict(os.environ, NO_COLOR="1", npm_config_update_notifier="false",
                      NODE_PATH=os.path.join(PLAYWRIGHT_CACHE, "node_modules"))


def installed_version(cache, name):
    """The version of npm package `name` under cache/node_modules, or None."""
    try:
        with open(os.path.join(cache, "node_modules", name, "package.json"), encoding="utf-8") as f:
            return json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        return None


def _satisfied(cache, spec):
    # "name", "name@8" (any 8.x.y) or "name@1.1.0" (exactly); a scoped "@scope/name" is not used.
    name, _, want = spec.partition("@")
    have = installed_version(cache, name)
    return have is not None and (not want or have == want or have.startswith(want + "."))


def npm_install(cache, specs, env, timeout=480):
    """Installs the npm package specs ("name" or "name@version-prefix") under cache/node_modules
    unless every one is already there; npm's download cache lives in cache/.npm. Raises
    RuntimeError with npm's output when npm fails."""
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if all(_satisfied(cache, s) for s in specs):
            return
        proc = subprocess.run(
            [NPM, "install", "--no-audit", "--no-fund", "--prefix", cache, "--cache", os.path.join(cache, ".npm"),
             *specs], capture_output=True, text=True, timeout=timeout, env=env)
        if proc.returncode != 0:
            raise RuntimeError("npm install %s failed (%d):\n%s%s"
                               % (" ".join(specs), proc.returncode, proc.stdout, proc.stderr))
        missing = [s for s in specs if not _satisfied(cache, s)]
        if missing:
            raise RuntimeError("npm install left out %s" % missing)


def install_playwright():
    """playwright-core@1 under PLAYWRIGHT_CACHE, once."""
    npm_install(PLAYWRIGHT_CACHE, ["playwright-core@1"], dict(PLAYWRIGHT_ENV, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1"))


def missing_tools(node=True, npx=False, chromium=False):
    """The names of the required tools that are not installed."""
    wanted = [("node/npm", node and (NODE is None or NPM is None)), ("npx", npx and NPX is None),
              (CHROMIUM, chromium and not HAVE_CHROMIUM)]
    return [name for name, missing in wanted if missing]


def skip_unless(test_name, missing):
    """Exits when `missing` (from missing_tools) is not empty: 77, which CTest counts as a skip,
    or 1 under CI=true, where every client test must run."""
    if not missing:
        return
    ci = os.environ.get("CI", "").lower() == "true"
    print("%s: %s, %s missing" % (test_name, "FAILED (CI=true)" if ci else "skipped", ", ".join(missing)),
          file=sys.stderr)
    sys.exit(1 if ci else 77)
