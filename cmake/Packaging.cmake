# Installation layout (FHS, `cmake --install`) and the Debian package (`cpack -G DEB`).
#   bin/ofbridge, share/man/man1/ofbridge.1.gz           (src/app/CMakeLists.txt)
#   share/doc/ofbridge/examples/ofbridge.toml           the commented config, as an example
#   <sysconfdir>/ofbridge/ofbridge.toml                 the config, only if none is there yet
#                                                       (/etc with prefix /usr; a conffile)
#   <systemd unit dir>/ofbridge.service                 /lib/systemd/system on Debian 12 with
#                                                       prefix /usr; <prefix>/lib/systemd/system
#   share/doc/ofbridge/copyright, changelog.Debian.gz   what Debian requires of a package
# The installed config keeps its data in /var/lib/ofbridge (the unit's StateDirectory).
include(GNUInstallDirs)

find_package(PkgConfig REQUIRED)
pkg_get_variable(OFBRIDGE_SYSTEMD_UNIT_DIR systemd systemdsystemunitdir)
if(NOT OFBRIDGE_SYSTEMD_UNIT_DIR)
  set(OFBRIDGE_SYSTEMD_UNIT_DIR /lib/systemd/system)
endif()

file(READ ${PROJECT_SOURCE_DIR}/etc/ofbridge.toml OFBRIDGE_CONFIG_TEXT)
string(REPLACE "data_dir = \"data\"" "data_dir = \"/var/lib/ofbridge\"" OFBRIDGE_CONFIG_TEXT
               "${OFBRIDGE_CONFIG_TEXT}")
file(WRITE ${PROJECT_BINARY_DIR}/packaging/ofbridge.toml "${OFBRIDGE_CONFIG_TEXT}")
configure_file(${PROJECT_SOURCE_DIR}/packaging/deb/changelog.in
               ${PROJECT_BINARY_DIR}/packaging/changelog.Debian @ONLY)
add_custom_command(
  OUTPUT ${PROJECT_BINARY_DIR}/packaging/changelog.Debian.gz
  COMMAND gzip -9n -f -k ${PROJECT_BINARY_DIR}/packaging/changelog.Debian
  DEPENDS ${PROJECT_BINARY_DIR}/packaging/changelog.Debian
  VERBATIM)
add_custom_target(ofbridge_changelog ALL DEPENDS ${PROJECT_BINARY_DIR}/packaging/changelog.Debian.gz)

install(FILES ${PROJECT_SOURCE_DIR}/etc/ofbridge.toml DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
# The unit: systemd's own directory with prefix /usr (the package), <prefix>/lib/systemd/system
# otherwise, so a staged `cmake --install --prefix DIR` writes nothing outside DIR.
install(CODE "
  if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
    set(unit_dir ${OFBRIDGE_SYSTEMD_UNIT_DIR})
  else()
    set(unit_dir \"\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\")
  endif()
  file(INSTALL \"${PROJECT_SOURCE_DIR}/etc/ofbridge.service\" DESTINATION \"\${unit_dir}\"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)")
install(FILES ${PROJECT_SOURCE_DIR}/packaging/deb/copyright
              ${PROJECT_BINARY_DIR}/packaging/changelog.Debian.gz
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
# The config goes to /etc/ofbridge with prefix /usr (the package), <prefix>/etc/ofbridge
# otherwise (decided when installing, as GNUInstallDirs does), and never overwrites an
# operator's config (a reinstall from source keeps it). file(INSTALL) adds DESTDIR itself.
install(CODE "
  if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
    set(config_dir /etc/ofbridge)
  else()
    set(config_dir \"\${CMAKE_INSTALL_PREFIX}/etc/ofbridge\")
  endif()
  if(EXISTS \"\$ENV{DESTDIR}\${config_dir}/ofbridge.toml\")
    message(STATUS \"Kept: \$ENV{DESTDIR}\${config_dir}/ofbridge.toml\")
  else()
    file(INSTALL \"${PROJECT_BINARY_DIR}/packaging/ofbridge.toml\" DESTINATION \"\${config_dir}\"
         FILE_PERMISSIONS OWNER_READ OWNER_WRITE)
  endif()")

set(CPACK_PACKAGE_NAME ofbridge)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "ofbridge")
set(CPACK_PACKAGE_CONTACT "ofbridge maintainers <ofbridge@example.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "OrderFlow WMS <-> Magento SOAP message broker")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_SET_DESTDIR ON)  # the absolute /etc and /lib/systemd paths land in the package too
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The synopsis is CPACK_PACKAGE_DESCRIPTION_SUMMARY; this is the extended description.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Accepts a warehouse management system's OrderFlow stock and shipment\n"
    "messages over SOAP (Magento 1 and 2 styles) and REST, acknowledges each\n"
    "once it is durably stored in SQLite, and applies them to stock and\n"
    "shipments. Runs as a systemd service with its own system user.")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/deb/postinst ${PROJECT_SOURCE_DIR}/packaging/deb/prerm
    ${PROJECT_SOURCE_DIR}/packaging/deb/postrm ${PROJECT_SOURCE_DIR}/packaging/deb/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
