"""A Debian 12 rootfs booted with systemd as PID 1, for `make test-systemd` (tests/systemd/boot
and tests/package/check_maintscripts.py). Run as root; needs debootstrap, systemd-nspawn
(systemd-container), nsenter (util-linux) and zstd, which the Makefile installs for that goal.

The host has no systemd and no D-Bus, so the container is booted with `--register=no
--keep-unit` and entered with nsenter rather than machinectl. The debootstrapped rootfs is
cached as a tarball keyed by suite and package list (FEEDD_ROOTFS_CACHE, default
/var/cache/feedd-test) and unpacked afresh for every boot, so every run starts clean.
"""
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SUITE = "bookworm"
MIRROR = os.environ.get("FEEDD_DEBIAN_MIRROR", "http://deb.debian.org/debian")
CACHE_DIR = os.environ.get("FEEDD_ROOTFS_CACHE", "/var/cache/feedd-test")
# What the tests need inside besides the .deb's own Depends: systemd as init (systemd-sysv gives
# /sbin/init), D-Bus for systemctl, python3 for the loopback upstream and the HTTP checks,
# init-system-helpers for deb-systemd-helper, procps for ps/pgrep.
BASE_PACKAGES = ["systemd", "systemd-sysv", "dbus", "python3", "init-system-helpers", "procps"]
# Bounds: a boot takes a few seconds; a first debootstrap downloads ~100 MB.
BOOT_TIMEOUT = 60
DEBOOTSTRAP_TIMEOUT = 1800


class Failure(Exception):
    """A check that did not hold; the message says what was expected and what was seen."""


def log(*args):
    print(*args, flush=True)


def run_host(argv, timeout=120, check=True, **kw):
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout, **kw)
    if check and proc.returncode != 0:
        raise Failure("%s exited %d:\n%s" % (" ".join(argv), proc.returncode, proc.stdout))
    return proc


def deb_depends(deb):
    """Package names of the .deb's Depends (alternatives: the first; versions dropped)."""
    field = run_host(["dpkg-deb", "-f", deb, "Depends"]).stdout
    names = []
    for clause in field.split(","):
        name = clause.split("|")[0].strip()
        name = re.split(r"[\s(:]", name)[0]
        if name:
            names.append(name)
    return names


def rootfs_tarball(packages):
    """Path of the cached rootfs tarball holding `packages`; debootstraps it when missing."""
    packages = sorted(set(packages))
    key = hashlib.sha256((SUITE + "\n" + "\n".join(packages)).encode()).hexdigest()[:16]
    tarball = os.path.join(CACHE_DIR, "rootfs-%s-%s.tar.zst" % (SUITE, key))
    if os.path.exists(tarball):
        log("rootfs: cached", tarball)
        return tarball
    os.makedirs(CACHE_DIR, exist_ok=True)
    work = tempfile.mkdtemp(prefix="rootfs-", dir=CACHE_DIR)
    os.chmod(work, 0o755)  # mkdtemp's 0700 would become the container's /
    try:
        start = time.monotonic()
        log("rootfs: debootstrap %s, then apt-get install %s (first run only)"
            % (SUITE, " ".join(packages)))
        run_host(["debootstrap", "--variant=minbase", "--include=" + ",".join(BASE_PACKAGES),
                  SUITE, work, MIRROR], timeout=DEBOOTSTRAP_TIMEOUT)
        # The .deb's Depends through apt, which resolves virtual packages (libspdlog1.10-fmt9)
        # that debootstrap's --include cannot. The chroot shares the host's network here.
        extra = [p for p in packages if p not in BASE_PACKAGES]
        if extra:
            run_host(["chroot", work, "apt-get", "install", "-y", "-q", "--no-install-recommends"]
                     + extra, timeout=DEBOOTSTRAP_TIMEOUT,
                     env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                          "DEBIAN_FRONTEND": "noninteractive"})
        # Downloaded .debs are not needed again; the tarball is what is cached.
        run_host(["chroot", work, "apt-get", "clean"])
        partial = tarball + ".part"
        run_host(["tar", "--zstd", "--numeric-owner", "--xattrs", "--one-file-system", "-C", work,
                  "-cf", partial, "."],
                 timeout=600)
        os.rename(partial, tarball)
        log("rootfs: debootstrap took %.0f s" % (time.monotonic() - start))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return tarball


