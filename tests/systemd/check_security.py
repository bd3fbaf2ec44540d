"""systemd_unit_security: `systemd-analyze security --offline=true` rates feedd.service at most
2.0 ("OK"; 0 is fully locked down, 10 fully exposed).

The score is read from the "Overall exposure level" line; a missing line is a failure. As a
control, a unit with no hardening at all must score above the limit, which shows the parsing
and the tool both work here.
"""
import os
import re
import tempfile

from unitfile import UNIT, fail, run, systemd_analyze

LIMIT = 2.0


def exposure(analyze, path):
    proc = run([analyze, "security", "--offline=true", "--no-pager", path])
    name = os.path.basename(path)
    m = re.search(r"Overall exposure level for %s: (\d+(?:\.\d+)?)\b" % re.escape(name), proc.stdout)
    if m is None:
        fail("no 'Overall exposure level for %s' line (exit status %d)" % (name, proc.returncode))
    return float(m.group(1))


def main():
    analyze = systemd_analyze()
    with tempfile.TemporaryDirectory(prefix="feedd-security-") as d:
        bare = os.path.join(d, "bare.service")
        with open(bare, "w", encoding="utf-8") as f:
            f.write("[Service]\nExecStart=/bin/true\n")
        control = exposure(analyze, bare)
        if control <= LIMIT:
            fail("an unhardened unit scored %.1f <= %.1f: the check cannot tell units apart" % (control, LIMIT))

    score = exposure(analyze, UNIT)
    print("feedd.service exposure: %.1f (limit %.1f; unhardened control %.1f)" % (score, LIMIT, control))
    if score > LIMIT:
        fail("exposure %.1f is above %.1f" % (score, LIMIT))
    print("PASS")


main()
