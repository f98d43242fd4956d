# cmake/libvoxdns.cmake — libvoxdns, the embeddable library: its API sources (src/lib/) join the
# core (the voxdns binary uses them too); the shared libvoxdns.so and static libvoxdns.a are
# built from the layers the library needs (common, wire, net, resolver, sip, lib) with hidden
# visibility, so that only the VX_API (vx_) symbols are exported; pkg-config file, install
# rules for headers, libraries and man pages; the examples; the glibc and c-ares drivers of
# bench/resolver.
include(GNUInstallDirs)

file(GLOB VOXDNS_API_SOURCES CONFIGURE_DEPENDS src/lib/*.c)
target_sources(voxdns_core PRIVATE ${VOXDNS_API_SOURCES})

# Only what the library uses: the probe engine (net/engine, sched, udp, tcp, usock), the audit's
# locator over snapshots and the monitor's answer fingerprints stay out of libvoxdns.so/.a
# (tests/system/test_library.py checks the archive's members).
file(GLOB VOXDNS_LIB_SOURCES CONFIGURE_DEPENDS src/wire/*.c src/resolver/*.c src/sip/*.c
     src/lib/*.c)
list(REMOVE_ITEM VOXDNS_LIB_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/src/sip/locate_snapshot.c
     ${CMAKE_CURRENT_SOURCE_DIR}/src/wire/fingerprint.c)
list(APPEND VOXDNS_LIB_SOURCES src/common/status.c src/common/rtt.c src/common/file.c
     src/net/resdriver.c src/net/resbuild.c src/net/resdot.c src/net/ids.c src/net/tls.c src/net/tcpconn.c
     src/net/udpsock.c)
# The locator over a snapshot reads model/, which the library does not contain.
list(FILTER VOXDNS_LIB_SOURCES EXCLUDE REGEX "src/sip/locate_snapshot\\.c$")

# The installed library is what other programs link: it is never built with the sanitizers
# or the fuzzer instrumentation (a program not built with them could not load it).
function(voxdns_plain_target target)
  set_property(TARGET ${target} PROPERTY COMPILE_OPTIONS ${VOXDNS_WARNINGS})
  set_property(TARGET ${target} PROPERTY LINK_OPTIONS "")
endfunction()

add_library(voxdns_objects OBJECT ${VOXDNS_LIB_SOURCES})
voxdns_plain_target(voxdns_objects)
set_target_properties(voxdns_objects PROPERTIES POSITION_INDEPENDENT_CODE ON
                                                C_VISIBILITY_PRESET hidden)
target_include_directories(voxdns_objects PRIVATE include src)
target_link_libraries(voxdns_objects PRIVATE PkgConfig::LDNS PkgConfig::LIBUV PkgConfig::LIBPSL
                                             PkgConfig::OPENSSL)

add_library(voxdns_shared SHARED $<TARGET_OBJECTS:voxdns_objects>)
voxdns_plain_target(voxdns_shared)
set_target_properties(voxdns_shared PROPERTIES OUTPUT_NAME voxdns VERSION ${PROJECT_VERSION}
                                               SOVERSION ${PROJECT_VERSION_MAJOR})
target_include_directories(voxdns_shared INTERFACE include)
target_link_libraries(voxdns_shared PRIVATE PkgConfig::LDNS PkgConfig::LIBUV PkgConfig::LIBPSL
                                            PkgConfig::OPENSSL m)
target_link_options(voxdns_shared PRIVATE -Wl,--no-undefined)

add_library(voxdns_static STATIC $<TARGET_OBJECTS:voxdns_objects>)
voxdns_plain_target(voxdns_static)
set_target_properties(voxdns_static PROPERTIES OUTPUT_NAME voxdns)

# pkg-config: the prefix is computed from the .pc file's place (see voxdns.pc.in).
set(VOXDNS_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH VOXDNS_PC_TO_PREFIX /root/${VOXDNS_PC_DIR} /root)
configure_file(cmake/voxdns.pc.in ${CMAKE_CURRENT_BINARY_DIR}/voxdns.pc @ONLY)

install(TARGETS voxdns_shared voxdns_static LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
                                            ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES include/voxdns/voxdns.h include/voxdns/status.h include/voxdns/resolver.h
              include/voxdns/locate.h include/voxdns/feedback.h include/voxdns/cert.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/voxdns)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/voxdns.pc DESTINATION ${VOXDNS_PC_DIR})
file(GLOB VOXDNS_MAN1 CONFIGURE_DEPENDS docs/man/*.1)
file(GLOB VOXDNS_MAN3 CONFIGURE_DEPENDS docs/man/*.3)
install(FILES ${VOXDNS_MAN1} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${VOXDNS_MAN3} DESTINATION ${CMAKE_INSTALL_MANDIR}/man3)

# The examples link the shared library only through the public headers, as a user would.
if(NOT VOXDNS_FUZZ)
  foreach(example locate locate_loop sip_ua)
    add_executable(example_${example} examples/${example}.c)
    voxdns_plain_target(example_${example})
    set_target_properties(example_${example} PROPERTIES OUTPUT_NAME ${example}
                          RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/examples)
    target_link_libraries(example_${example} PRIVATE voxdns_shared)
  endforeach()
  target_link_libraries(example_sip_ua PRIVATE PkgConfig::OPENSSL) # its SIP over TLS
endif()

# bench/resolver's anchors, which link what the other benchmarks do not: glibc's stub resolver
# (libresolv) and c-ares (when its development files are installed; scripts/setup bench does).
if(VOXDNS_BENCH AND NOT VOXDNS_FUZZ)
  add_executable(resolver_glibc bench/resolver_glibc.c)
  target_compile_options(resolver_glibc PRIVATE ${VOXDNS_WARNINGS})
  target_link_libraries(resolver_glibc PRIVATE resolv)
  pkg_check_modules(CARES IMPORTED_TARGET libcares)
  if(CARES_FOUND)
    add_executable(resolver_cares bench/resolver_cares.c)
    target_compile_options(resolver_cares PRIVATE ${VOXDNS_WARNINGS})
    target_link_libraries(resolver_cares PRIVATE PkgConfig::CARES)
  endif()
endif()
