"""test-systemd package: the .deb's maintainer scripts under a real systemd (PID 1 of a booted
Debian 12 container, tests/systemd/boot/container.py), in one rootfs, in this order:

  install            not enabled, not started, nothing in multi-user.target.wants; the daemon
                     starts with the shipped config and creates /var/lib/private/feedd
  enable             the admin's `systemctl enable --now`
  remove             stopped; masked (/etc/systemd/system/feedd.service -> /dev/null); the
                     conffile and the state stay
  reinstall_enabled  the mask is gone and the admin's enablement is back
  disabled_stays     the admin disables, removes and reinstalls: still disabled
  purge_leaves_no_dangling_wants
                     regression (issue 12: dpkg -r/-P left the wants symlink dangling): no
                     multi-user.target.wants/feedd.service, no mask, no deb-systemd-helper state,
                     no /var/lib/private/feedd or /var/lib/feedd, no /etc/feedd; no dangling
                     symlink naming feedd anywhere under /etc/systemd
  reinstall_purged   the forgotten enablement stays forgotten; the service starts and stops

Usage: check_maintscripts.py FEEDD.deb (as root; `make test-systemd` runs it). Every step prints
PASS/FAIL; the exit status is 1 when any failed (later steps depend on earlier ones, so the run
stops at the first failure).
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "systemd",
                                "boot"))
from container import Container, Failure, log  # noqa: E402

UNIT = "feedd.service"
WANTS = "/etc/systemd/system/multi-user.target.wants/feedd.service"
MASK = "/etc/systemd/system/feedd.service"
DSH_STATE = ["/var/lib/systemd/deb-systemd-helper-enabled/feedd.service.dsh-also",
             "/var/lib/systemd/deb-systemd-helper-masked/feedd.service"]


def expect(cond, what):
    if not cond:
        raise Failure(what)


class Steps:
    def __init__(self, c):
        self.c = c
        self.deb = "/root/" + os.path.basename(c.deb)

    def dpkg(self, *args):
        self.c.run(["dpkg"] + list(args), timeout=120)

    def enabled(self):
        return self.c.run(["systemctl", "is-enabled", UNIT], check=False).stdout.strip()

    def active(self):
        return self.c.run(["systemctl", "is-active", UNIT], check=False).stdout.strip()

    def link(self, path):
        """The symlink's target, or None when there is no symlink."""
        host = self.c.path(path)
        return os.readlink(host) if os.path.islink(host) else None

    def exists(self, path):
        return os.path.lexists(self.c.path(path))

    def state(self):
        log("  is-enabled %s, is-active %s, wants -> %s, %s -> %s" % (
            self.enabled(), self.active(), self.link(WANTS), MASK, self.link(MASK)))

    def start_and_wait_state(self):
        self.c.run(["systemctl", "start", UNIT], timeout=120)
        expect(self.active() == "active", "not active after start")
        # StateDirectory= is made before ExecStart; the database shows the daemon used it.
        deadline = time.monotonic() + 30
        while not self.exists("/var/lib/private/feedd/feedd.db"):
            expect(time.monotonic() < deadline, "no /var/lib/private/feedd/feedd.db after start")
            time.sleep(0.5)

    # Steps --------------------------------------------------------------------------------

    def install(self):
        self.dpkg("-i", self.deb)
        self.state()
        expect(self.enabled() == "disabled", "a fresh install is %r, not disabled" % self.enabled())
        expect(self.active() == "inactive", "a fresh install started the daemon")
        expect(not self.exists(WANTS), "a fresh install enabled the unit (%s)" % WANTS)
        self.start_and_wait_state()

    def enable(self):
        self.c.run(["systemctl", "enable", UNIT])
        self.state()
        expect(self.link(WANTS) == "/lib/systemd/system/feedd.service",
               "%s -> %r" % (WANTS, self.link(WANTS)))

    def remove(self):
        self.dpkg("-r", "feedd")
        self.state()
        expect(self.active() in ("inactive", "unknown"), "still %s after dpkg -r" % self.active())
        expect(self.link(MASK) == "/dev/null", "not masked after dpkg -r: %s -> %r"
               % (MASK, self.link(MASK)))
        expect(not self.exists("/lib/systemd/system/feedd.service"), "the unit file stayed")
        expect(self.exists("/etc/feedd/feeds.yaml"), "dpkg -r removed the conffile")
        expect(self.exists("/var/lib/private/feedd/feedd.db"), "dpkg -r removed the state")

    def reinstall_enabled(self):
        self.dpkg("-i", self.deb)
        self.state()
        expect(self.link(MASK) is None, "still masked after reinstall")
        expect(self.enabled() == "enabled", "the admin's enablement was not restored: %s"
               % self.enabled())

    def disabled_stays(self):
        self.c.run(["systemctl", "disable", UNIT])
        self.dpkg("-r", "feedd")
        self.dpkg("-i", self.deb)
        self.state()
        expect(self.enabled() == "disabled", "disabled by the admin, reinstalled as %s"
               % self.enabled())
        self.c.run(["systemctl", "enable", "--now", UNIT], timeout=120)

    def purge_leaves_no_dangling_wants(self):
        self.dpkg("-P", "feedd")
        self.state()
        leftovers = [p for p in [WANTS, MASK, "/var/lib/private/feedd", "/var/lib/feedd",
                                 "/etc/feedd"] + DSH_STATE if self.exists(p)]
        expect(not leftovers, "dpkg -P left %s" % ", ".join(leftovers))
        dangling = self.c.sh("find /etc/systemd -xtype l -name '*feedd*'").stdout.split()
        expect(not dangling, "dangling symlinks after purge: %s" % dangling)

    def reinstall_purged(self):
        self.dpkg("-i", self.deb)
        self.state()
        expect(self.enabled() == "disabled", "the purged enablement came back: %s"
               % self.enabled())
        self.start_and_wait_state()
        self.c.run(["systemctl", "stop", UNIT], timeout=60)
        expect(self.active() == "inactive", "not inactive after stop")


def main():
    if len(sys.argv) != 2:
        print("usage: check_maintscripts.py FEEDD.deb", file=sys.stderr)
        return 2
    start = time.monotonic()
    names = ["install", "enable", "remove", "reinstall_enabled", "disabled_stays",
             "purge_leaves_no_dangling_wants",
             "reinstall_purged"]
    done = 0
    try:
        with Container(os.path.abspath(sys.argv[1])) as c:
            steps = Steps(c)
            for name in names:
                log("--- %s" % name)
                try:
                    getattr(steps, name)()
                except Failure as e:
                    log("FAIL %s: %s" % (name, e))
                    break
                log("PASS %s" % name)
                done += 1
    except Failure as e:
        log("FAIL setup:", e)
    log("test-systemd package: %d of %d steps passed (%.0f s)" % (
        done, len(names), time.monotonic() - start))
    return 0 if done == len(names) else 1


if __name__ == "__main__":
    sys.exit(main())
