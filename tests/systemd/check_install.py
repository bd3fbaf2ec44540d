"""systemd_install: `cmake --install` puts the binary, the unit and /etc/feedd/feeds.yaml where
the unit expects them, for the packaging prefix (/usr, via DESTDIR) and for any other prefix.

  --prefix /usr + DESTDIR: usr/bin/feedd, usr/lib/systemd/system/feedd.service identical to
      systemd/feedd.service, etc/feedd/feeds.yaml identical to the generated config.
  --prefix P: the unit's ExecStart and -c are rewritten to P/bin/feedd and P/etc/feedd/...,
      nothing else changes, and `systemd-analyze verify` accepts that installed unit as is.
  reinstalling over an edited config keeps it and installs feeds.yaml.dist beside it.
"""
import filecmp
import os
import shutil
import tempfile

from unitfile import SHIPPED_CONFIG, UNIT, fail, run, skip

CMAKE = os.environ.get("CMAKE_COMMAND", "cmake")
BUILD = os.environ.get("FEEDD_BUILD_DIR", "")


def install(prefix, destdir=None):
    env = dict(os.environ)
    env.pop("DESTDIR", None)
    if destdir:
        env["DESTDIR"] = destdir
    proc = run([CMAKE, "--install", BUILD, "--prefix", prefix], env=env)
    if proc.returncode != 0:
        fail("cmake --install --prefix %s exited %d" % (prefix, proc.returncode))
    return proc.stdout


def expect_file(path):
    if not os.path.isfile(path):
        fail("not installed: " + path)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def main():
    if not BUILD or not os.path.isdir(BUILD):
        fail("FEEDD_BUILD_DIR (%r) is not a build folder" % BUILD)
    repo_unit = read(UNIT)
    with tempfile.TemporaryDirectory(prefix="feedd-install-") as d:
        # The packaging layout: prefix /usr puts the config in /etc, not /usr/etc.
        stage = os.path.join(d, "stage")
        install("/usr", stage)
        expect_file(os.path.join(stage, "usr/bin/feedd"))
        unit = os.path.join(stage, "usr/lib/systemd/system/feedd.service")
        expect_file(unit)
        if read(unit) != repo_unit:
            fail("with prefix /usr the installed unit differs from systemd/feedd.service")
        config = os.path.join(stage, "etc/feedd/feeds.yaml")
        expect_file(config)
        if not filecmp.cmp(config, SHIPPED_CONFIG, shallow=False):
            fail("%s differs from the generated %s" % (config, SHIPPED_CONFIG))
        if os.path.exists(os.path.join(stage, "usr/etc")):
            fail("prefix /usr installed something under usr/etc")

        # Any other prefix: the unit follows it.
        prefix = os.path.join(d, "opt-like")
        install(prefix)
        unit = os.path.join(prefix, "lib/systemd/system/feedd.service")
        expect_file(unit)
        config = os.path.join(prefix, "etc/feedd/feeds.yaml")
        expect_file(config)
        expect_file(os.path.join(prefix, "bin/feedd"))
        want = repo_unit.replace("/usr/bin/feedd", prefix + "/bin/feedd").replace(
            "/etc/feedd/feeds.yaml", config)
        if want == repo_unit or read(unit) != want:
            fail("the unit installed under %s does not point at its own binary and config" % prefix)
        analyze = shutil.which("systemd-analyze")
        if analyze:
            proc = run([analyze, "verify", "--no-pager", unit])
            if proc.returncode != 0 or "feedd.service" in proc.stdout:
                fail("systemd-analyze verify rejects the installed unit")

        # An admin's edits survive a reinstall.
        with open(config, "a", encoding="utf-8") as f:
            f.write("# edited by the admin\n")
        edited = read(config)
        install(prefix)
        if read(config) != edited:
            fail("reinstalling overwrote an edited " + config)
        dist = config + ".dist"
        expect_file(dist)
        if not filecmp.cmp(dist, SHIPPED_CONFIG, shallow=False):
            fail(dist + " is not the shipped config")
    if not analyze:  # the rest passed; CTest shows the test skipped, not passed
        skip("systemd-analyze is not installed: the installed unit was not verified")
    print("PASS")


main()
