"""package_deb: CPack builds feedd's .deb from this build folder, and the package holds what
a Debian admin expects (label `package`).

  files:    exactly usr/bin/feedd (runs, right version), usr/lib/systemd/system/feedd.service
            (byte for byte systemd/feedd.service), etc/feedd/feeds.yaml (the generated service
            config), usr/share/man/man1/feedd.1.gz (gunzips to doc/feedd.1); owned by root.
  control:  Package, Version (project version - 1), Architecture (dpkg's), Maintainer,
            Section, Description; Depends names the package of every shared library the binary
            links (found with dpkg -S, not a list kept by hand), among them libcurl4,
            libpugixml1v5, libyaml-cpp0.7, libsqlite3-0, libgumbo1, libmodest0; conffiles is exactly
            /etc/feedd/feeds.yaml; the maintainer scripts are executable and parse with sh -n.
It runs cpack into a temporary folder, so it always checks the tree as it is now.
"""
import gzip
import os
import re
import stat
import tempfile

from common import SOURCE_DIR, fail, need_feedd, need_tool, read, run

BUILD = os.environ.get("FEEDD_BUILD_DIR", "")
CPACK = os.environ.get("CPACK_COMMAND", "cpack")
VERSION = os.environ.get("FEEDD_VERSION", "")
SHIPPED_CONFIG = os.environ.get("FEEDD_SYSTEMD_CONFIG", "")

EXPECTED_FILES = {
    "usr/bin/feedd",
    "usr/lib/systemd/system/feedd.service",
    "etc/feedd/feeds.yaml",
    "usr/share/man/man1/feedd.1.gz",
}
# From the brief: the C libraries feedd is built on. The full list is derived below.
REQUIRED_DEPENDS = ["libcurl4", "libpugixml1v5", "libyaml-cpp0.7", "libsqlite3-0", "libgumbo1",
                    "libmodest0", "libsystemd0", "libssl3", "libstdc++6", "libc6", "tzdata"]


def build_deb(out):
    need_tool("dpkg-shlibdeps", "dpkg-dev")
    config = os.path.join(BUILD, "CPackConfig.cmake")
    if not os.path.isfile(config):
        fail("%s is missing: is cmake/package.cmake included?" % config)
    proc = run([CPACK, "-G", "DEB", "--config", config, "-B", out], timeout=300)
    print(proc.stdout)
    debs = [f for f in os.listdir(out) if f.endswith(".deb")]
    if len(debs) != 1:
        fail("cpack made %r, not one .deb" % debs)
    return os.path.join(out, debs[0])


def control_fields(deb):
    text = run(["dpkg-deb", "-f", deb]).stdout
    fields, key = {}, None
    for line in text.splitlines():
        if line.startswith((" ", "\t")) and key:
            fields[key] += "\n" + line.strip()
        elif ":" in line:
            key, value = line.split(":", 1)
            fields[key] = value.strip()
    print(text)
    return fields


def depends_names(depends):
    """'libc6 (>= 2.34), libcurl4 (>= 7.16.2) | x' -> {'libc6', 'libcurl4', 'x'}"""
    return {re.sub(r"\s*\(.*\)", "", alt).strip().split(":")[0]
            for dep in depends.split(",") for alt in dep.split("|") if alt.strip()}


def provides(package):
    out = run(["dpkg-query", "-W", "-f=${Provides}", package], check=False).stdout
    return depends_names(out) if out.strip() else set()


def linked_packages(binary):
    """The Debian packages holding the shared libraries `binary` links directly (NEEDED)."""
    needed = re.findall(r"NEEDED\s+(\S+)", run(["objdump", "-p", binary]).stdout)
    if not needed:
        fail("objdump found no NEEDED entries in %s" % binary)
    paths = {}
    for line in run(["ldd", binary]).stdout.splitlines():
        m = re.match(r"\s*(\S+) => (\S+)", line)
        if m:
            paths[m.group(1)] = m.group(2)
    packages = {}
    for soname in needed:
        path = paths.get(soname)
        if not path:
            fail("ldd does not resolve %s" % soname)
        # dpkg -S knows the path the package ships, which usrmerge may have moved from /lib.
        real = os.path.realpath(path)
        candidates = [path, real, "/usr" + path if path.startswith("/lib") else path,
                      real[4:] if real.startswith("/usr/lib") else real]
        for p in candidates:
            proc = run(["dpkg", "-S", p], check=False)
            if proc.returncode == 0:
                packages[soname] = proc.stdout.split(":")[0].strip()
                break
        else:
            fail("no Debian package owns %s (%s)" % (soname, path))
    return packages


