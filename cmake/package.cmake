# The man page and the Debian package. Builds on cmake/install.cmake (binary, unit, config).
#
#   make package                     # a build folder of its own, then cpack: build-deb/*.deb
#   cpack -G DEB --config BUILD/CPackConfig.cmake -B OUT    # from any configured build
#
# The package always has the /usr layout (/usr/bin/feedd, /lib/systemd/system/feedd.service,
# /etc/feedd/feeds.yaml as a conffile, /usr/share/man/man1/feedd.1.gz), whatever
# CMAKE_INSTALL_PREFIX the build folder has. tests/package checks it.
include(GNUInstallDirs)

# feedd(1), compressed as Debian wants it (-9, no name or timestamp in the header, so the bytes
# depend on the page alone). Made when configuring so that every build folder can be installed
# without building an extra target first; editing the page re-runs the configure step.
# BUILD/doc/man is a man hierarchy: MANPATH=BUILD/doc/man makes `man feedd` (and so
# `systemd-analyze verify` of Documentation=man:feedd(1)) find the page without installing it.
set(_feedd_man_src "${PROJECT_SOURCE_DIR}/doc/feedd.1")
set(FEEDD_MANPATH "${CMAKE_BINARY_DIR}/doc/man")
set(FEEDD_MANPAGE "${FEEDD_MANPATH}/man1/feedd.1.gz")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_feedd_man_src}")
file(MAKE_DIRECTORY "${FEEDD_MANPATH}/man1")
execute_process(COMMAND gzip -9nc "${_feedd_man_src}" OUTPUT_FILE "${FEEDD_MANPAGE}"
                RESULT_VARIABLE _feedd_gzip)
if(NOT _feedd_gzip EQUAL 0)
  message(FATAL_ERROR "gzip ${_feedd_man_src} failed: ${_feedd_gzip}")
endif()
install(FILES "${FEEDD_MANPAGE}" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1"
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# Control files beyond the ones CPack writes. CPack 3.25 marks nothing as a conffile by itself
# (that is debhelper's job, which CPack does not use), so the list is explicit: without it dpkg
# would overwrite an admin's edited feeds.yaml on upgrade.
set(_feedd_deb "${CMAKE_BINARY_DIR}/package/debian")
file(MAKE_DIRECTORY "${_feedd_deb}")
file(WRITE "${_feedd_deb}/conffiles" "/etc/feedd/feeds.yaml\n")
# The maintainer scripts are dh_installsystemd's (packaging/debian/: mask on remove, forget the
# enablement and the state on purge, restore only the admin's own enablement on reinstall),
# copied with the permissions dpkg wants; tests/package/check_maintscripts.py runs them under a
# booted systemd (`make test-systemd`).
foreach(_script postinst prerm postrm)
  file(COPY "${PROJECT_SOURCE_DIR}/packaging/debian/${_script}" DESTINATION "${_feedd_deb}"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ
                        WORLD_EXECUTE)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
                                         "${PROJECT_SOURCE_DIR}/packaging/debian/${_script}")
endforeach()

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "feedd")
set(CPACK_PACKAGE_VENDOR "feedd")
set(CPACK_PACKAGE_CONTACT "feedd maintainers <feedd@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
# install.cmake resolves /etc and the unit's paths from the prefix at install time, so CPack has
# to install the way `DESTDIR=stage cmake --install --prefix /usr` does: with DESTDIR and the
# real prefix, not with a prefix inside its staging folder.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX "/usr")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME "DEB-DEFAULT")  # feedd_<version>-<release>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE "1")
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "${PROJECT_DESCRIPTION}
feedd polls RSS and Atom feeds (directly or through RSSHub routes), writes every new article
as a Hexo post with YAML front-matter, deduplicates articles by a hash of their title, and
publishes one Atom feed per category plus an OPML file. It runs as a systemd service
(Type=notify) and serves the feeds, a status page and Prometheus metrics over HTTP.")
# The libraries it links come from dpkg-shlibdeps; these are what it needs at run time besides:
# the zone database (date-tz with USE_OS_TZDB reads /usr/share/zoneinfo) and, for HTTPS
# upstreams, the CA certificates.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "tzdata")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${_feedd_deb}/conffiles;${_feedd_deb}/postinst;${_feedd_deb}/prerm;${_feedd_deb}/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# `make package_source` is not how feedd is released; keep build folders out of it anyway.
set(CPACK_SOURCE_GENERATOR "TGZ")
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/" "/output/")
include(CPack)
