# Install rules for running feedd as a system service: the systemd unit and the config it reads.
# The binary's own rule is in daemon/CMakeLists.txt.
#
#   cmake -S . -B build -DCMAKE_INSTALL_PREFIX=/usr && cmake --build build --target feedd
#   cmake --install build [--prefix P]      # DESTDIR=... is honoured too
#
# installs P/bin/feedd, P/lib/systemd/system/feedd.service and SYSCONFDIR/feedd/feeds.yaml, where
# SYSCONFDIR follows GNUInstallDirs for P (/etc when P is /usr, P/etc for most others). The
# prefix is resolved when installing, not when configuring, so that `--prefix` moves the unit's
# ExecStart and `-c` path along with the files.
include(GNUInstallDirs)

set(FEEDD_SYSTEMD_UNITDIR "lib/systemd/system"
    CACHE STRING "Where feedd.service is installed, relative to the install prefix")

set(_feedd_unit_src "${PROJECT_SOURCE_DIR}/systemd/feedd.service")
set(_feedd_yaml_src "${PROJECT_SOURCE_DIR}/feeds.yaml")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_feedd_unit_src}" "${_feedd_yaml_src}")

# The config shipped for /etc/feedd: the repository's feeds.yaml with `output:` and `state:`
# made absolute under /var/lib/feedd, the unit's StateDirectory and the only place its sandbox
# (ProtectSystem=strict) lets it write. Generated rather than kept as a second copy so the two
# cannot drift apart; tests/systemd/check_unit.py checks the result with `feedd check`.
set(FEEDD_SYSTEMD_CONFIG "${CMAKE_BINARY_DIR}/systemd/feeds.yaml")
set(_feedd_state_dir "/var/lib/feedd")
file(READ "${_feedd_yaml_src}" _feedd_yaml)
# The key may be missing from feeds.yaml (every key but categories has a default): then the
# absolute one goes first.
foreach(_kv "output:${_feedd_state_dir}/output" "state:${_feedd_state_dir}/feedd.db"
            "# inbox:${_feedd_state_dir}/inbox")
  string(FIND "${_kv}" ":" _colon REVERSE)
  string(SUBSTRING "${_kv}" 0 ${_colon} _key)
  math(EXPR _colon "${_colon} + 1")
  string(SUBSTRING "${_kv}" ${_colon} -1 _value)
  if(_feedd_yaml MATCHES "(^|\n)(${_key}: *[^ \n#]+)( *)#")
    # Keeps a trailing comment in its column when the longer value leaves room.
    string(LENGTH "${CMAKE_MATCH_2}${CMAKE_MATCH_3}" _width)
    set(_line "${_key}: ${_value}")
    string(LENGTH "${_line}" _len)
    math(EXPR _pad "${_width} - ${_len}")
    if(_pad LESS 1)
      set(_pad 1)
    endif()
    string(REPEAT " " ${_pad} _spaces)
    string(REGEX REPLACE "(^|\n)${_key}: *[^ \n#]+ *#" "\\1${_line}${_spaces}#" _feedd_yaml
                         "${_feedd_yaml}")
  elseif(_feedd_yaml MATCHES "(^|\n)${_key}: *[^ \n#]+")
    string(REGEX REPLACE "(^|\n)${_key}: *[^ \n#]+" "\\1${_key}: ${_value}" _feedd_yaml
                         "${_feedd_yaml}")
  elseif(NOT _key MATCHES "^#")
    string(PREPEND _feedd_yaml "${_key}: ${_value}\n")
  endif()
endforeach()
# Rewritten only when it changes, so its timestamp means something.
set(_feedd_yaml_old "")
if(EXISTS "${FEEDD_SYSTEMD_CONFIG}")
  file(READ "${FEEDD_SYSTEMD_CONFIG}" _feedd_yaml_old)
endif()
if(NOT _feedd_yaml STREQUAL _feedd_yaml_old)
  file(WRITE "${FEEDD_SYSTEMD_CONFIG}" "${_feedd_yaml}")
endif()

# The install step. systemd/feedd.service names /usr/bin/feedd and /etc/feedd/feeds.yaml (the
# packaging layout, so the file in the repository is itself a unit systemd-analyze can check);
# for another prefix both paths are rewritten in the installed copy.
file(CONFIGURE OUTPUT "${CMAKE_BINARY_DIR}/systemd/install_service.cmake" @ONLY CONTENT [=[
cmake_policy(VERSION 3.25)
# Generated from cmake/install.cmake; runs inside `cmake --install`.
set(CMAKE_INSTALL_LIBDIR "@CMAKE_INSTALL_LIBDIR@")
set(CMAKE_INSTALL_BINDIR "@CMAKE_INSTALL_BINDIR@")
set(CMAKE_INSTALL_SYSCONFDIR "@CMAKE_INSTALL_SYSCONFDIR@")
include(GNUInstallDirs)  # the FULL_ paths, now for the install-time prefix

file(READ "@_feedd_unit_src@" unit)
foreach(path "/usr/bin/feedd" "/etc/feedd/feeds.yaml")
  string(FIND "${unit}" "${path}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "@_feedd_unit_src@ no longer mentions ${path}; update cmake/install.cmake")
  endif()
endforeach()
string(REPLACE "/usr/bin/feedd" "${CMAKE_INSTALL_FULL_BINDIR}/feedd" unit "${unit}")
string(REPLACE "/etc/feedd/feeds.yaml" "${CMAKE_INSTALL_FULL_SYSCONFDIR}/feedd/feeds.yaml" unit
               "${unit}")
set(staged "@CMAKE_BINARY_DIR@/systemd/installed/feedd.service")
file(WRITE "${staged}.tmp" "${unit}")
# Keeps the staged file's timestamp when nothing changed, so reinstalling says Up-to-date.
file(COPY_FILE "${staged}.tmp" "${staged}" ONLY_IF_DIFFERENT)
file(REMOVE "${staged}.tmp")
file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/@FEEDD_SYSTEMD_UNITDIR@" TYPE FILE
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ FILES "${staged}")

# An admin's edited config survives a reinstall; a fresh one is installed next to it.
set(etc "$ENV{DESTDIR}${CMAKE_INSTALL_FULL_SYSCONFDIR}/feedd")
if(EXISTS "${etc}/feeds.yaml")
  file(READ "${etc}/feeds.yaml" installed)
  file(READ "@FEEDD_SYSTEMD_CONFIG@" shipped)
  if(NOT installed STREQUAL shipped)
    message(STATUS "Keeping: ${etc}/feeds.yaml (edited); the shipped one is feeds.yaml.dist")
    file(INSTALL DESTINATION "${CMAKE_INSTALL_FULL_SYSCONFDIR}/feedd" TYPE FILE
         RENAME feeds.yaml.dist
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ FILES "@FEEDD_SYSTEMD_CONFIG@")
    return()
  endif()
endif()
# World-readable: DynamicUser= picks the service's user at start, so no group can own it.
file(INSTALL DESTINATION "${CMAKE_INSTALL_FULL_SYSCONFDIR}/feedd" TYPE FILE
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ FILES "@FEEDD_SYSTEMD_CONFIG@")
]=])
install(SCRIPT "${CMAKE_BINARY_DIR}/systemd/install_service.cmake")