def check_tree(root, problems):
    found = set()
    for d, _, files in os.walk(root):
        for f in files:
            found.add(os.path.relpath(os.path.join(d, f), root))
    problems += ["missing from the package: /" + f for f in sorted(EXPECTED_FILES - found)]
    problems += ["unexpected in the package: /" + f for f in sorted(found - EXPECTED_FILES)]

    binary = os.path.join(root, "usr/bin/feedd")
    if os.path.isfile(binary):
        mode = os.stat(binary).st_mode
        if not mode & stat.S_IXOTH:
            problems.append("/usr/bin/feedd is not executable (%o)" % mode)
        out = run([binary, "--version"], check=False).stdout.strip()
        if out != "feedd " + VERSION:
            problems.append("the packaged feedd --version prints %r" % out)
    unit = os.path.join(root, "usr/lib/systemd/system/feedd.service")
    if os.path.isfile(unit) and read(unit) != read(os.path.join(SOURCE_DIR, "systemd/feedd.service")):
        problems.append("the packaged feedd.service differs from systemd/feedd.service")
    conf = os.path.join(root, "etc/feedd/feeds.yaml")
    if os.path.isfile(conf):
        if read(conf) != read(SHIPPED_CONFIG):
            problems.append("the packaged /etc/feedd/feeds.yaml differs from %s" % SHIPPED_CONFIG)
        if not os.stat(conf).st_mode & stat.S_IROTH:
            problems.append("/etc/feedd/feeds.yaml is not world-readable (DynamicUser needs it)")
    man = os.path.join(root, "usr/share/man/man1/feedd.1.gz")
    if os.path.isfile(man):
        with gzip.open(man, "rt", encoding="utf-8") as f:
            if f.read() != read(os.path.join(SOURCE_DIR, "doc/feedd.1")):
                problems.append("feedd.1.gz does not unpack to doc/feedd.1 (reconfigure the build)")


def check_listing(deb, problems):
    # "-rwxr-xr-x root/root 123 2024-... ./usr/bin/feedd"
    for line in run(["dpkg-deb", "-c", deb]).stdout.splitlines():
        parts = line.split()
        if len(parts) >= 6 and parts[1] != "root/root":
            problems.append("owned by %s, not root/root: %s" % (parts[1], parts[-1]))


def check_control(deb, fields, problems):
    arch = run(["dpkg", "--print-architecture"]).stdout.strip()
    expect = {"Package": "feedd", "Version": VERSION + "-1", "Architecture": arch, "Section": "net"}
    for key, value in expect.items():
        if fields.get(key) != value:
            problems.append("%s is %r, expected %r" % (key, fields.get(key), value))
    for key in ("Maintainer", "Description", "Installed-Size"):
        if not fields.get(key):
            problems.append("no %s field" % key)
    if os.path.basename(deb) != "feedd_%s-1_%s.deb" % (VERSION, arch):
        problems.append("file name %s is not Debian's package_version_arch.deb" % os.path.basename(deb))

    depends = depends_names(fields.get("Depends", ""))
    problems += ["Depends lacks %s" % p for p in REQUIRED_DEPENDS if p not in depends]
    for soname, package in sorted(linked_packages(need_feedd()).items()):
        # The shlibs file may name a virtual package the installed one provides
        # (libspdlog1.10 provides libspdlog1.10-fmt9).
        if not depends & ({package} | provides(package)):
            problems.append("Depends lacks %s, which ships %s that feedd links" % (package, soname))

    with tempfile.TemporaryDirectory(prefix="feedd-deb-control-") as ctl:
        run(["dpkg-deb", "-e", deb, ctl])
        conffiles = os.path.join(ctl, "conffiles")
        if not os.path.isfile(conffiles) or read(conffiles).split() != ["/etc/feedd/feeds.yaml"]:
            problems.append("conffiles is %r, not /etc/feedd/feeds.yaml"
                            % (read(conffiles) if os.path.isfile(conffiles) else None))
        for script in ("postinst", "prerm", "postrm"):
            path = os.path.join(ctl, script)
            if not os.path.isfile(path):
                problems.append("no %s script" % script)
                continue
            if os.stat(path).st_mode & 0o777 != 0o755:
                problems.append("%s has mode %o, not 755" % (script, os.stat(path).st_mode & 0o777))
            if run(["sh", "-n", path], check=False).returncode != 0:
                problems.append("%s does not parse" % script)
    print(run(["dpkg-deb", "-I", deb]).stdout)


def main():
    if not BUILD or not os.path.isdir(BUILD) or not VERSION or not os.path.isfile(SHIPPED_CONFIG):
        fail("FEEDD_BUILD_DIR, FEEDD_VERSION and FEEDD_SYSTEMD_CONFIG must be set by CTest")
    need_tool("dpkg-deb", "dpkg")
    problems = []
    with tempfile.TemporaryDirectory(prefix="feedd-deb-") as d:
        deb = build_deb(os.path.join(d, "out"))
        fields = control_fields(deb)
        check_control(deb, fields, problems)
        check_listing(deb, problems)
        root = os.path.join(d, "root")
        run(["dpkg-deb", "-x", deb, root])
        check_tree(root, problems)
    if problems:
        fail("the package is not right:\n  " + "\n  ".join(problems))
    print("PASS")


main()