class Container:
    """A booted copy of the cached rootfs. `with Container(deb) as c:` unpacks, boots, and on
    exit powers off and deletes the copy. Commands run inside with c.run()/c.sh()."""

    def __init__(self, deb, extra_packages=()):
        self.deb = deb
        self.packages = BASE_PACKAGES + deb_depends(deb) + list(extra_packages)
        self.root = None
        self.nspawn = None
        self.leader = None
        self.console = None

    def __enter__(self):
        tarball = rootfs_tarball(self.packages)
        self.root = tempfile.mkdtemp(prefix="feedd-boot-", dir=CACHE_DIR)
        run_host(["tar", "--zstd", "--numeric-owner", "--xattrs", "-C", self.root, "-xf", tarball],
                 timeout=300)
        # The container's /: mkdtemp makes it 0700 (and so may the tarball's "."), which would
        # lock every user but root out of the whole tree.
        os.chmod(self.root, 0o755)
        shutil.copy(self.deb, os.path.join(self.root, "root", os.path.basename(self.deb)))
        try:
            self.boot()
        except BaseException:
            # `with` calls __exit__ only after __enter__ returned: a failed boot must not leave
            # the container running or its root behind.
            self.__exit__(*sys.exc_info())
            raise
        return self

    def boot(self):
        self.console = open(os.path.join(self.root + ".console"), "w")
        # --keep-unit and --register=no: there is no host systemd/machined to register with.
        # The machine name is per process so that two runs can share the host.
        self.nspawn = subprocess.Popen(
            ["systemd-nspawn", "-q", "-D", self.root, "--boot", "--private-network",
             "--register=no", "--keep-unit", "--machine=feedd-test-%d" % os.getpid()],
            stdin=subprocess.DEVNULL, stdout=self.console, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + BOOT_TIMEOUT
        while self.leader is None:
            if self.nspawn.poll() is not None:
                raise Failure("systemd-nspawn exited %d before the boot finished; console:\n%s"
                              % (self.nspawn.returncode, self.console_text()))
            if time.monotonic() > deadline:
                raise Failure("no container PID 1 after %d s" % BOOT_TIMEOUT)
            self.leader = self.container_init(self.nspawn.pid)
            if self.leader is None:
                time.sleep(0.2)
        # Booted means: systemd reached its default target (or degraded: some unit of the
        # minimal rootfs failed, which is not feedd's concern).
        while True:
            state = self.run(["systemctl", "is-system-running"], check=False).stdout.strip()
            if state in ("running", "degraded"):
                break
            if time.monotonic() > deadline:
                raise Failure("system state %r after %d s; console:\n%s"
                              % (state, BOOT_TIMEOUT, self.console_text()))
            time.sleep(0.3)
        log("boot: container PID 1 is host pid %d, system %s" % (self.leader, state))

    @classmethod
    def container_init(cls, nspawn_pid):
        """The host pid of the container's PID 1, or None while there is none yet. Not simply
        nspawn's first child: nspawn forks a helper that forks the init and exits, and under
        load a test that took the helper found it gone (regression: leader_is_transient_helper).
        The init is the descendant that is pid 1 in its own PID namespace (NSpid ends in 1)."""
        todo = [nspawn_pid]
        while todo:
            pid = todo.pop()
            try:
                with open("/proc/%d/status" % pid) as f:
                    nspid = next((l.split()[1:] for l in f if l.startswith("NSpid:")), [])
            except OSError:
                continue
            if len(nspid) > 1 and nspid[-1] == "1":
                return pid
            todo.extend(cls.children(pid))
        return None

    @staticmethod
    def children(pid):
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                return [int(p) for p in f.read().split()]
        except OSError:
            return []

    def console_text(self):
        with open(self.root + ".console", errors="replace") as f:
            return f.read()[-4000:]

    def run(self, argv, check=True, timeout=60, input=None):
        """Runs argv inside the container (all its namespaces); returns the CompletedProcess
        with stdout and stderr merged."""
        full = ["nsenter", "-t", str(self.leader), "-a", "--"] + argv
        proc = subprocess.run(full, input=input, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=timeout,
                              env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
                                   "SYSTEMD_PAGER": "", "SYSTEMD_COLORS": "0"})
        if check and proc.returncode != 0:
            raise Failure("in the container, %s exited %d:\n%s"
                          % (" ".join(argv), proc.returncode, proc.stdout))
        return proc

    def sh(self, script, check=True, timeout=60):
        return self.run(["/bin/sh", "-c", script], check=check, timeout=timeout)

    def path(self, inside):
        """Host path of a file inside the container's root (the unpacked copy)."""
        return os.path.join(self.root, inside.lstrip("/"))

    def __exit__(self, *exc):
        if self.nspawn is not None and self.nspawn.poll() is None:
            if self.leader is not None:
                # SIGRTMIN+4 asks systemd for poweroff; systemd-nspawn returns when it is done.
                os.kill(self.leader, signal.SIGRTMIN + 4)
            try:
                self.nspawn.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.nspawn.pid, signal.SIGKILL)
                self.nspawn.wait()
        if self.root:
            if self.console is not None:
                self.console.close()
            if exc[0] is not None:
                log("console (tail):\n" + self.console_text())
            if os.environ.get("FEEDD_KEEP_ROOTFS"):
                log("kept", self.root)
            else:
                shutil.rmtree(self.root, ignore_errors=True)
                os.unlink(self.root + ".console")
        return False
