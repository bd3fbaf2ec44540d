"""systemd_unit_verify: `systemd-analyze verify` has nothing to say about feedd.service.

verify insists that ExecStart's program exists, so it checks a copy whose ExecStart names the
built binary (everything else byte for byte). It exits 0 even for unknown keys or bad values,
so every output line that names the unit is a failure. To show this check can fail here, a
copy with a typo is verified first and must be reported.
"""
import os
import tempfile

from unitfile import FEEDD, UNIT, fail, run, systemd_analyze, with_exec_start


def verify(analyze, directory, text):
    """Writes `text` as directory/feedd.service, verifies it, returns (exit status, lines about it)."""
    path = os.path.join(directory, "feedd.service")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    proc = run([analyze, "verify", "--no-pager", path])
    about = [l for l in proc.stdout.splitlines() if "feedd.service" in l]
    return proc.returncode, about


def main():
    analyze = systemd_analyze()
    if not (FEEDD and os.access(FEEDD, os.X_OK)):
        fail("FEEDD_BIN (%r) is not an executable; build the feedd target first" % FEEDD)
    with open(UNIT, encoding="utf-8") as f:
        unit = with_exec_start(f.read(), FEEDD)

    with tempfile.TemporaryDirectory(prefix="feedd-verify-") as d:
        broken = unit.replace("\n[Service]\n", "\n[Service]\nWatchdogSecs=60\n", 1)
        if broken == unit:
            fail("the unit has no [Service] section")
        status, about = verify(analyze, d, broken)
        if not about:
            fail("systemd-analyze verify did not report an unknown key: this check could not fail here")

        status, about = verify(analyze, d, unit)
        if status != 0 or about:
            fail("systemd-analyze verify exited %d with %d line(s) about the unit" % (status, len(about)))
    print("PASS: systemd-analyze verify is clean")


main()
